#include "util/json.h"

#include "util/input_limits.h"

static json_object *failed(json_object *o, const char *text, size_t at, const char *why,
			   struct json_parse_error *e)
{
	json_object_put(o);
	e->why = why;
	e->offset = at;
	e->line = e->col = 1;
	for (size_t i = 0; i < at; i++, e->col++)
		if (text[i] == '\n') {
			e->line++;
			e->col = 0;
		}
	return NULL;
}

json_object *json_parse_whole(const char *text, size_t len, struct json_parse_error *e)
{
	json_tokener *tok = json_tokener_new_ex(HUSK_JSON_MAX_DEPTH);
	if (!tok)
		return failed(NULL, text, 0, "out of memory", e);
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (end > len)
		end = len;
	if (je == json_tokener_continue || (je == json_tokener_success && !o))
		return failed(o, text, end, "unexpected end of input", e);
	if (je != json_tokener_success)
		return failed(o, text, end, json_tokener_error_desc(je), e);
	for (size_t i = end; i < len; i++)
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r')
			return failed(o, text, i, "unexpected data after the JSON value", e);
	return o;
}
