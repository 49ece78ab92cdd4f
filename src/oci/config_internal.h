/* Shared by the config.json readers (config*.c): the parse context and typed getters
 * that name the key in their error ("process.user.uid: expected an unsigned integer"). */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec.h"

struct cfg {
	const char *file; /* for messages: BUNDLE/config.json */
	struct husk_spec *s;
	struct husk_oci *o;
	struct husk_err *err;
};

/* "invalid FILE: KEY: WHY"; returns -1. */
int cfg_bad(struct cfg *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The member, or NULL when absent or null. */
json_object *cfg_get(json_object *o, const char *key);
bool cfg_is(json_object *o, enum json_type t);

/* Optional members: absent/null leaves *out alone. KEY is the full dotted name. */
int cfg_string(struct cfg *c, json_object *o, const char *member, const char *key, char **out);
int cfg_bool(struct cfg *c, json_object *o, const char *member, const char *key, bool *out);
int cfg_int(struct cfg *c, json_object *o, const char *member, const char *key, int64_t min,
	    int64_t max, int64_t *out);
int cfg_uint(struct cfg *c, json_object *o, const char *member, const char *key, uint64_t *out);
/* An array of strings as a NULL-terminated vector (*n may be NULL). */
int cfg_strv(struct cfg *c, json_object *o, const char *member, const char *key, char ***out,
	     size_t *n);
/* An object of string values as key/value pairs. */
int cfg_kv(struct cfg *c, json_object *o, const char *member, const char *key,
	   struct oci_kv **out, size_t *n);
/* The member must be an object (or absent: NULL with 0). */
int cfg_object(struct cfg *c, json_object *o, const char *member, const char *key,
	       json_object **out);
/* The member must be an array (or absent: NULL, *n = 0). */
int cfg_array(struct cfg *c, json_object *o, const char *member, const char *key,
	      json_object **out, size_t *n);
char *cfg_strdup(struct cfg *c, const char *v);

/* the sections, one reader each */
int cfg_process(struct cfg *c, json_object *process);
int cfg_root_mounts(struct cfg *c, json_object *root);
int cfg_linux(struct cfg *c, json_object *linux_obj);
int cfg_resources(struct cfg *c, json_object *res);
int cfg_hooks(struct cfg *c, json_object *root);
/* "cpuset/cpu..."-free helpers used by two sections */
int cfg_mount_options(struct cfg *c, char **opts, size_t n, const char *key, struct oci_mount *m);
