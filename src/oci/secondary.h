/* The OCI face's secondary commands, one file each (src/oci/spec.c, features.c ...),
 * dispatched by main.c as the docker-like ones are. */
#pragma once

struct husk_global;

/* husk spec [--bundle DIR] [--rootless]: a default config.json, as runc spec */
int cmd_oci_spec(struct husk_global *g, int argc, char **argv);
/* husk features: the runtime-spec's features.md JSON */
int cmd_oci_features(struct husk_global *g, int argc, char **argv);
/* husk ps [--format table|json] ID [PS_ARGS...]: the container's processes */
int cmd_oci_ps(struct husk_global *g, int argc, char **argv);
/* husk pause ID / husk resume ID: the cgroup freezer */
int cmd_oci_pause(struct husk_global *g, int argc, char **argv);
int cmd_oci_resume(struct husk_global *g, int argc, char **argv);
/* husk list [--format table|json] [-q]: the OCI containers under --root */
int cmd_oci_list(struct husk_global *g, int argc, char **argv);
/* husk update [--resources FILE|-] [--memory ..] ... ID: the cgroup limits */
int cmd_oci_update(struct husk_global *g, int argc, char **argv);
