/* The finalize-and-exec sequence of process.h. */
#include "engine/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/init.h"
#include "engine/process_oci.h"
#include "engine/sync.h"
#include "linux/security/caps.h"
#include "linux/security/caps_sets.h"
#include "linux/userns/userns.h"
#include "util/cleanup.h"
#include "util/explain.h"
#include "util/passwd.h"
#include "util/path.h"

/* Finds argv[0] in the container's PATH: 127 if it is nowhere, 126 if it cannot run. */
static int find_command(const struct husk_spec *s, char *out, size_t len, struct husk_err *err)
{
	const char *cmd = s->argv[0];
	struct stat st;
	if (strchr(cmd, '/')) {
		if (stat(cmd, &st) < 0)
			return husk_error_code(err, errno == ENOENT ? HUSK_EXIT_NOT_FOUND : HUSK_EXIT_CANNOT_EXEC,
					       errno, "command '%s'", cmd);
		if (path_format(out, len, err, "command", "%s", cmd))
			return -1;
	} else {
		const char *path = spec_getenv(s, "PATH");
		cleanup_free char *dirs = strdup(path ? path : HUSK_DEFAULT_PATH);
		if (!dirs)
			return husk_error(err, ENOMEM, "command '%s'", cmd);
		char *save = NULL;
		bool found = false;
		/* a candidate longer than PATH_MAX cannot name a file: it is skipped */
		for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save))
			found = path_fits(out, len, "%s/%s", *d ? d : ".", cmd) && stat(out, &st) == 0 &&
				!S_ISDIR(st.st_mode);
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
static int set_user(struct husk_spec *s, struct husk_err *err)
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

static int enter_workdir(const struct husk_spec *s, struct husk_err *err)
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

static int drop_privileges(const struct husk_spec *s, const struct husk_plan *p,
			   struct husk_err *err)
{
	if (s->oci.active ? caps_sets_apply(s->oci.caps, p->retain_sys_admin, err)
			  : caps_apply(p->caps, p->retain_sys_admin, err))
		return -1;
	if (s->sec.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return husk_error(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	/* close-on-exec, not close: the sync socket must stay until execve; a bundle's
	 * --preserve-fds N keeps 3 .. 3+N-1 */
	if (syscall(SYS_close_range, 3 + (unsigned)s->oci.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return husk_error(err, errno, "close_range");
	return 0;
}

/* The filter must allow what is left (fork, signal dispositions, execve). */
static int load_seccomp(const struct husk_spec *s, const struct husk_plan *p,
			struct husk_err *err)
{
	if (!p->seccomp)
		return 0;
	if (seccomp_filter_load(&p->filter, err))
		return -1;
	if (!p->retain_sys_admin)
		return 0;
	return s->oci.active ? caps_sets_drop_retained(s->oci.caps, err)
			     : caps_drop_retained(p->caps, err);
}

/* An engine turns these words into 127 and 126 (docker, podman): runc's wording. */
static void oci_words(const struct husk_spec *s, struct husk_err *err)
{
	if (!s->oci.active || (err->exit_code != HUSK_EXIT_NOT_FOUND &&
			       err->exit_code != HUSK_EXIT_CANNOT_EXEC))
		return;
	int code = err->exit_code, e = err->errnum;
	err->set = 0;
	if (code == HUSK_EXIT_NOT_FOUND)
		husk_error_code(err, code, 0, "exec: \"%s\": executable file not found in $PATH",
				s->argv[0]);
	else
		husk_error_code(err, code, 0, "exec: \"%s\": %s", s->argv[0],
				e == EACCES || e == EPERM ? "permission denied" : strerror(e));
}

/* After the start gate nobody reads the sync socket: the container's stderr says it. */
__attribute__((noreturn)) static void fail_after_gate(struct husk_err *err)
{
	_exit(husk_error_print(err));
}

static void reset_signals(void)
{
	/* the command starts as under docker: every signal at its default, none blocked */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void process_finalize_exec(struct husk_spec *s, const struct husk_plan *p, int sock, bool init,
			   int gate_fd, pid_t host_pid)
{
	struct husk_err err = { 0 };
	char path[PATH_MAX];
	if ((s->oci.active && process_oci_limits(s, &err)) ||
	    (s->oci.active ? process_oci_user(s, &err) : set_user(s, &err)) ||
	    enter_workdir(s, &err) || find_command(s, path, sizeof path, &err) ||
	    drop_privileges(s, p, &err)) {
		oci_words(s, &err);
		sync_fail(sock, &err);
	}
	/* OCI create: husk start releases the process; startContainer hooks run then */
	if (gate_fd >= 0 && process_oci_gate(s, sock, gate_fd, host_pid, &err))
		fail_after_gate(&err);
	if (load_seccomp(s, p, &err)) {
		if (gate_fd >= 0)
			fail_after_gate(&err);
		sync_fail(sock, &err);
	}

	/* seccomp came before this fork so that PID 1 is confined too */
	if (init) {
		pid_t pid = fork();
		if (pid < 0) {
			husk_error(&err, errno, "--init: fork");
			sync_fail(sock, &err);
		}
		if (pid > 0) {
			close(sock);
			init_main(pid);
		}
	}

	reset_signals();
	EXPLAIN_START(t);
	EXPLAIN(t, "exec %s", path);
	execve(path, s->argv, s->env);
	husk_error_code(&err, errno == ENOENT ? HUSK_EXIT_NOT_FOUND : HUSK_EXIT_CANNOT_EXEC, errno,
			"cannot execute '%s'", path);
	oci_words(s, &err);
	if (gate_fd >= 0)
		fail_after_gate(&err);
	sync_fail(sock, &err);
}
