/* config.json -> struct husk_spec: the OCI face's only translation. Reads the file
 * and nothing else on the host (no mount, no cgroup, no lookup of users). */
#pragma once
#include <stddef.h>

#include "spec.h"

/* BUNDLE/config.json into s (spec_init'ed by the caller); sets s->oci.active. */
int oci_config_load(const char *bundle, struct husk_spec *s, struct husk_err *err);
/* The same from text; `file` names it in messages, `bundle` anchors root.path. */
int oci_config_parse(const char *text, size_t len, const char *file, const char *bundle,
		     struct husk_spec *s, struct husk_err *err);
/* A process object alone (exec --process F.json) over the fields it replaces. */
int oci_process_parse(const char *text, size_t len, const char *file, struct husk_spec *s,
		      struct husk_err *err);
/* The same, after forgetting the config's process (env, user, capabilities, rlimits,
 * terminal, noNewPrivileges ...): exec's process is the one described, whole. */
int oci_process_replace(struct husk_spec *s, const char *text, size_t len, const char *file,
			struct husk_err *err);
/* exec's command-line form, on top of the config's process: args (taken, NULL-ended),
 * one KEY=VAL, the cwd, one more capability (bounding, effective, permitted). */
void oci_process_set_args(struct husk_spec *s, char **args, size_t n);
int oci_process_put_env(struct husk_spec *s, const char *kv, struct husk_err *err);
int oci_process_set_cwd(struct husk_spec *s, const char *cwd, struct husk_err *err);
int oci_process_add_cap(struct husk_spec *s, const char *name, struct husk_err *err);
/* Reads a whole (small) file: malloc'd text in *out, its length in *len. */
int oci_read_file(const char *path, const char *what, char **out, size_t *len,
		  struct husk_err *err);
