#include "linux/fs/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/cgroup/cgroup.h"
#include "linux/fs/copyup.h"
#include "linux/fs/resolve.h"
#include "linux/fs/rootfs.h"
#include "linux/userns/mount_fallback.h"
#include "linux/userns/rootless.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/explain.h"
#include "util/fs.h"

int mkdir_in_root(int root_fd, const char *path, struct husk_err *err)
{
	cleanup_close int fd = resolve_create_in_root(root_fd, path, 0, err);
	return fd < 0 ? -1 : 0;
}

/* the mount now on top of target (re-resolved: the fd the mount went through still
 * names what lies beneath) */
static int reopen(int root_fd, const char *target, struct husk_err *err)
{
	int fd = resolve_in_root(root_fd, target, O_PATH);
	return fd >= 0 ? fd : husk_error(err, errno, "mount target '%s'", target);
}

/* the flags a bind can only get by remounting it: ro, nosuid, nodev, noexec, atime */
static int remount_bind(int root_fd, const struct oci_mount *m, struct husk_err *err)
{
	unsigned long want = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT | MS_SILENT);
	if (!want)
		return 0;
	cleanup_close int fd = reopen(root_fd, m->destination, err);
	if (fd < 0)
		return -1;
	/* the kernel refuses to clear locked flags: keep those the mount has */
	struct statvfs sv;
	unsigned long keep = 0;
	if (fstatvfs(fd, &sv) == 0)
		keep = (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
		       (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
	keep &= ~m->clear;
	if (mount_on_fd(NULL, -1, fd, NULL, MS_REMOUNT | MS_BIND | want | keep, NULL) < 0)
		return husk_error(err, errno, "mount -o remount,bind %s", m->destination);
	return 0;
}

/* rro, rnosuid, ratime ...: the mount and every mount below it */
static int recursive_attrs(int root_fd, const struct oci_mount *m, struct husk_err *err)
{
	cleanup_close int fd = resolve_in_root(root_fd, m->destination, O_PATH);
	struct mount_attr attr = { .attr_set = m->rattr_set, .attr_clr = m->rattr_clear };
	if (fd < 0 || syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
			      sizeof attr) < 0)
		return husk_error(err, errno, "recursive mount options (rro, rnosuid ...) on %s",
				  m->destination);
	return 0;
}

static int propagate(int root_fd, const struct oci_mount *m, struct husk_err *err)
{
	cleanup_close int fd = reopen(root_fd, m->destination, err);
	if (fd < 0)
		return -1;
	if (mount_on_fd(NULL, -1, fd, NULL, m->propagation, NULL) < 0)
		return husk_error(err, errno, "mount --make-%s %s",
				  m->propagation & MS_SHARED ? "shared" : m->propagation & MS_SLAVE ?
				  "slave" : m->propagation & MS_PRIVATE ? "private" : "unbindable",
				  m->destination);
	return 0;
}

/* A "cgroup" mount: cgroup2 on a v2 host; on v1 and hybrid a tmpfs holding one
 * mount per hierarchy (the container's own directory as its root: the process
 * reads /proc/self/cgroup, which is relative to its cgroup namespace, if any). */
static int mount_cgroup(int root_fd, const struct oci_mount *m, bool own_ns, struct husk_err *err)
{
	unsigned long fl = (m->flags & ~(MS_BIND | MS_REC)) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	enum cgroup_mode mode = cgroup_detect();
	if (mode == CGROUP_V2)
		return mount_in_root(root_fd, "cgroup2", m->destination, "cgroup2", fl, NULL, 0, err);
	if (mount_in_root(root_fd, "tmpfs", m->destination, "tmpfs", fl & ~MS_RDONLY,
			  "mode=755,size=64k", 0, err))
		return -1;
	cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024];
	while (f && fgets(line, sizeof line, f)) {
		/* ID:CONTROLLERS:PATH; v1 hierarchies only (named ones, name=systemd, too) */
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || c2 == c1 + 1)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1;
		const char *name = strncmp(ctrls, "name=", 5) ? ctrls : ctrls + 5;
		char target[PATH_MAX], host[PATH_MAX];
		if (path_format(target, sizeof target, err, "cgroup mount", "%s/%s", m->destination,
				name))
			return -1;
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		/* in the host's cgroup namespace a new mount would show every cgroup of the
		 * host: bind the container's own directory instead, as runc does */
		snprintf(host, sizeof host, CGROUP_ROOT "/%s%s", name, c2 + 1);
		if (own_ns ? mount_in_root(root_fd, "cgroup", target, "cgroup", fl, ctrls, 0, err)
			   : mount_in_root(root_fd, host, target, NULL, MS_BIND, NULL, 0, err))
			return -1;
		/* cpu,cpuacct is also reachable as cpu and cpuacct, as on the host */
		if (strchr(name, ',')) {
			char list[256], *save = NULL;
			snprintf(list, sizeof list, "%s", name);
			cleanup_close int dir = resolve_in_root(root_fd, m->destination, O_DIRECTORY);
			for (char *t = strtok_r(list, ",", &save); t && dir >= 0; t = strtok_r(NULL, ",", &save))
				if (symlinkat(name, dir, t) < 0 && errno != EEXIST)
					return husk_error(err, errno, "ln -s %s %s/%s", name, m->destination, t);
		}
	}
	return (fl & MS_RDONLY) ? remount_ro_in_root(root_fd, m->destination, err) : 0;
}

/* This process is in a user namespace that is not the host's (the bundle's own, once
 * the child runs in it). */
static bool current_userns_is_new(void)
{
	char buf[128];
	unsigned long a, b, c;
	return read_file("/proc/self/uid_map", buf, sizeof buf) > 0 &&
	       !(sscanf(buf, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL);
}

/* The new tmpfs at m->destination gets a copy of what the directory held (below) */
static int copy_up(int root_fd, int below, const struct oci_mount *m, struct husk_err *err)
{
	EXPLAIN_START(t);
	cleanup_close int top = resolve_in_root(root_fd, m->destination,
						O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return husk_error(err, errno, "mount target '%s'", m->destination);
	if (copyup_tree(below, top, m->destination, err))
		return -1;
	EXPLAIN(t, "cp -a <the image's %s>/. %s   # tmpcopyup", m->destination, m->destination);
	return 0;
}

/* Any other filesystem. In a user namespace (the bundle's, or rootless podman's)
 * two refusals are handled as crun does: sysfs without a network namespace of the
 * user namespace's own binds the host's /sys instead; a devpts gid= that is not
 * mapped goes (linux/userns/mount_fallback.h). */
static int other_mount(int root_fd, const struct oci_mount *m, struct husk_err *err)
{
	const char *type = m->type ? m->type : "none";
	const char *src = m->source ? m->source : type;
	unsigned long fl = m->flags & ~MS_REMOUNT;
	bool in_userns = rootless() || current_userns_is_new();
	struct husk_err first = { 0 };
	/* tmpcopyup: what lies beneath, held before the tmpfs covers it */
	cleanup_close int below = m->copyup && !strcmp(type, "tmpfs") ?
		resolve_in_root(root_fd, m->destination, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (mount_in_root(root_fd, src, m->destination, type, fl, m->data, 0,
			  in_userns ? &first : err) == 0)
		return below >= 0 ? copy_up(root_fd, below, m, err) : 0;
	if (!in_userns)
		return -1;
	if (!strcmp(type, "sysfs") && (first.errnum == EPERM || first.errnum == EACCES))
		return userns_bind_sysfs(root_fd, m->destination, fl & MS_RDONLY, err);
	if (!strcmp(type, "devpts") && first.errnum == EINVAL && m->data && strstr(m->data, "gid=")) {
		char data[512];
		userns_strip_gid(m->data, data, sizeof data);
		return mount_in_root(root_fd, src, m->destination, type, fl, data, 0, err);
	}
	husk_error(err, 0, "%s", first.msg);
	err->errnum = first.errnum;
	return -1;
}

static int one_mount(int root_fd, const struct oci_mount *m, bool cgroup_ns, struct husk_err *err)
{
	if (m->flags & MS_BIND) {
		struct stat st;
		if (stat(m->source, &st) < 0)
			return husk_error(err, errno, "mount source '%s' (for %s)", m->source, m->destination);
		if (mount_in_root(root_fd, m->source, m->destination, NULL, m->flags & (MS_BIND | MS_REC),
				  NULL, !S_ISDIR(st.st_mode), err) ||
		    remount_bind(root_fd, m, err))
			return -1;
	} else if (m->type && !strcmp(m->type, "cgroup")) {
		if (mount_cgroup(root_fd, m, cgroup_ns, err))
			return -1;
	} else if (other_mount(root_fd, m, err)) {
		return -1;
	}
	if ((m->rattr_set || m->rattr_clear) && recursive_attrs(root_fd, m, err))
		return -1;
	return m->propagation ? propagate(root_fd, m, err) : 0;
}

int mounts_apply(int root_fd, const struct husk_oci *o, struct husk_err *err)
{
	bool cgroup_ns = spec_oci_namespace(o, CLONE_NEWCGROUP) != NULL;
	for (size_t i = 0; i < o->n_mounts; i++)
		if (one_mount(root_fd, &o->mounts[i], cgroup_ns, err))
			return -1;
	return 0;
}
