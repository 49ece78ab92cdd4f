#include "engine/process_oci.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/hooks.h"
#include "engine/start_gate.h"
#include "engine/sync.h"
#include "linux/fs/procfs.h"
#include "linux/fs/rootfs.h"
#include "linux/userns/userns.h"
#include "util/cleanup.h"
#include "util/explain.h"
#include "util/log.h"
#include "util/fs.h"
#include "util/passwd.h"
#include "util/path.h"

/* A hard limit above husk's own needs CAP_SYS_RESOURCE (podman asks RLIMIT_NOFILE
 * 1048576): without it, the most husk may give, said in the --log file. */
static void clamp_rlimit(int resource, struct rlimit *rl)
{
	struct rlimit cur;
	if (getrlimit(resource, &cur) < 0 || rl->rlim_max <= cur.rlim_max)
		return;
	char msg[160];
	snprintf(msg, sizeof msg, "process.rlimits: resource %d hard %llu clamped to %llu "
		 "(husk lacks CAP_SYS_RESOURCE)", resource, (unsigned long long)rl->rlim_max,
		 (unsigned long long)cur.rlim_max);
	log_write("warning", msg);
	rl->rlim_max = cur.rlim_max;
	if (rl->rlim_cur > rl->rlim_max)
		rl->rlim_cur = rl->rlim_max;
}

int process_oci_limits(const struct husk_spec *s, struct husk_err *err)
{
	const struct husk_oci *o = &s->oci;
	for (size_t i = 0; i < o->n_rlimits; i++) {
		struct rlimit rl = { .rlim_cur = o->rlimits[i].soft, .rlim_max = o->rlimits[i].hard };
		if (setrlimit(o->rlimits[i].resource, &rl) < 0 && errno == EPERM)
			clamp_rlimit(o->rlimits[i].resource, &rl);
		if (setrlimit(o->rlimits[i].resource, &rl) < 0)
			return husk_error(err, errno, "process.rlimits[%zu]: setrlimit(%d, %llu, %llu)", i,
					  o->rlimits[i].resource, (unsigned long long)rl.rlim_cur,
					  (unsigned long long)rl.rlim_max);
	}
	if (o->has_oom_score_adj) {
		char val[16];
		snprintf(val, sizeof val, "%d", o->oom_score_adj);
		/* through a verified procfs (CVE-2025-52881) */
		if (procfs_write("self/oom_score_adj", val, err))
			return -1;
	}
	return 0;
}

/* HOME of uid in the container's /etc/passwd ("/" if it has none), read as --user
 * reads it (util/passwd.c): after pivot_root, "/" is the container's root. */
static int home_of(uid_t uid, char *buf, size_t len, struct husk_err *err)
{
	snprintf(buf, len, "/");
	cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char spec[16];
	snprintf(spec, sizeof spec, "%u", (unsigned)uid);
	struct husk_user u;
	struct husk_err perr = { 0 };
	if (root < 0 || passwd_resolve(root, spec, &u, &perr) < 0)
		return root < 0 ? 0 : husk_error(err, 0, "process.user: the home directory of uid %u in "
					       "the container's /etc/passwd is longer than %zu bytes",
					       (unsigned)uid, sizeof u.home - 1);
	return path_format(buf, len, err, "process.user: home directory", "%s", u.home);
}

int process_oci_user(struct husk_spec *s, struct husk_err *err)
{
	const struct husk_oci *o = &s->oci;
	if (!spec_getenv(s, "HOME")) {
		char home[256], kv[300];
		if (home_of(o->uid, home, sizeof home, err))
			return -1;
		snprintf(kv, sizeof kv, "HOME=%s", home);
		char **n = realloc(s->env, (s->n_env + 2) * sizeof *n);
		if (!n || !(n[s->n_env] = strdup(kv)))
			return husk_error(err, ENOMEM, "HOME");
		s->env = n;
		s->env[++s->n_env] = NULL;
	}
	EXPLAIN_START(t);
	/* a user namespace whose gid_map its unprivileged owner wrote (a rootless bundle
	 * mapping the caller alone, `husk spec --rootless`): setgroups is denied there,
	 * and the process keeps the groups it has (none of the host's: unmapped) */
	bool no_setgroups = userns_setgroups_denied();
	if (no_setgroups && o->n_additional_gids)
		return husk_error(err, 0, "process.user.additionalGids: %zu groups asked for, but "
				  "setgroups is denied in this user namespace (its gid map was "
				  "written without newgidmap)", o->n_additional_gids);
	/* keep capabilities across setuid: the config's sets decide what stays */
	if (prctl(PR_SET_KEEPCAPS, 1) < 0 ||
	    (!no_setgroups && setgroups(o->n_additional_gids, o->additional_gids) < 0) ||
	    setresgid(o->gid, o->gid, o->gid) < 0 || setresuid(o->uid, o->uid, o->uid) < 0)
		return husk_error(err, errno, "process.user (uid %u, gid %u, %zu additional groups)",
				  o->uid, o->gid, o->n_additional_gids);
	umask(o->has_umask ? o->umask : 022);
	EXPLAIN(t, "setpriv --reuid %u --regid %u --groups ...", o->uid, o->gid);
	return 0;
}

int process_oci_kernel(const struct husk_spec *s, struct husk_err *err)
{
	const struct husk_oci *o = &s->oci;
	if (o->domainname && setdomainname(o->domainname, strlen(o->domainname)) < 0)
		return husk_error(err, errno, "domainname %s", o->domainname);
	for (size_t i = 0; i < o->n_sysctl; i++) {
		char path[512];
		int n = snprintf(path, sizeof path, "sys/%s", o->sysctl[i].key);
		if (n < 0 || (size_t)n >= sizeof path || strstr(o->sysctl[i].key, ".."))
			return husk_error(err, EINVAL, "linux.sysctl '%s'", o->sysctl[i].key);
		for (char *p = path + 4; *p; p++)
			if (*p == '.')
				*p = '/';
		EXPLAIN_START(t);
		if (procfs_write(path, o->sysctl[i].value, err))
			return -1;
		EXPLAIN(t, "sysctl -w %s=%s", o->sysctl[i].key, o->sysctl[i].value);
	}
	return 0;
}

int process_oci_gate(struct husk_spec *s, int sock, int gate_fd, pid_t host_pid,
		     struct husk_err *err)
{
	if (sync_send(sock, SYNC_READY, -1) < 0)
		return husk_error(err, errno, "telling husk create the container is ready");
	/* husk create returns now; husk start writes the byte */
	if (start_gate_wait(gate_fd, err))
		return -1;
	/* the gate's fd stays open until execve closes it: start waits for that */
	return hooks_run(s, OCI_HOOK_START_CONTAINER, "created", host_pid, err);
}

int process_oci_console(struct husk_err *err)
{
	char pts[64];
	ssize_t n = readlink("/proc/self/fd/0", pts, sizeof pts - 1);
	if (n <= 0 || (size_t)n >= sizeof pts - 1)
		return husk_error(err, errno, "/dev/console: the terminal's name");
	pts[n] = '\0';
	cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return husk_error(err, errno, "/dev/console: open /");
	/* as runc: the container's console is its terminal */
	return mount_in_root(root, pts, "/dev/console", NULL, MS_BIND, NULL, 1, err);
}
