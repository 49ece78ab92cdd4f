/* The OCI face's secondary commands, one file each (src/oci/spec.c, features.c ...),
 * dispatched by main.c as the docker-like ones are. */
#pragma once

struct husk_global;

/* husk spec [--bundle DIR] [--rootless]: a default config.json, as runc spec */
int cmd_oci_spec(struct husk_global *g, int argc, char **argv);
/* husk features: the runtime-spec's features.md JSON */
int cmd_oci_features(struct husk_global *g, int argc, char **argv);
