/* Small json-c helpers shared by the manifest and config parsers (pure). */
#pragma once
#include <json-c/json.h>
#include <stddef.h>

#include "util/error.h"

/* Parses len bytes (need not be NUL-terminated); NULL with err naming `what`. */
json_object *json_parse_buf(const char *buf, size_t len, const char *what, struct husk_err *err);
/* o[key] if it is a string, else NULL. */
const char *json_str(json_object *o, const char *key);
/* o[key] if it is of type t, else NULL. */
json_object *json_get(json_object *o, const char *key, json_type t);
/* A JSON array of strings -> a NULL-terminated strv (*n entries); an absent or
 * null value gives NULL/0 and 0; anything else -1. */
int json_strv(json_object *a, char ***out, size_t *n);
void strv_free(char **v);
