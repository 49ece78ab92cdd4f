/* JSON text parsed whole with json-c: depth-limited (HUSK_JSON_MAX_DEPTH), exactly one
 * value and blanks after it. The callers (config.json, seccomp profiles, image JSON)
 * word their own messages from why and where. */
#pragma once
#include <json-c/json.h>
#include <stddef.h>

struct json_parse_error {
	const char *why; /* "unexpected end of input", json-c's text, ... */
	size_t offset;   /* where it went wrong, in bytes from the start */
	int line, col;   /* the same, counted from 1 */
};

/* The value, or NULL with e filled in. */
json_object *json_parse_whole(const char *text, size_t len, struct json_parse_error *e);

static inline void json_put_cleanup(json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define cleanup_json __attribute__((cleanup(json_put_cleanup)))
