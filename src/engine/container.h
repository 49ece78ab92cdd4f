/* One container's lifecycle: create (host side), start (the child), wait, destroy.
 * Both front-ends (the docker-like CLI and, later, the OCI face) drive this. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine/io.h"
#include "linux/cgroup/cgroup.h"
#include "linux/net/network.h"
#include "linux/userns/userns.h"
#include "spec.h"

struct container {
	struct husk_spec *spec;
	char state_dir[300];
	int lock_fd;  /* flock held while this container's husk lives */
	struct cgroup cg;
	struct net_state net;
	struct userns_state userns;
	struct io io;
	pid_t pid;    /* PID 1 of the container, as the host sees it */
	int sync_fd;  /* parent's end of the handshake */
	sigset_t saved_mask;
	int status;   /* wait status of PID 1 */
	int oom;      /* 1 if the kernel OOM-killed a process of the container */
	bool keep_state; /* a monitor owns state_dir/lock_fd: create and destroy leave them */
	bool capture;    /* stdout/stderr go to pipes (io.out_r, io.err_r) the monitor reads */
};

/* Runs a container in the foreground and returns husk's exit status. */
int container_run(struct husk_spec *s, struct husk_err *err);

/* The pieces of container_run, for the monitor of a detached container (monitor.c),
 * which starts the same spec again on --restart. */
void container_init(struct container *c, struct husk_spec *s);
/* Blocks the signals the event loops read from a signalfd; *saved is what the
 * container's process gets back (store it in c->saved_mask). */
void container_block_signals(sigset_t *saved);
/* create + start: 0 once PID 1 runs the command; on failure all is undone. */
int container_launch(struct container *c, struct husk_err *err);
/* After PID 1 was reaped with exit code `code`: says if the OOM killer struck
 * (c->oom), undoes the host side; returns code. */
int container_finish(struct container *c, int code);

/* As root still: the user from the container's passwd/group files, and HOME
 * (child.c; also used by husk exec). */
int child_set_user(struct husk_spec *s, struct husk_err *err);
/* chdir to the workdir and check it lies inside the root (CVE-2024-21626). */
int child_enter_workdir(const struct husk_spec *s, struct husk_err *err);
/* Capabilities, no_new_privs, close-on-exec for every fd but 0-2 (child.c; also
 * used by husk exec). */
int child_drop_privileges(const struct husk_spec *s, struct husk_err *err);
/* Every signal back to its default, none blocked, as a command expects. */
void child_reset_signals(void);

/* The child side: never returns (child.c). */
__attribute__((noreturn)) void child_main(struct container *c, int sync_fd);

/* --init: PID 1 that reaps and forwards signals to `child` (init.c). */
__attribute__((noreturn)) void init_main(pid_t child);

/* The event loop: signals, the stop grace period, I/O relays, PID 1's exit (wait.c).
 * Returns the exit status to report (status, 128+signal). */
int container_wait(struct container *c);
