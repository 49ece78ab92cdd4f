#include "linux/ns.h"

#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

unsigned long ns_clone_flags(const struct husk_spec *s)
{
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
