/* One container's lifecycle: create (host side), start (the child), wait, destroy.
 * Both front-ends (the docker-like CLI and, later, the OCI face) drive this. */
#pragma once
#include <signal.h>
#include <sys/types.h>

#include "engine/io.h"
#include "linux/cgroup.h"
#include "linux/net.h"
#include "spec.h"

struct container {
	struct husk_spec *spec;
	char state_dir[300];
	int lock_fd;  /* flock held while this container's husk lives */
	struct cgroup cg;
	struct net_state net;
	struct io io;
	pid_t pid;    /* PID 1 of the container, as the host sees it */
	int sync_fd;  /* parent's end of the handshake */
	sigset_t saved_mask;
	int status;   /* wait status of PID 1 */
	int oom;      /* 1 if the kernel OOM-killed a process of the container */
};

/* Runs a container in the foreground and returns husk's exit status. */
int container_run(struct husk_spec *s, struct husk_err *err);

/* The child side: never returns (child.c). */
__attribute__((noreturn)) void child_main(struct container *c, int sync_fd);

/* --init: PID 1 that reaps and forwards signals to `child` (init.c). */
__attribute__((noreturn)) void init_main(pid_t child);

/* The event loop: signals, the stop grace period, I/O relays, PID 1's exit (wait.c).
 * Returns the exit status to report (status, 128+signal). */
int container_wait(struct container *c);
