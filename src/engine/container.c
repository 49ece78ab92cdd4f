/* create -> start -> wait -> destroy. The host side is built in this order and
 * undone in the reverse order on every path: state dir, cgroup, network, I/O. */
#include "engine/container.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/child.h"
#include "engine/console.h"
#include "engine/hooks.h"
#include "engine/layer_dir.h"
#include "engine/start_gate.h"
#include "engine/state.h"
#include "engine/sync.h"
#include "engine/wait.h"
#include "linux/cgroup/cgroup_path.h"
#include "linux/cgroup/device_rules.h"
#include "linux/cgroup/oci_limits.h"
#include "linux/ns.h"
#include "linux/userns/rootless.h"
#include "util/explain.h"

void container_init(struct container *c, struct husk_spec *s, const struct husk_plan *p)
{
	memset(c, 0, sizeof *c);
	c->spec = s;
	c->plan = p;
	c->lock_fd = -1;
	c->sync_fd = -1;
	c->gate_fd = -1;
	c->cg.v2_fd = -1;
	userns_init(&c->userns);
	io_init(&c->io);
}

/* Undo, in reverse order of creation. Safe at any stage of a failed create. */
static void container_destroy(struct container *c)
{
	if (c->pid > 0) {
		/* PID 1's death takes the whole PID namespace with it */
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
	if (c->sync_fd >= 0)
		close(c->sync_fd);
	c->sync_fd = -1;
	io_close(&c->io);
	net_teardown(&c->net);
	cgroup_destroy(&c->cg);
	userns_release(&c->userns);
	host_mounts_undo(&c->host_mounts);
	host_mounts_free(&c->host_mounts);
	if (c->keep_state)
		return;
	state_remove(c->state_dir, c->lock_fd);
	c->state_dir[0] = '\0';
	c->lock_fd = -1;
}

/* The cgroup: husk/<name>, or a bundle's cgroupsPath with its resources. */
static int container_cgroup(struct container *c, struct husk_err *err)
{
	const struct husk_spec *s = c->spec;
	if (!s->oci.active)
		return cgroup_create(&c->cg, s->name, &s->res, err);
	char rel[192];
	const char *extra[8];
	oci_limits_controllers(&s->oci.res, extra);
	if (cgroup_path_expand(s->oci.cgroups_path, s->oci.systemd_cgroup, s->name, rel, sizeof rel,
			       err))
		return -1;
	int r = cgroup_create_at(&c->cg, s->name, rel, extra, &s->res, err);
	c->cg.extra = NULL; /* it pointed here, at extra */
	return r || oci_limits_apply(&c->cg, &s->oci.res, err) ? -1 : 0;
}

/* A bundle's network: the namespace only (no bridge, no hosts files); lo comes up
 * in the child. */
static int oci_net(struct net_state *n, const struct husk_spec *s)
{
	memset(n, 0, sizeof *n);
	/* a namespace given by path is its maker's: lo is left as it is (runc brings up
	 * lo only in a new one; a new user namespace could not touch a host-owned one) */
	const struct oci_namespace *ns = spec_oci_namespace(&s->oci, CLONE_NEWNET);
	n->mode = ns && ns->path ? NET_HOST : s->net;
	n->lease_fd = -1;
	return 0;
}

/* Host side, before the child exists. A bundle's network is its engine's: husk only
 * gives the namespace (with lo up). */
static int container_create(struct container *c, struct husk_err *err)
{
	struct husk_spec *s = c->spec;
	if ((!c->keep_state && state_create(s, c->state_dir, sizeof c->state_dir, &c->lock_fd, err)) ||
	    (s->n_lower && s->layer_root && layer_dir_ensure(s->layer_root, c->state_dir, s->name, err)) ||
	    userns_prepare(&c->userns, s, &c->plan->userns, err) ||
	    (s->rootless ? rootless_cgroup(&c->cg, s, err) :
			   container_cgroup(c, err) || devices_setup(&c->cg, s, err)) ||
	    (s->oci.active ? oci_net(&c->net, s) : net_prepare(&c->net, s, c->state_dir, err)) ||
	    io_prepare(&c->io, s, c->capture, err) ||
	    (s->oci.active && start_gate_create(c->state_dir, err)) ||
	    (host_mounts_wanted(s) && host_mounts_snapshot(s->rootfs, &c->host_mounts, err)))
		return -1;
	return 0;
}

/* The child's SYNC_ERROR, as husk's error: its message, exit code and errno. */
static int child_error(const struct sync_msg *m, struct husk_err *err)
{
	husk_error_code(err, m->exit_code ? m->exit_code : HUSK_EXIT_FAILURE, 0, "%s", m->msg);
	err->errnum = m->errnum;
	return -1;
}

int container_handshake(struct container *c, struct husk_err *err)
{
	for (;;) {
		struct sync_msg m;
		int fd = -1;
		int r = sync_recv(c->sync_fd, &m, &fd);
		if (r == 0)
			return 0; /* execve succeeded: the close-on-exec end is gone */
		if (r < 0)
			return husk_error(err, errno, "reading from the container's setup");
		if (m.type == SYNC_PTY_MASTER && fd >= 0) {
			io_set_master(&c->io, fd);
			continue;
		}
		if (m.type == SYNC_READY)
			return 0; /* OCI create: set up, waiting at its start gate */
		if (m.type == SYNC_HOOKS) {
			/* the child has mounted and waits before pivot_root */
			if (hooks_run_runtime_side(c->spec, c->pid, err))
				return -1;
			if (sync_send(c->sync_fd, SYNC_GO, -1) < 0)
				return husk_error(err, errno, "resuming the container after its hooks");
			continue;
		}
		if (m.type == SYNC_ERROR)
			return child_error(&m, err);
	}
}

/* v1: the child's SYNC_IN_CGROUP (cgroup_self_enter), or why it could not move. */
static int container_wait_in_cgroup(struct container *c, struct husk_err *err)
{
	struct sync_msg m;
	int fd = -1;
	int r = sync_recv(c->sync_fd, &m, &fd);
	if (fd >= 0)
		close(fd);
	if (r == 1 && m.type == SYNC_IN_CGROUP)
		return 0;
	if (r == 1 && m.type == SYNC_ERROR)
		return child_error(&m, err);
	return husk_error(err, r < 0 ? errno : 0, "the container's PID 1 ended before joining its cgroup");
}

/* PID 1 of the container, in its namespaces: cloned by husk, or (a user namespace
 * with namespaces given by path, or given by path itself) by a short-lived process
 * that joins them first (ns.h). A PID namespace given by path is entered around
 * the clone. Returns as fork() does. */
static pid_t container_clone(struct container *c, unsigned long flags, bool *in_cgroup,
			     struct husk_err *err)
{
	const struct husk_spec *s = c->spec;
	int saved_pidns = -1;
	if (ns_pid_enter(s, &saved_pidns, err))
		return -1;
	bool middle = ns_joins_first(s) || c->userns.held;
	pid_t pid = middle ?
		ns_clone_after_joins(s, c->userns.join_fd, flags, c->cg.v2_fd, in_cgroup, err) :
		ns_clone(flags, c->cg.v2_fd, in_cgroup);
	if (pid != 0)
		ns_pid_leave(saved_pidns);
	if (pid < 0 && !middle)
		husk_error(err, errno, "clone (new namespaces)");
	return pid;
}

static void explain_clone(const struct container *c, unsigned long flags, bool in_cgroup,
			  uint64_t t)
{
	char ns[128];
	ns_describe(flags, ns, sizeof ns);
	if (c->userns.joined)
		EXPLAIN(t, "nsenter --user=%s unshare %s --fork   # PID 1 of the container is host "
			"PID %d", spec_oci_namespace(&c->spec->oci, CLONE_NEWUSER)->path, ns, c->pid);
	else if (c->userns.held)
		EXPLAIN(t, "nsenter --user=/proc/$(pgrep -u $USER -x husk-userns)/ns/user unshare %s "
			"--fork   # PID 1 of the container is host PID %d", ns, c->pid);
	else
		EXPLAIN(t, "unshare %s --fork   # PID 1 of the container is host PID %d", ns, c->pid);
	if (in_cgroup) /* what writing cgroup.procs does, done by clone3 itself */
		EXPLAIN(t, "# clone3(CLONE_INTO_CGROUP): PID 1 started inside %s (no cgroup.procs write)",
			c->cg.v2_path);
}

static int container_start(struct container *c, struct husk_err *err)
{
	struct husk_spec *s = c->spec;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return husk_error(err, errno, "socketpair");

	/* v1: PID 1 moves itself into its cgroups, through files opened here
	 * (cgroup_self_enter in child.c); v2: clone3 puts it there */
	if (cgroup_self_prepare(&c->cg, err)) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	bool self_enter = c->cg.n_self > 0;
	unsigned long flags = ns_clone_flags(s);
	if (c->userns.held) /* made in the holder's, which the middle process enters */
		flags &= ~(unsigned long)CLONE_NEWUSER;
	EXPLAIN_START(t);
	bool in_cgroup = false;
	pid_t pid = container_clone(c, flags, &in_cgroup, err);
	if (pid < 0) {
		cgroup_self_close(&c->cg);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(c, sv[1]);
	}
	cgroup_self_close(&c->cg);
	close(sv[1]);
	c->pid = pid;
	c->sync_fd = sv[0];
	if (explain_enabled)
		explain_clone(c, flags, in_cgroup, t);
	io_parent_after_clone(&c->io);

	/* clone3(CLONE_INTO_CGROUP) put the child in its cgroup already on v2; on v1
	 * it moves itself, and says so */
	if (self_enter ? container_wait_in_cgroup(c, err) :
			 !in_cgroup && cgroup_enter(&c->cg, pid, err))
		return -1;
	if (userns_attach(&c->userns, s, pid, c->sync_fd, err) || net_attach(&c->net, s, pid, err))
		return -1;
	/* a bundle's prestart and createRuntime hooks run when the child has mounted
	 * (SYNC_HOOKS, in container_handshake) */
	if (sync_send(c->sync_fd, SYNC_GO, -1) < 0)
		return husk_error(err, errno, "starting the container");
	if (container_handshake(c, err))
		return -1;
	return state_write(c, s->oci.active ? "created" : "running", err);
}

/* --console-socket: the pty master goes to the engine, sized as process.consoleSize */
static int container_send_console(struct container *c, struct husk_err *err)
{
	const struct husk_spec *s = c->spec;
	if (!s->tty)
		return 0;
	if (c->io.master < 0)
		return husk_error(err, 0, "the container's terminal did not arrive");
	if (console_resize(c->io.master, s->oci.console_height, s->oci.console_width, err) ||
	    console_send(s->oci.console_socket, c->io.master, err))
		return -1;
	return 0;
}

int container_create_waiting(struct husk_spec *s, const struct husk_plan *p,
			     void (*record_edit)(struct json_object *o, const struct container *c),
			     int (*created)(const struct container *c, void *arg, struct husk_err *err),
			     void *arg, struct husk_err *err)
{
	struct container c;
	container_init(&c, s, p);
	c.record_edit = record_edit;
	c.io.stdin_fd = -1; /* the caller's terminal is never put in raw mode */
	if (container_create(&c, err) || container_start(&c, err) ||
	    container_send_console(&c, err) || (created && created(&c, arg, err))) {
		container_destroy(&c);
		return -1;
	}
	/* let go: the process stays, waiting; its parent will be our caller's subreaper */
	c.pid = 0;
	close(c.sync_fd);
	c.sync_fd = -1;
	io_close(&c.io);
	host_mounts_free(&c.host_mounts); /* recorded: delete unmounts them */
	if (c.cg.v2_fd >= 0)
		close(c.cg.v2_fd);
	if (c.lock_fd >= 0)
		close(c.lock_fd);
	return 0;
}

static void report_oom(struct container *c)
{
	char lim[32] = "none";
	if (c->cg.memory_limit)
		format_size(c->cg.memory_limit, lim, sizeof lim);
	husk_warn("container %s was killed: out of memory (limit %s)", c->spec->name, lim);
}

void container_block_signals(sigset_t *saved)
{
	sigset_t set;
	wait_signal_set(&set);
	/* a shell starts background jobs with SIGINT ignored: an ignored signal never
	 * reaches the signalfd, so take the default back before blocking */
	for (int i = 0; i < husk_n_forwarded_signals; i++)
		signal(husk_forwarded_signals[i], SIG_DFL);
	sigprocmask(SIG_BLOCK, &set, saved);
	signal(SIGPIPE, SIG_IGN);
}

int container_run(struct husk_spec *s, const struct husk_plan *p, struct husk_err *err)
{
	struct container c;
	container_init(&c, s, p);
	container_block_signals(&c.saved_mask);
	if (container_launch(&c, err))
		return -1;
	int code = container_wait(&c);
	c.pid = 0; /* reaped */
	return container_finish(&c, code);
}

int container_launch(struct container *c, struct husk_err *err)
{
	if (container_create(c, err) || container_start(c, err)) {
		container_destroy(c);
		return -1;
	}
	close(c->sync_fd);
	c->sync_fd = -1;
	return 0;
}

int container_finish(struct container *c, int code)
{
	/* the kernel's OOM killer sends SIGKILL: say why the container died (137 also
	 * comes from --init passing on its child's SIGKILL) */
	if (cgroup_oom_killed(&c->cg)) {
		c->oom = 1;
		if (code == 128 + SIGKILL)
			report_oom(c);
		else
			husk_warn("container %s: a process inside was killed: out of memory", c->spec->name);
	}
	EXPLAIN_START(t);
	container_destroy(c);
	EXPLAIN(t, "clean-up: network, cgroup%s of %s removed", c->keep_state ? "" : " and state",
		c->spec->name);
	return code;
}
