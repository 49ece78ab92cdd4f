/* The runtime-spec's hooks (config.json "hooks"): each is run with the container's
 * state JSON on its stdin, its own args and env, and killed after its timeout.
 * prestart and createRuntime run in the runtime's namespaces (the parent, after the
 * namespaces exist, before the container's process goes on), createContainer and
 * startContainer inside the container, poststart and poststop in the runtime's.
 * Their stdout and stderr are husk's own. */
#pragma once
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
