/* The child-side setup sequence, in the order the kernel steps happen. Any failure
 * travels back to the parent over the sync socket; the parent prints it and undoes
 * the host side. */
#include "engine/child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/container.h"
#include "engine/hooks.h"
#include "engine/process_oci.h"
#include "engine/start_gate.h"
#include "engine/process.h"
#include "engine/sync.h"
#include "linux/fs/rootfs.h"
#include "linux/ns.h"
#include "linux/security/masked_paths.h"
#include "linux/userns/userns.h"
#include "util/cleanup.h"
#include "util/explain.h"

/* The generated /etc/hosts and resolv.conf live in the state dir, which only the
 * host's root may enter: held open (O_PATH) before this process becomes the
 * namespace's root, and bound from /proc/self/fd. */
static int child_hold_net_files(struct net_state *n, struct husk_err *err)
{
	char *files[] = { n->hosts_file, n->resolv_file };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (!files[i][0])
			continue;
		int fd = open(files[i], O_PATH | O_CLOEXEC);
		if (fd < 0)
			return husk_error(err, errno, "open %s", files[i]);
		snprintf(files[i], sizeof n->hosts_file, "/proc/self/fd/%d", fd);
	}
	return 0;
}

/* Root of the user namespace from here on. Changing the euid clears the parent-death
 * signal: armed again, then a look at the socket in case husk died in between (a
 * container that outlives its husk would keep ids whose lease is gone). */
static int child_enter_userns(struct container *c, int sock, struct husk_err *err)
{
	/* --userns keep-id without a subuid range maps no root: the caller's uid does the
	 * setup with the capabilities a namespace's creator has in it */
	bool root_mapped = idmap_to_host(&c->userns.uids, 0) >= 0;
	if (child_hold_net_files(&c->net, err) || (root_mapped && userns_become_root(err)))
		return -1;
	if (!c->spec->oci.active) /* a bundle's process is never tied to husk create */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct pollfd p = { .fd = sock, .events = POLLIN | POLLRDHUP };
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP)))
		_exit(HUSK_EXIT_FAILURE);
	return 0;
}

/* husk run always has a cgroup namespace; a bundle when it asks for a new one */
static bool child_wants_cgroupns(const struct husk_spec *s)
{
	if (!s->oci.active)
		return true;
	const struct oci_namespace *ns = spec_oci_namespace(&s->oci, CLONE_NEWCGROUP);
	return ns && !ns->path;
}

/* This process as the host sees it (getpid() says 1 in the new PID namespace): the
 * host's /proc is still mounted here. The hooks' state carries it, as runtime-spec
 * says ("the ID of the container process, as seen by the host"). */
static pid_t host_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
	if (n <= 0)
		return getpid();
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

/* Waits for the parent's SYNC_GO; the fd of a SYNC_ROOT_TREE on the way goes to
 * *ROOT_TREE_FD (if given; any other fd is closed). The parent gone, or a step of
 * its failed: this process ends. */
static void wait_go(int sock, int *root_tree_fd)
{
	struct sync_msg m;
	for (;;) {
		int fd = -1;
		if (sync_recv(sock, &m, &fd) != 1)
			_exit(HUSK_EXIT_FAILURE);
		if (m.type == SYNC_GO)
			return;
		if (m.type == SYNC_ROOT_TREE && fd >= 0 && root_tree_fd)
			*root_tree_fd = fd;
		else if (fd >= 0)
			close(fd);
	}
}

/* The parent runs the prestart and createRuntime hooks while this process waits,
 * mounted, before pivot_root; a failed hook ends it (the parent kills it). */
static int child_wait_hooks(int sock)
{
	if (sync_send(sock, SYNC_HOOKS, -1) < 0)
		_exit(HUSK_EXIT_FAILURE);
	wait_go(sock, NULL);
	return 0;
}

void child_main(struct container *c, int sock)
{
	struct husk_spec *s = c->spec;
	struct husk_err err = { 0 };
	c->pid = host_pid();

	/* 0. v1: into the container's cgroups first, so that everything the parent does
	 * with this process (a port forwarder charged to its memory cgroup, the hooks)
	 * finds it there, as when the parent moved it */
	if (c->cg.n_self) {
		if (cgroup_self_enter(&c->cg, &err))
			sync_fail(sock, &err);
		if (sync_send(sock, SYNC_IN_CGROUP, -1) < 0)
			_exit(HUSK_EXIT_FAILURE);
	}

	/* 1. die with husk (not in the OCI face: the engine, not `husk create`, is the
	 * parent that lasts); wait until the parent has put us in our network
	 * (and, with a user namespace, written our maps and sent the idmapped root) */
	if (!s->oci.active)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	wait_go(sock, &c->userns.root_tree_fd);
	/* OCI create: the start gate, opened while the state dir is still ours to enter */
	if (s->oci.active && (c->gate_fd = start_gate_open(c->state_dir, &err)) < 0)
		sync_fail(sock, &err);
	/* an image's idmapped overlay lives in husk's state dir: attached, and entered,
	 * while this process still has the host's ids to reach it */
	if (c->userns.root_tree_fd >= 0 && s->n_lower) {
		if (rootfs_attach_early(s, c->userns.root_tree_fd, &err))
			sync_fail(sock, &err);
		close(c->userns.root_tree_fd);
		c->userns.root_tree_fd = ROOTFS_AT_CWD;
	}
	if (spec_has_userns(s) && child_enter_userns(c, sock, &err))
		sync_fail(sock, &err);

	/* 2. a bundle's namespaces given by path (a pod's network, IPC, UTS: with a user
	 * namespace, joined before it by ns_clone_after_joins); a cgroup namespace rooted
	 * at our own cgroup (we are in it now) */
	if (s->oci.active && !ns_joins_first(s) && ns_join_paths(s, &err))
		sync_fail(sock, &err);
	EXPLAIN_START(t);
	if (child_wants_cgroupns(s) && unshare(CLONE_NEWCGROUP) < 0) {
		husk_error(&err, errno, "unshare --cgroup");
		sync_fail(sock, &err);
	}
	EXPLAIN(t, "unshare --cgroup");
	umask(0);

	/* 3. root filesystem: private propagation, mounts, (a bundle's prestart and
	 * createRuntime hooks, run by the parent, then its createContainer hooks, which
	 * see the runtime's paths still), pivot_root; a bundle's sysctl before the
	 * read-only paths cover /proc/sys */
	if (rootfs_prepare(s, &c->net, c->cg.mode, c->userns.root_tree_fd, &err) ||
	    (hooks_runtime_side(s) && child_wait_hooks(sock)) ||
	    hooks_run(s, OCI_HOOK_CREATE_CONTAINER, "created", c->pid, &err) ||
	    rootfs_switch(s, c->userns.root_tree_fd, &err) || (s->oci.active && process_oci_kernel(s, &err)) ||
	    masked_paths_apply(s, &err))
		sync_fail(sock, &err);
	if (c->userns.root_tree_fd >= 0)
		close(c->userns.root_tree_fd);

	/* 4. hostname (UTS namespace) and the network inside */
	t = explain_enabled ? explain_now() : 0;
	if (s->hostname[0] && sethostname(s->hostname, strlen(s->hostname)) < 0) {
		husk_error(&err, errno, "hostname %s", s->hostname);
		sync_fail(sock, &err);
	}
	EXPLAIN(t, "hostname %s", s->hostname);
	if (net_child_setup(&c->net, &err))
		sync_fail(sock, &err);

	/* 5. standard streams: a pty whose master goes to the parent, or the given fds */
	if (io_child_setup(&c->io, s, sock, &err) ||
	    (s->oci.active && s->tty && process_oci_console(&err)))
		sync_fail(sock, &err);

	/* 6. user, workdir, privileges, seccomp, --init, signals, exec (process.h) */
	umask(022);
	process_finalize_exec(s, c->plan, sock, s->init, c->gate_fd, c->pid);
}
