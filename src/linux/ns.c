#include "linux/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

/* A bundle's linux.namespaces: the new ones (those without a path). */
static unsigned long oci_clone_flags(const struct husk_oci *o)
{
	unsigned long f = 0;
	for (size_t i = 0; i < o->n_namespaces; i++)
		if (!o->namespaces[i].path && o->namespaces[i].type != CLONE_NEWCGROUP)
			f |= (unsigned long)o->namespaces[i].type;
	/* no mount namespace asked for: the caller's is the container's (the root is
	 * entered with chroot there, linux/fs/host_mounts.h) */
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

/* What the short-lived middle process tells husk: the container's pid, or why not. */
struct userns_clone_result {
	pid_t pid;
	struct husk_err err;
};

bool ns_joins_first(const struct husk_spec *s)
{
	const struct oci_namespace *user = spec_oci_namespace(&s->oci, CLONE_NEWUSER);
	if (!s->oci.active || !user)
		return false;
	if (user->path)
		return true;
	for (size_t i = 0; i < s->oci.n_namespaces; i++)
		if (s->oci.namespaces[i].path && s->oci.namespaces[i].type != CLONE_NEWPID)
			return true;
	return false;
}

/* The middle process: the namespaces given by path first, as the host's root (one
 * the host owns could not be joined from inside the user namespace, which has no
 * power there), then the user namespace given by path (else flags
 * has CLONE_NEWUSER), then the clone, whose new namespaces that user namespace
 * owns. CLONE_PARENT makes the container a child of husk, as ns_clone's is.
 * Returns in the container only; the middle process exits once it has told husk
 * the container's pid (or why not). */
static int join_userns(const struct husk_spec *s, int userns_fd, struct husk_err *err)
{
	if (userns_fd < 0 || setns(userns_fd, CLONE_NEWUSER) == 0)
		return 0;
	const struct oci_namespace *ns = spec_oci_namespace(&s->oci, CLONE_NEWUSER);
	if (!ns || !ns->path) /* husk run's: the holder's (linux/userns/holder.h) */
		return husk_error(err, errno, "joining the user namespace of husk-userns");
	return husk_error(err, errno, "linux.namespaces: joining the user namespace '%s'", ns->path);
}

static void clone_middle(const struct husk_spec *s, int userns_fd, unsigned long flags, int out)
{
	struct userns_clone_result r = { .pid = -1 };
	/* rootless: the caller has no power over a namespace the host owns, only over
	 * those of its own user namespace, which it must be in first */
	bool user_first = geteuid() != 0;
	if ((!user_first || join_userns(s, userns_fd, &r.err) == 0) && ns_join_paths(s, &r.err) == 0) {
		if (!user_first && join_userns(s, userns_fd, &r.err) < 0) {
			/* said */
		} else {
			r.pid = (pid_t)syscall(SYS_clone, flags | CLONE_PARENT | SIGCHLD, NULL, NULL,
					       NULL, NULL);
			if (r.pid == 0) { /* the container says it is there: the kernel adds its
					   * pid as husk sees it (SO_PASSCRED) */
				write_all(out, &r, sizeof r);
				close(out);
				return;
			}
			if (r.pid < 0)
				husk_error(&r.err, errno, "clone (new namespaces, after those given by path)");
		}
	}
	if (r.pid < 0)
		write_all(out, &r, sizeof r);
	_exit(0);
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (read_file(path, buf, sizeof buf) < 0)
		return -1;
	const char *p = strstr(buf, "\nPPid:");
	return p ? (pid_t)strtol(p + 6, NULL, 10) : -1;
}

/* One message from the middle process (an error) or from the container: then its
 * pid in husk's PID namespace, from the kernel's credentials (the clone's return
 * value is its pid in a PID namespace given by path, not husk's). */
static pid_t recv_container_pid(int fd, struct userns_clone_result *r, struct husk_err *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = r, .iov_len = sizeof *r };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof ctl.buf };
	ssize_t n;
	while ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof *r)
		return husk_error(err, n < 0 ? errno : EIO, "clone after the namespaces given by "
				  "path: no answer from the middle process");
	if (r->pid < 0) {
		*err = r->err;
		return -1;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;
			memcpy(&cred, CMSG_DATA(c), sizeof cred);
			return cred.pid;
		}
	return husk_error(err, EIO, "clone after the namespaces given by path: the container's "
			  "pid did not come");
}

pid_t ns_clone_after_joins(const struct husk_spec *s, int userns_fd, unsigned long flags,
			   int cgroup_fd, bool *in_cgroup, struct husk_err *err)
{
	int p[2], on = 1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0 ||
	    setsockopt(p[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0)
		return husk_error(err, errno, "socketpair (the container's pid)");
	/* the middle process starts in the cgroup (clone3 on v2): the container inherits it */
	pid_t mid = ns_clone(0, cgroup_fd, in_cgroup);
	if (mid < 0) {
		husk_error(err, errno, "clone");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (mid == 0) {
		close(p[0]);
		clone_middle(s, userns_fd, flags, p[1]);
		return 0; /* the container */
	}
	close(p[1]);
	struct userns_clone_result r = { .pid = -1 };
	pid_t pid = recv_container_pid(p[0], &r, err);
	close(p[0]);
	while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
		;
	/* never a pid that is not our child: cgroups and signals go to it */
	if (pid > 0 && parent_of(pid) != getpid())
		return husk_error(err, 0, "clone after the namespaces given by path: pid %d is not "
				  "husk's child", (int)pid);
	return pid;
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
	if (setns(fd, ns->type) == 0)
		return 0;
	if (errno == EINVAL)
		return husk_error(err, 0, "linux.namespaces: '%s' is not a %s namespace", ns->path,
				  ns_name(ns->type));
	if (errno == EPERM)
		return husk_error(err, errno, "linux.namespaces: cannot join the %s namespace '%s' "
				  "(setns: it belongs to a user namespace the container has no "
				  "privilege in)", ns_name(ns->type), ns->path);
	return husk_error(err, errno, "linux.namespaces: joining the %s namespace '%s' (setns)",
			  ns_name(ns->type), ns->path);
}

int ns_join_paths(const struct husk_spec *s, struct husk_err *err)
{
	for (size_t i = 0; i < s->oci.n_namespaces; i++) {
		const struct oci_namespace *ns = &s->oci.namespaces[i];
		if (ns->path && ns->type != CLONE_NEWPID && ns->type != CLONE_NEWUSER &&
		    join_one(ns, err))
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
