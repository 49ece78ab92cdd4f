/* husk exec: join, clone, finalize (exec.h). */
#include "engine/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/console.h"
#include "engine/container.h"
#include "engine/plan.h"
#include "engine/process.h"
#include "engine/state.h"
#include "engine/sync.h"
#include "engine/wait.h"
#include "linux/ns.h"
#include "linux/userns/userns.h"
#include "util/fs.h"
#include "util/cleanup.h"
#include "util/pidfile.h"

struct exec_ctx {
	const struct exec_target *t;
	struct husk_plan plan;
	struct container c; /* for the handshake and container_wait: pid = B, io */
	int root_fd;        /* /proc/PID1/root */
	int ns_flags;
	int sock[2];        /* the handshake with A and B (sync.h) */
	int pid_pipe[2];    /* A -> husk: B's pid */
	bool in_cgroup;     /* A was cloned into the container's v2 cgroup */
};

/* The namespaces PID 1 has that we do not: those exec joins. */
static int ns_flags_of(pid_t pid)
{
	static const struct { const char *name; int flag; } ns[] = {
		{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },   { "uts", CLONE_NEWUTS },
		{ "ipc", CLONE_NEWIPC },   { "net", CLONE_NEWNET },  { "pid", CLONE_NEWPID },
		{ "cgroup", CLONE_NEWCGROUP },
	};
	int flags = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		char theirs[64], ours[64];
		struct stat a, b;
		snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, ns[i].name);
		snprintf(ours, sizeof ours, "/proc/self/ns/%s", ns[i].name);
		if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 &&
		    (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
			flags |= ns[i].flag;
	}
	return flags;
}

/* A: moves itself into every cgroup directory of the container. On v1, through
 * `tasks` with "0": a thread that moves itself spares the kernel's global
 * threadgroup lock and its RCU grace period (~10 ms here); A is single-threaded,
 * so the whole process moves. */
static int join_cgroup(json_object *rec, struct husk_err *err)
{
	json_object *cg = NULL, *paths = NULL;
	json_object_object_get_ex(rec, "cgroup", &cg);
	if (cg)
		json_object_object_get_ex(cg, "paths", &paths);
	const char *v2 = state_get_str(cg, "path", NULL);
	char file[400];
	if (v2) {
		snprintf(file, sizeof file, "%s/cgroup.procs", v2);
		return write_file(file, "0") < 0 ? husk_error(err, errno, "exec: joining %s", v2) : 0;
	}
	if (!paths)
		return 0;
	json_object_object_foreach(paths, key, val) {
		(void)key;
		snprintf(file, sizeof file, "%s/tasks", json_object_get_string(val));
		if (write_file(file, "0") < 0)
			return husk_error(err, errno, "exec: joining %s", json_object_get_string(val));
	}
	return 0;
}

/* B: inside every namespace; its streams, then the container's own last steps. */
__attribute__((noreturn)) static void exec_child(struct exec_ctx *x, int sock)
{
	struct husk_spec *s = x->c.spec;
	struct husk_err err = { 0 };
	/* ends with the husk exec that relays it; exec --detach: lives on (its parent is
	 * the engine's subreaper once husk exits) */
	if (!s->oci.detach)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (io_child_setup(&x->c.io, s, sock, &err) ||
	    (s->tty && !spec_getenv(s, "TERM") && spec_setenv(s, "TERM=xterm", &err)))
		sync_fail(sock, &err);
	process_finalize_exec(s, &x->plan, sock, false, -1, 0);
}

/* A: cgroup, namespaces, root; then B, a child of husk, and A is done. */
__attribute__((noreturn)) static void exec_joiner(struct exec_ctx *x)
{
	int sock = x->sock[1];
	struct husk_err err = { 0 };
	close(x->sock[0]);
	close(x->pid_pipe[0]);
	if (!x->in_cgroup && join_cgroup(x->t->rec, &err))
		sync_fail(sock, &err);
	if (setns(x->t->pidfd, x->ns_flags) < 0) {
		husk_error(&err, errno, "exec: setns into the namespaces of %s", x->t->name);
		sync_fail(sock, &err);
	}
	if (fchdir(x->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		husk_error(&err, errno, "exec: chroot into the root of %s", x->t->name);
		sync_fail(sock, &err);
	}
	/* in the container's user namespace we are still the host's uid 0 (unmapped
	 * there): become the namespace's root, as the container's own process did */
	if ((x->ns_flags & CLONE_NEWUSER) && userns_become_root(&err))
		sync_fail(sock, &err);
	pid_t b = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
	if (b == 0)
		exec_child(x, sock);
	if (b < 0) {
		husk_error(&err, errno, "exec: clone in the container of %s", x->t->name);
		sync_fail(sock, &err);
	}
	(void)!write(x->pid_pipe[1], &b, sizeof b);
	_exit(0);
}

/* husk: B's pid from A, then B's messages until its execve closes the socket. */
static int exec_handshake(struct exec_ctx *x, pid_t a, struct husk_err *err)
{
	pid_t b = 0;
	ssize_t n = read(x->pid_pipe[0], &b, sizeof b);
	while (waitpid(a, NULL, 0) < 0 && errno == EINTR)
		;
	if (n == sizeof b)
		x->c.pid = b;
	x->c.sync_fd = x->sock[0];
	int r = container_handshake(&x->c, err);
	x->c.sync_fd = -1;
	if (r == 0 && x->c.pid <= 0)
		return husk_error(err, 0, "exec: the command did not start");
	return r;
}

static int exec_start(struct exec_ctx *x, struct husk_err *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sock) < 0 ||
	    pipe2(x->pid_pipe, O_CLOEXEC) < 0)
		return husk_error(err, errno, "exec: socketpair");
	/* v2: A starts in the container's cgroup (clone3), as PID 1 did: a write to
	 * cgroup.procs would wait for the kernel's threadgroup lock instead */
	const char *v2 = NULL;
	json_object *cg = NULL;
	if (json_object_object_get_ex(x->t->rec, "cgroup", &cg))
		v2 = state_get_str(cg, "path", NULL);
	cleanup_close int cg_fd = v2 ? open(v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	pid_t a = ns_clone(0, cg_fd, &x->in_cgroup);
	if (a < 0 && cg_fd >= 0) /* not allowed there: join_cgroup says why */
		a = ns_clone(0, -1, &x->in_cgroup);
	if (a < 0)
		return husk_error(err, errno, "exec: fork");
	if (a == 0)
		exec_joiner(x);
	close(x->sock[1]);
	close(x->pid_pipe[1]);
	int r = exec_handshake(x, a, err);
	close(x->sock[0]);
	close(x->pid_pipe[0]);
	if (r < 0 && x->c.pid > 0) { /* B failed: it has exited, or is about to */
		while (waitpid(x->c.pid, NULL, 0) < 0 && errno == EINTR)
			;
		x->c.pid = 0;
	}
	return r;
}

/* Everything before A forks: PID 1's root and namespaces, the plan of the process. */
static int exec_prepare(struct exec_ctx *x, struct husk_spec *s, struct husk_err *err)
{
	const struct exec_target *t = x->t;
	char root[64];
	snprintf(root, sizeof root, "/proc/%d/root", (int)t->pid);
	x->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	x->ns_flags = ns_flags_of(t->pid);
	/* checked again after the opens: still the same PID 1 */
	if (x->root_fd < 0 || state_pid_start(t->pid) !=
			      (unsigned long long)state_get_int(t->rec, "pid_start", 0))
		return husk_error_code(err, 1, 0, "container %s is not running", t->name);
	if (plan_security(&x->plan, s, err))
		return -1;
	x->c.io.stdin_open = s->tty && s->interactive;
	return 0;
}

/* OCI exec, once the process exec'd: its pid file, its pty master to the console
 * socket (husk relays nothing then). */
static int exec_oci_started(struct exec_ctx *x, const struct husk_spec *s, struct husk_err *err)
{
	if (s->oci.pid_file && pid_file_write(s->oci.pid_file, x->c.pid, err))
		return -1;
	if (s->tty && s->oci.console_socket) {
		if (x->c.io.master < 0)
			return husk_error(err, 0, "exec: the process's terminal did not arrive");
		if (console_resize(x->c.io.master, s->oci.console_height, s->oci.console_width, err) ||
		    console_send(s->oci.console_socket, x->c.io.master, err))
			return -1;
		close(x->c.io.master);
		x->c.io.master = -1;
	}
	return 0;
}

int exec_run(struct husk_spec *s, const struct exec_target *t, struct husk_err *err)
{
	struct exec_ctx x = { .t = t, .root_fd = -1 };
	plan_init(&x.plan);
	container_init(&x.c, s, &x.plan);
	int code = -1;
	if (s->oci.active)
		x.c.io.stdin_fd = -1; /* the caller's terminal is the engine's, never made raw */
	if (exec_prepare(&x, s, err) == 0) {
		container_block_signals(&x.c.saved_mask);
		if (exec_start(&x, err) == 0 && exec_oci_started(&x, s, err) == 0)
			code = s->oci.detach ? 0 : container_wait(&x.c);
	}
	io_close(&x.c.io);
	if (x.root_fd >= 0)
		close(x.root_fd);
	plan_free(&x.plan);
	return code;
}
