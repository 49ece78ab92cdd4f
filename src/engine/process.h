/* The last steps of a container's process, the same for PID 1 (child.c) and for
 * husk exec (exec.c), in one order so that the two can never drift apart:
 *
 *   1. user: groups, gid, uid from the container's passwd/group files; HOME
 *   2. working directory, checked to lie inside the root (CVE-2024-21626)
 *   3. the command looked up in the container's PATH (127 / 126 as docker)
 *   4. capabilities (bounding, permitted, effective, inheritable, ambient)
 *   5. no_new_privs if asked
 *   6. every fd but 0-2 close-on-exec (the sync socket stays until execve)
 *      (OCI create: here the process says it is ready and waits at its start gate,
 *      gate_fd >= 0, until husk start; then the startContainer hooks)
 *   7. seccomp, last but for what the filter must allow, then the CAP_SYS_ADMIN
 *      kept to load it goes
 *   8. --init only (PID 1): fork; husk stays PID 1 as the reaper
 *   9. every signal back to its default, none blocked
 *  10. execve
 *
 * Runs in the container's namespaces, as root still. */
#pragma once
#include <stdbool.h>

#include "engine/plan.h"
#include "spec.h"

/* Never returns: a failure goes to the parent over `sock` (sync.h) and the process
 * exits with its code. */
__attribute__((noreturn)) void process_finalize_exec(struct husk_spec *s,
						     const struct husk_plan *p, int sock,
						     bool init, int gate_fd,
						     pid_t host_pid);
