#include "linux/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

/* A bundle's linux.namespaces: the new ones (those without a path). */
static unsigned long oci_clone_flags(const struct husk_oci *o)
{
	unsigned long f = 0;
	for (size_t i = 0; i < o->n_namespaces; i++)
		if (!o->namespaces[i].path && o->namespaces[i].type != CLONE_NEWCGROUP)
			f |= (unsigned long)o->namespaces[i].type;
	/* no mount namespace asked for: husk still makes one (as crun does), since its
	 * root switch must never happen in the caller's */
	if (!spec_oci_namespace(o, CLONE_NEWNS))
		f |= CLONE_NEWNS;
	return f;
}

unsigned long ns_clone_flags(const struct husk_spec *s)
{
	if (s->oci.active)
		return oci_clone_flags(&s->oci);
	unsigned long f = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
	if (s->net != NET_HOST)
		f |= CLONE_NEWNET;
	/* the kernel makes the user namespace first and the others owned by it */
	if (spec_has_userns(s))
		f |= CLONE_NEWUSER;
	return f;
}

pid_t ns_clone(unsigned long flags, int cgroup_fd, bool *in_cgroup)
{
	*in_cgroup = false;
#ifdef CLONE_INTO_CGROUP
	if (cgroup_fd >= 0) {
		struct clone_args args = {
			.flags = flags | CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)cgroup_fd,
		};
		pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
		if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL)) {
			*in_cgroup = pid >= 0;
			return pid;
		}
		/* an older kernel: fall back to clone + writing cgroup.procs */
	}
#else
	(void)cgroup_fd;
#endif
	/* raw clone with no stack: the child continues here, like fork() */
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

void ns_describe(unsigned long flags, char *buf, size_t len)
{
	static const struct { unsigned long f; const char *opt; } names[] = {
		{ CLONE_NEWPID, "--pid" },   { CLONE_NEWNS, "--mount" }, { CLONE_NEWUTS, "--uts" },
		{ CLONE_NEWIPC, "--ipc" },   { CLONE_NEWNET, "--net" },  { CLONE_NEWCGROUP, "--cgroup" },
		{ CLONE_NEWUSER, "--user" },
	};
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names) && off < len; i++)
		if (flags & names[i].f)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "", names[i].opt);
}

static const char *ns_name(int type)
{
	switch (type) {
	case CLONE_NEWNET: return "network";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWCGROUP: return "cgroup";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWNS: return "mount";
	default: return "user";
	}
}

static int join_one(const struct oci_namespace *ns, struct husk_err *err)
{
	cleanup_close int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return husk_error(err, errno, "linux.namespaces: %s namespace '%s'", ns_name(ns->type),
				  ns->path);
	/* the type given makes setns refuse a namespace of another kind */
	if (setns(fd, ns->type) < 0)
		return husk_error(err, errno == EINVAL ? 0 : errno,
				  "linux.namespaces: '%s' is not a %s namespace%s", ns->path,
				  ns_name(ns->type), errno == EINVAL ? "" : " (setns)");
	return 0;
}

int ns_join_paths(const struct husk_spec *s, struct husk_err *err)
{
	for (size_t i = 0; i < s->oci.n_namespaces; i++) {
		const struct oci_namespace *ns = &s->oci.namespaces[i];
		if (ns->path && ns->type != CLONE_NEWPID && join_one(ns, err))
			return -1;
	}
	return 0;
}

int ns_pid_enter(const struct husk_spec *s, int *saved, struct husk_err *err)
{
	*saved = -1;
	const struct oci_namespace *ns = spec_oci_namespace(&s->oci, CLONE_NEWPID);
	if (!s->oci.active || !ns || !ns->path)
		return 0;
	*saved = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return husk_error(err, errno, "open /proc/self/ns/pid");
	if (join_one(ns, err)) {
		close(*saved);
		*saved = -1;
		return -1;
	}
	return 0;
}

void ns_pid_leave(int saved)
{
	if (saved < 0)
		return;
	/* back to our own: the children we make from now on (hooks) are the host's */
	if (setns(saved, CLONE_NEWPID) < 0)
		husk_warn("setns back to husk's PID namespace: %s", strerror(errno));
	close(saved);
}
