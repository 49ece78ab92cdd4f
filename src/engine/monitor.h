/* The monitor of a detached container (`husk run -d`), as conmon is for podman: a
 * small process of its own (new session, no terminal) that runs the engine for one
 * container, reaps PID 1, copies its stdout/stderr into <state dir>/container.log
 * (size-capped: the previous file is kept as container.log.1), records the exit
 * status, the time and the OOM flag in state.json, applies --restart with a
 * back-off, and at the end removes everything (--rm) or keeps the record of the
 * stopped container until `husk rm`. It holds <state dir>/lock while it lives.
 *
 * Other husk commands talk to it with signals that carry a value (SI_QUEUE, sent
 * with pidfd_send_signal): the monitor is PID 1's parent, so it alone knows for
 * sure which process PID 1 is and when it is gone. */
#pragma once
#include <signal.h>
#include <stdint.h>

#include "engine/plan.h"
#include "spec.h"

enum restart_policy { RESTART_NO = 0, RESTART_ON_FAILURE, RESTART_ALWAYS };

struct monitor_opts {
	enum restart_policy restart;
	int max_retries; /* on-failure:N; 0 = no limit */
	int64_t log_max; /* bytes in container.log before it rotates; 0 = the default */
};

#define MONITOR_LOG_MAX_DEFAULT (10 * 1024 * 1024)
#define MONITOR_LOG_NAME "container.log"

/* "stop": SIGTERM to PID 1, SIGKILL after the value's seconds (-1: the container's
 * --stop-timeout; 0: SIGKILL at once); no restart after it. */
#define MONITOR_SIG_STOP SIGTERM
/* "kill": the value is the signal for PID 1 (KILL, TERM and INT also end restarts). */
#define MONITOR_SIG_KILL SIGUSR2

/* --restart no|on-failure[:N]|always */
int monitor_parse_restart(const char *arg, struct monitor_opts *o, struct husk_err *err);

/* husk run -d: forks the monitor and waits until the container runs (0: the caller
 * prints its name) or failed (-1 with the reason; nothing of it is left then).
 * s is validated and plan prepared from it (plan.h). */
int monitor_run_detached(struct husk_spec *s, const struct husk_plan *plan,
			 const struct monitor_opts *o, struct husk_err *err);
