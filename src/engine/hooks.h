/* The runtime-spec's hooks (config.json "hooks"): each is run with the container's
 * state JSON on its stdin, its own args and env, and killed after its timeout.
 * prestart and createRuntime run in the runtime's namespaces (the parent, once the
 * child has made every mount of the config, before pivot_root: what a hook mounts
 * into the root, as NVIDIA's prestart hook does /dev/nvidia*, is not covered by the
 * runtime's /dev afterwards, as in runc), createContainer and
 * startContainer inside the container, poststart and poststop in the runtime's.
 * Their stdout and stderr are husk's own. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

/* The OCI state of s: {"ociVersion","id","status","pid","bundle","annotations"};
 * pid <= 0 leaves "pid" out. The caller json_object_put()s it. */
struct json_object;
struct json_object *hooks_state_json(const struct husk_spec *s, const char *status, pid_t pid);

/* Runs every hook of that kind in order; the first that fails (non-zero exit,
 * killed, timed out, not executable) stops the rest and is the error. */
int hooks_run(const struct husk_spec *s, enum oci_hook_kind kind, const char *status,
	      pid_t pid, struct husk_err *err);
/* True if s has prestart or createRuntime hooks (the child stops for them). */
bool hooks_runtime_side(const struct husk_spec *s);
/* Parent: prestart, then createRuntime. */
int hooks_run_runtime_side(const struct husk_spec *s, pid_t pid, struct husk_err *err);
