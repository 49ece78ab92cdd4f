/* One container's lifecycle: create (host side), start (the child), wait, destroy.
 * Both front-ends (the docker-like CLI and, later, the OCI face) drive this. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine/io.h"
#include "linux/fs/host_mounts.h"
#include "engine/plan.h"
#include "linux/cgroup/cgroup.h"
#include "linux/net/network.h"
#include "linux/userns/userns.h"
#include "spec.h"

struct json_object;

struct container {
	struct husk_spec *spec;
	const struct husk_plan *plan; /* the host-side preparation of spec (plan.h) */
	char state_dir[HUSK_STATE_DIR_LEN];
	int lock_fd;  /* flock held while this container's husk lives */
	struct cgroup cg;
	struct net_state net;
	struct userns_state userns;
	struct io io;
	struct host_mounts host_mounts; /* a bundle without a mount namespace (host_mounts.h) */
	pid_t pid;    /* PID 1 of the container, as the host sees it */
	int sync_fd;  /* parent's end of the handshake */
	int gate_fd;  /* child, OCI create: the start gate (start_gate.h), else -1 */
	sigset_t saved_mask;
	int status;   /* wait status of PID 1 */
	int oom;      /* 1 if the kernel OOM-killed a process of the container */
	bool keep_state; /* a monitor owns state_dir/lock_fd: create and destroy leave them */
	bool capture;    /* stdout/stderr go to pipes (io.out_r, io.err_r) the monitor reads */
	/* more of the state record (OCI create's), written with the rest in one go */
	void (*record_edit)(struct json_object *o, const struct container *c);
};

/* Runs a container in the foreground and returns husk's exit status. s is
 * validated (spec_validate) and p prepared from it (plan_prepare). */
int container_run(struct husk_spec *s, const struct husk_plan *p, struct husk_err *err);

/* The pieces of container_run, for the monitor of a detached container (monitor.c),
 * which starts the same spec again on --restart. */
void container_init(struct container *c, struct husk_spec *s, const struct husk_plan *p);
/* Blocks the signals the event loops read from a signalfd; *saved is what the
 * container's process gets back (store it in c->saved_mask). */
void container_block_signals(sigset_t *saved);
/* create + start: 0 once PID 1 runs the command; on failure all is undone. */
int container_launch(struct container *c, struct husk_err *err);
/* After PID 1 was reaped with exit code `code`: says if the OOM killer struck
 * (c->oom), undoes the host side; returns code. */
int container_finish(struct container *c, int code);

/* The OCI create: everything up to the process waiting at its start gate (its
 * prestart/createRuntime hooks run, its record written as "created", the pty master
 * sent to the console socket); then created() (the pid file ...), and husk lets go of
 * it. On any failure all is undone. */
int container_create_waiting(struct husk_spec *s, const struct husk_plan *p,
			     void (*record_edit)(struct json_object *o, const struct container *c),
			     int (*created)(const struct container *c, void *arg, struct husk_err *err),
			     void *arg, struct husk_err *err);

/* Parent: reads the child's messages on c->sync_fd (a pty master goes to c->io)
 * until its end closes on execve (0), or it reports an error (-1). Also used by
 * husk exec (exec.c). */
int container_handshake(struct container *c, struct husk_err *err);
