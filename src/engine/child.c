/* The child-side setup sequence, in the order the kernel steps happen. Any failure
 * travels back to the parent over the sync socket; the parent prints it and undoes
 * the host side. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/container.h"
#include "engine/sync.h"
#include "linux/security/caps.h"
#include "linux/security/masked_paths.h"
#include "linux/fs/rootfs.h"
#include "linux/userns/userns.h"
#include "linux/security/seccomp/seccomp.h"
#include "util/cleanup.h"
#include "util/explain.h"
#include "util/passwd.h"

__attribute__((noreturn)) static void child_fail(int sock, struct husk_err *err)
{
	sync_send_error(sock, err);
	_exit(err->exit_code ? err->exit_code : HUSK_EXIT_FAILURE);
}

/* Finds argv[0] in the container's PATH: 127 if it is nowhere, 126 if it cannot run. */
static int find_command(const struct husk_spec *s, char *out, size_t len, struct husk_err *err)
{
	const char *cmd = s->argv[0];
	struct stat st;
	if (strchr(cmd, '/')) {
		if (stat(cmd, &st) < 0)
			return husk_error_code(err, errno == ENOENT ? HUSK_EXIT_NOT_FOUND : HUSK_EXIT_CANNOT_EXEC,
					       errno, "command '%s'", cmd);
		snprintf(out, len, "%s", cmd);
	} else {
		const char *path = spec_getenv(s, "PATH");
		char dirs[4096];
		snprintf(dirs, sizeof dirs, "%s", path ? path : HUSK_DEFAULT_PATH);
		char *save = NULL;
		bool found = false;
		for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
			snprintf(out, len, "%s/%s", *d ? d : ".", cmd);
			found = stat(out, &st) == 0 && !S_ISDIR(st.st_mode);
		}
		if (!found)
			return husk_error_code(err, HUSK_EXIT_NOT_FOUND, 0,
					       "command not found: '%s' (not in the container's PATH)", cmd);
	}
	if (S_ISDIR(st.st_mode))
		return husk_error_code(err, HUSK_EXIT_CANNOT_EXEC, EISDIR, "cannot execute '%s'", out);
	if (access(out, X_OK) < 0)
		return husk_error_code(err, HUSK_EXIT_CANNOT_EXEC, errno, "cannot execute '%s'", out);
	return 0;
}

/* Switches to the requested user; sets HOME. Runs as root before capabilities go. */
int child_set_user(struct husk_spec *s, struct husk_err *err)
{
	struct husk_user u = { .uid = 0, .gid = 0, .home = "/root" };
	if (s->user) {
		cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (passwd_resolve(root, s->user, &u, err))
			return -1;
	}
	if (!spec_getenv(s, "HOME")) {
		char kv[300];
		snprintf(kv, sizeof kv, "HOME=%s", u.home[0] ? u.home : "/");
		if (spec_setenv(s, kv, err))
			return -1;
	}
	if (!s->user)
		return !userns_setgroups_denied() && setgroups(0, NULL) < 0 ? husk_error(err, errno, "setgroups") : 0;
	EXPLAIN_START(t);
	/* keep capabilities across setuid so caps_apply decides what stays */
	if (prctl(PR_SET_KEEPCAPS, 1) < 0 ||
	    (!userns_setgroups_denied() && setgroups((size_t)u.ngroups, u.groups) < 0) ||
	    setresgid(u.gid, u.gid, u.gid) < 0 ||
	    setresuid(u.uid, u.uid, u.uid) < 0)
		return husk_error(err, errno, "switching to user '%s' (uid %u, gid %u)", s->user,
				  u.uid, u.gid);
	EXPLAIN(t, "setpriv --reuid %u --regid %u --init-groups", u.uid, u.gid);
	return 0;
}

int child_enter_workdir(const struct husk_spec *s, struct husk_err *err)
{
	const char *dir = s->workdir ? s->workdir : "/";
	if (chdir(dir) < 0)
		return husk_error(err, errno, "invalid --workdir '%s'", dir);
	/* a cwd reached through a leaked fd could lie outside the root (CVE-2024-21626) */
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/')
		return husk_error(err, errno ? errno : EPERM, "working directory '%s' is outside the container", dir);
	return 0;
}

int child_drop_privileges(const struct husk_spec *s, struct husk_err *err)
{
	if (caps_apply(s, err))
		return -1;
	if (s->sec.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return husk_error(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	/* close-on-exec, not close: the sync socket must stay until execve */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return husk_error(err, errno, "close_range");
	return 0;
}

void child_reset_signals(void)
{
	/* the command starts as under docker: every signal at its default, none blocked */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

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
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct pollfd p = { .fd = sock, .events = POLLIN | POLLRDHUP };
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP)))
		_exit(HUSK_EXIT_FAILURE);
	return 0;
}

void child_main(struct container *c, int sock)
{
	struct husk_spec *s = c->spec;
	struct husk_err err = { 0 };
	struct sync_msg m;

	/* 1. die with husk; wait until the parent has put us in our cgroup and network
	 * (and, with a user namespace, written our maps and sent the idmapped root) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		int fd = -1;
		if (sync_recv(sock, &m, &fd) != 1)
			_exit(HUSK_EXIT_FAILURE); /* the parent is gone */
		if (m.type == SYNC_GO)
			break;
		if (m.type == SYNC_ROOT_TREE && fd >= 0)
			c->userns.root_tree_fd = fd;
		else if (fd >= 0)
			close(fd);
	}
	if (spec_has_userns(s) && child_enter_userns(c, sock, &err))
		child_fail(sock, &err);

	/* 2. a cgroup namespace rooted at our own cgroup (we are in it now) */
	EXPLAIN_START(t);
	if (unshare(CLONE_NEWCGROUP) < 0) {
		husk_error(&err, errno, "unshare --cgroup");
		child_fail(sock, &err);
	}
	EXPLAIN(t, "unshare --cgroup");
	umask(0);

	/* 3. root filesystem: private propagation, mounts, then pivot_root */
	int root_fd = -1;
	if (rootfs_prepare(s, &c->net, c->cg.mode, c->userns.root_tree_fd, &root_fd, &err) || rootfs_switch(s, &err) ||
	    masked_paths_apply(s, &err))
		child_fail(sock, &err);
	close(root_fd);
	if (c->userns.root_tree_fd >= 0)
		close(c->userns.root_tree_fd);

	/* 4. hostname (UTS namespace) and the network inside */
	t = explain_enabled ? explain_now() : 0;
	if (sethostname(s->hostname, strlen(s->hostname)) < 0) {
		husk_error(&err, errno, "hostname %s", s->hostname);
		child_fail(sock, &err);
	}
	EXPLAIN(t, "hostname %s", s->hostname);
	if (net_child_setup(&c->net, &err))
		child_fail(sock, &err);

	/* 5. standard streams: a pty whose master goes to the parent, or the given fds */
	if (io_child_setup(&c->io, s, sock, &err))
		child_fail(sock, &err);

	/* 6. user, working directory, the command itself */
	char path[PATH_MAX];
	umask(022);
	if (child_set_user(s, &err) || child_enter_workdir(s, &err) || find_command(s, path, sizeof path, &err))
		child_fail(sock, &err);

	/* 7. privileges: capabilities, no_new_privs; every fd but 0-2 closes on exec */
	if (child_drop_privileges(s, &err))
		child_fail(sock, &err);

	/* 8. seccomp, before the --init fork so that PID 1 is confined too; the filter
	 * must allow what is left (fork, signal dispositions, execve) */
	if (seccomp_apply(s, &err))
		child_fail(sock, &err);

	/* 9. --init: PID 1 stays husk's reaper; the command runs as its child */
	if (s->init) {
		pid_t pid = fork();
		if (pid < 0) {
			husk_error(&err, errno, "--init: fork");
			child_fail(sock, &err);
		}
		if (pid > 0) {
			close(sock);
			init_main(pid);
		}
	}

	/* 10. signals back to default, exec */
	child_reset_signals();
	t = explain_enabled ? explain_now() : 0;
	EXPLAIN(t, "exec %s", path);
	execve(path, s->argv, s->env);
	husk_error_code(&err, errno == ENOENT ? HUSK_EXIT_NOT_FOUND : HUSK_EXIT_CANNOT_EXEC, errno,
			"cannot execute '%s'", path);
	child_fail(sock, &err);
}
