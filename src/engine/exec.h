/* husk exec's engine side: a command started inside a running container, as runc
 * exec does:
 *
 *   husk (stays on the host: relays the pty, forwards signals, reports the status)
 *    `- A: joins the container's cgroup, then setns(pidfd, every namespace it has)
 *          and chroot to its root (/proc/PID/root: right with --no-pivot too)
 *          `- B = clone(CLONE_PARENT): a child of husk, inside the PID namespace;
 *                 its streams, then process.h's finalize-and-exec (the same
 *                 sequence as the container's own process, minus --init)
 *
 * The masked and read-only paths are mounts of the container's mount namespace, so
 * B, joining it, is under them already (mounting them again would stack copies). */
#pragma once
#include <json-c/json.h>
#include <sys/types.h>

#include "spec.h"

struct exec_target {
	const char *name; /* the container, for messages */
	pid_t pid;        /* its PID 1 */
	int pidfd;        /* a pidfd of PID 1 */
	json_object *rec; /* its record (state.json): pid_start, cgroup */
};

/* Runs s->argv in t (s: the container's process from its record, with exec's own
 * options on top). Returns the command's exit status, or -1 with err (exit code 1
 * when the container stopped meanwhile). */
int exec_run(struct husk_spec *s, const struct exec_target *t, struct husk_err *err);
