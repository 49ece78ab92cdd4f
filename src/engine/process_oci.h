/* The process settings only a bundle's config.json has (spec.oci), in the
 * container's process (PID 1 and exec), as root still. */
#pragma once
#include "spec.h"

/* process.rlimits and process.oomScoreAdj (raising either needs the capabilities
 * that are about to go). */
int process_oci_limits(const struct husk_spec *s, struct husk_err *err);
/* process.user: additionalGids, gid, uid (numeric, as the runtime-spec has them);
 * HOME from the container's /etc/passwd when the env has none; the umask. */
int process_oci_user(struct husk_spec *s, struct husk_err *err);
/* OCI create, set up and privileges dropped: tells the parent (SYNC_READY), waits at
 * the start gate, runs the startContainer hooks. */
int process_oci_gate(struct husk_spec *s, int sock, int gate_fd, pid_t host_pid,
		     struct husk_err *err);
/* With process.terminal, after the streams are the pty: /dev/console bound to it. */
int process_oci_console(struct husk_err *err);
/* After the root switch, before the read-only paths: linux.sysctl (written under the
 * container's /proc/sys), the domain name. */
int process_oci_kernel(const struct husk_spec *s, struct husk_err *err);
