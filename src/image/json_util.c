#include "image/json_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/input_limits.h"
#include "util/json.h"

json_object *json_parse_buf(const char *buf, size_t len, const char *what, struct husk_err *err)
{
	if (len > HUSK_IMAGE_JSON_MAX) {
		husk_error(err, EFBIG, "%s: %zu bytes, more than husk reads (%d MiB)", what, len,
			   HUSK_IMAGE_JSON_MAX >> 20);
		return NULL;
	}
	struct json_parse_error pe;
	json_object *o = json_parse_whole(buf, len, &pe);
	if (!o) {
		husk_error(err, 0, "%s: not valid JSON: %s (byte %zu)", what, pe.why, pe.offset);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object) && !json_object_is_type(o, json_type_array)) {
		json_object_put(o);
		husk_error(err, 0, "%s: not a JSON object", what);
		return NULL;
	}
	return o;
}

const char *json_str(json_object *o, const char *key)
{
	json_object *v = json_get(o, key, json_type_string);
	return v ? json_object_get_string(v) : NULL;
}

json_object *json_get(json_object *o, const char *key, json_type t)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int json_strv(json_object *a, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!a || json_object_is_type(a, json_type_null))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -1;
	size_t len = json_object_array_length(a);
	char **v = calloc(len + 1, sizeof *v);
	if (!v)
		return -1;
	for (size_t i = 0; i < len; i++) {
		json_object *s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_string) ||
		    !(v[i] = strdup(json_object_get_string(s)))) {
			strv_free(v);
			return -1;
		}
	}
	*out = v;
	*n = len;
	return 0;
}
