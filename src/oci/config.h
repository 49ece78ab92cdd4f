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
/* Reads a whole (small) file: malloc'd text in *out, its length in *len. */
int oci_read_file(const char *path, const char *what, char **out, size_t *len,
		  struct husk_err *err);
