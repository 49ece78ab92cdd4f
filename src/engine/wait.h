/* The event loop of a running container: signals, the stop grace period, I/O relays,
 * PID 1's exit (wait.c). */
#pragma once
#include <signal.h>

struct container;

/* The signals husk passes on to PID 1; blocked in husk from before clone() on, so
 * none is lost while the child sets up. */
extern const int husk_forwarded_signals[];
extern const int husk_n_forwarded_signals;

/* Returns the exit status to report (status, 128+signal). */
int container_wait(struct container *c);

/* The signals the event loops read from a signalfd: SIGCHLD, SIGWINCH and the
 * forwarded ones (blocked by container_block_signals). */
void wait_signal_set(sigset_t *set);
/* A wait status as docker reports it: the exit code, 128+N for signal N, else 125. */
int wait_exit_code(int status);
