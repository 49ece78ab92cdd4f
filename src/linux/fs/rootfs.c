#include "linux/fs/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/fs/devnodes.h"
#include "linux/fs/host_mounts.h"
#include "linux/fs/mounts.h"
#include "linux/fs/resolve.h"
#include "linux/userns/idmapped.h"
#include "linux/userns/mount_fallback.h"
#include "linux/fs/overlay.h"
#include "util/cleanup.h"
#include "util/explain.h"
#include "util/fs.h"
#include "util/path.h"

int mount_in_root(int root_fd, const char *src, const char *target, const char *fstype,
		  unsigned long flags, const char *data, int file_target, struct husk_err *err)
{
	EXPLAIN_START(t);
	cleanup_close int fd = resolve_create_in_root(root_fd, target, file_target, err);
	if (fd < 0)
		return -1;
	if (mount_on_fd(src, -1, fd, fstype, flags, data) < 0)
		return husk_error(err, errno, "mount %s on %s", src ? src : fstype, target);
	if (flags & MS_BIND)
		EXPLAIN(t, "mount --%sbind %s %s", flags & MS_REC ? "r" : "", src, target);
	else
		EXPLAIN(t, "mount -t %s%s%s %s %s", fstype, data ? " -o " : "", data ? data : "",
			src, target);
	return 0;
}

int remount_ro_in_root(int root_fd, const char *target, struct husk_err *err)
{
	EXPLAIN_START(t);
	cleanup_close int fd = resolve_in_root(root_fd, target, O_PATH);
	if (fd < 0)
		return husk_error(err, errno, "remount read-only '%s'", target);
	/* keep the flags the mount has (nosuid, nodev ...): the kernel refuses to clear
	 * locked ones, and dropping them would weaken the mount */
	unsigned long keep = 0;
	struct statvfs sv;
	if (fstatvfs(fd, &sv) == 0)
		keep = sv.f_flag;
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
	if (keep & ST_NOSUID) flags |= MS_NOSUID;
	if (keep & ST_NODEV) flags |= MS_NODEV;
	if (keep & ST_NOEXEC) flags |= MS_NOEXEC;
	if (keep & ST_NOATIME) flags |= MS_NOATIME;
	if (keep & ST_NODIRATIME) flags |= MS_NODIRATIME;
	if (keep & ST_RELATIME) flags |= MS_RELATIME;
	if (mount_on_fd(NULL, -1, fd, NULL, flags, NULL) < 0)
		return husk_error(err, errno, "remount read-only '%s'", target);
	EXPLAIN(t, "mount -o remount,bind,ro %s", target);
	return 0;
}

/* /sys/fs/cgroup inside: the container sees its own cgroup as the root, because
 * the child entered a new cgroup namespace before this runs. */
static int mount_cgroups(int root_fd, enum cgroup_mode mode, struct husk_err *err)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME;
	if (mode == CGROUP_NONE) /* a rootless container without a cgroup of its own */
		return 0;
	if (mode == CGROUP_V2)
		return mount_in_root(root_fd, "cgroup2", "/sys/fs/cgroup", "cgroup2", fl | MS_RDONLY,
				     NULL, 0, err);
	if (mount_in_root(root_fd, "tmpfs", "/sys/fs/cgroup", "tmpfs", fl, "mode=755,size=64k", 0, err))
		return -1;
	char names[CGROUP_V1_MAX][64];
	int n = cgroup_v1_hierarchies(names, CGROUP_V1_MAX);
	for (int i = 0; i < n; i++) {
		char target[128];
		if (path_format(target, sizeof target, err, "cgroup mount", "/sys/fs/cgroup/%s",
				names[i]) ||
		    mount_in_root(root_fd, "cgroup", target, "cgroup", fl | MS_RDONLY, names[i], 0,
				  err))
			return -1;
	}
	return remount_ro_in_root(root_fd, "/sys/fs/cgroup", err);
}

/* With --read-only, husk must not change ROOTFS, not even by creating a mount point. */
static bool missing_in_root(int root_fd, const char *path)
{
	cleanup_close int fd = resolve_in_root(root_fd, path, O_PATH);
	return fd < 0 && errno == ENOENT;
}

static int mount_volumes(int root_fd, const struct husk_spec *s, struct husk_err *err)
{
	for (size_t i = 0; i < s->n_volumes; i++) {
		const struct volume *v = &s->volumes[i];
		struct stat st;
		if (stat(v->host, &st) < 0)
			return husk_error(err, errno, "volume '%s'%s", v->host,
					  errno == EACCES && spec_in_userns(s) ?
					  " (with --userns the container's root is an unprivileged "
					  "host uid, and the path must be reachable by it)" : "");
		if (s->readonly_root && missing_in_root(root_fd, v->ctr))
			return husk_error(err, ENOENT, "--read-only: volume target '%s' is not in ROOTFS "
					  "(husk creates missing targets only in a writable rootfs)", v->ctr);
		if (mount_in_root(root_fd, v->host, v->ctr, NULL, MS_BIND | MS_REC, NULL,
				  !S_ISDIR(st.st_mode), err))
			return -1;
		if (v->readonly && remount_ro_in_root(root_fd, v->ctr, err))
			return -1;
	}
	for (size_t i = 0; i < s->n_tmpfs; i++) {
		if (s->readonly_root && missing_in_root(root_fd, s->tmpfs[i].ctr))
			return husk_error(err, ENOENT, "--read-only: tmpfs target '%s' is not in ROOTFS",
					  s->tmpfs[i].ctr);
		char data[64];
		int n = snprintf(data, sizeof data, "mode=%o", s->tmpfs[i].mode);
		if (s->tmpfs[i].size)
			snprintf(data + n, sizeof data - n, ",size=%lld", (long long)s->tmpfs[i].size);
		if (mount_in_root(root_fd, "tmpfs", s->tmpfs[i].ctr, "tmpfs",
				  MS_NOSUID | MS_NODEV, data, 0, err))
			return -1;
	}
	return 0;
}

/* Generated /etc/hosts and /etc/resolv.conf, bound over the image's (never written into it). */
static int mount_net_files(int root_fd, const struct net_state *n, struct husk_err *err)
{
	if (n->hosts_file[0] &&
	    mount_in_root(root_fd, n->hosts_file, "/etc/hosts", NULL, MS_BIND, NULL, 1, err))
		return -1;
	if (n->resolv_file[0] &&
	    mount_in_root(root_fd, n->resolv_file, "/etc/resolv.conf", NULL, MS_BIND, NULL, 1, err))
		return -1;
	return 0;
}

/* A user namespace may mount sysfs only with a network namespace of its own (the
 * kernel's rule): with --network host, the host's /sys is bound read-only instead,
 * as crun does. */
static int mount_sysfs(int root_fd, const struct husk_spec *s, struct husk_err *err)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (!spec_in_userns(s) || s->net != NET_HOST)
		return mount_in_root(root_fd, "sysfs", "/sys", "sysfs", fl | MS_RDONLY, NULL, 0, err);
	return userns_bind_sysfs(root_fd, "/sys", true, err);
}

/* /proc, /sys and /dev must be directories of ROOTFS itself: a symlink there (even
 * one that stays inside the root) would put procfs where a later step does not look
 * for it, and every procfs write checks that /proc is procfs (CVE-2025-52881) */
static int check_kernel_dirs(int root_fd, struct husk_err *err)
{
	static const char *const dirs[] = { "/proc", "/sys", "/dev" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		struct open_how how = { .flags = O_PATH | O_CLOEXEC,
					.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
		cleanup_close int fd = (int)syscall(SYS_openat2, root_fd, dirs[i] + 1, &how, sizeof how);
		struct stat st;
		if (fd < 0 && errno == ENOENT)
			continue; /* created as a directory */
		if (fd < 0 && errno == ELOOP)
			return husk_error(err, 0, "rootfs: %s is a symlink (refused: husk mounts %s only on a "
					  "directory of ROOTFS)", dirs[i], dirs[i] + 1);
		if (fd < 0 || fstat(fd, &st) < 0)
			return husk_error(err, errno, "rootfs: %s", dirs[i]);
		if (!S_ISDIR(st.st_mode))
			return husk_error(err, ENOTDIR, "rootfs: %s", dirs[i]);
	}
	return 0;
}

/* A bundle: its mounts, in its order, then the standard nodes in /dev; the
 * propagation of the root as linux.rootfsPropagation says (private by default). */
static int rootfs_prepare_oci(const struct husk_spec *s, struct husk_err *err)
{
	unsigned long prop = s->oci.rootfs_propagation & ~MS_REC;
	EXPLAIN_START(t);
	/* never shared with the host's namespace: a slave at most (no namespace of its
	 * own: this is the host's, left as it is) */
	if (!host_mounts_wanted(s) &&
	    mount(NULL, "/", NULL, MS_REC | (prop == MS_SLAVE || prop == MS_SHARED ? MS_SLAVE : MS_PRIVATE),
		  NULL) < 0)
		return husk_error(err, errno, "mount --make-r%s /", prop ? "slave" : "private");
	if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return husk_error(err, errno, "mount --rbind %s %s", s->rootfs, s->rootfs);
	/* shared and unbindable are set on / after pivot_root (rootfs_switch), which
	 * refuses a shared new root with EINVAL */
	EXPLAIN(t, "mount --make-rprivate /; mount --rbind %s %s", s->rootfs, s->rootfs);
	cleanup_close int fd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return husk_error(err, errno, "rootfs '%s'", s->rootfs);
	return check_kernel_dirs(fd, err) || mounts_apply(fd, &s->oci, err) || dev_setup(fd, s, err) ?
		       -1 : 0;
}

int rootfs_prepare(const struct husk_spec *s, const struct net_state *n,
		   enum cgroup_mode cgmode, int root_tree_fd, struct husk_err *err)
{
	if (s->oci.active)
		return rootfs_prepare_oci(s, err);
	EXPLAIN_START(t);
	/* nothing we mount may propagate back to the host's namespace (done already when
	 * rootfs_attach_early attached the root) */
	if (root_tree_fd != ROOTFS_AT_CWD) {
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			return husk_error(err, errno, "mount --make-rprivate /");
		EXPLAIN(t, "mount --make-rprivate /");
	}

	/* pivot_root needs the new root to be a mount point: an image's overlay is one;
	 * in a user namespace it is the idmapped copy the parent made
	 * (linux/userns/idmapped.h) */
	t = explain_enabled ? explain_now() : 0;
	if (root_tree_fd == ROOTFS_AT_CWD) {
		/* attached already (rootfs_attach_early): the working directory is the root */
	} else if (root_tree_fd >= 0) { /* an idmapped rootfs */
		if (idmapped_attach(root_tree_fd, s->rootfs, err))
			return -1;
		EXPLAIN(t, "# the idmapped %s attached at %s (move_mount)", s->rootfs, s->rootfs);
	} else if (s->n_lower) {
		if (overlay_mount_root(s, err))
			return -1;
	} else {
		if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
			return husk_error(err, errno, "mount --rbind %s %s", s->rootfs, s->rootfs);
		EXPLAIN(t, "mount --rbind %s %s", s->rootfs, s->rootfs);
	}
	const char *root = root_tree_fd == ROOTFS_AT_CWD ? "." : s->rootfs;
	cleanup_close int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return husk_error(err, errno, "rootfs '%s'", s->rootfs);

	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (check_kernel_dirs(fd, err) ||
	    mount_in_root(fd, "proc", "/proc", "proc", fl, NULL, 0, err) ||
	    mount_sysfs(fd, s, err) ||
	    mount_cgroups(fd, cgmode, err) ||
	    dev_setup(fd, s, err) ||
	    mount_volumes(fd, s, err) ||
	    mount_net_files(fd, n, err))
		return -1;
	return 0;
}

static int do_pivot(const struct husk_spec *s, struct husk_err *err)
{
	EXPLAIN_START(t);
	if (host_mounts_wanted(s)) {
		/* the host's mount namespace: pivot_root or a move onto / would change the
		 * host's root; the root (bound on itself) is entered as a chroot */
		if (chroot(".") < 0)
			return husk_error(err, errno, "chroot %s", s->rootfs);
		EXPLAIN(t, "chroot .   # no mount namespace of its own: the host's");
		return 0;
	}
	if (s->no_pivot) {
		/* the tutorials' way: the old root stays reachable for a process that can
		 * chroot again (the classic breakout), which pivot_root prevents */
		if (mount(s->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
			return husk_error(err, errno, "mount --move %s /", s->rootfs);
		if (chroot(".") < 0)
			return husk_error(err, errno, "chroot %s", s->rootfs);
		EXPLAIN(t, "mount --move . / && chroot .");
		return 0;
	}
	/* pivot_root(".", ".") stacks the old root on top of the new one; a lazy
	 * unmount then detaches it without needing a directory for it in ROOTFS */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return husk_error(err, errno, "pivot_root %s", s->rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return husk_error(err, errno, "umount -l (old root)");
	EXPLAIN(t, "pivot_root . . && umount -l .   # the old root is gone");
	return 0;
}

int rootfs_attach_early(const struct husk_spec *s, int root_tree_fd, struct husk_err *err)
{
	EXPLAIN_START(t);
	/* before anything is mounted here: nothing may propagate to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return husk_error(err, errno, "mount --make-rprivate /");
	if (idmapped_attach(root_tree_fd, s->rootfs, err))
		return -1;
	if (chdir(s->rootfs) < 0)
		return husk_error(err, errno, "chdir %s", s->rootfs);
	EXPLAIN(t, "mount --make-rprivate /; # the idmapped overlay attached at %s (move_mount); "
		"cd %s", s->rootfs, s->rootfs);
	return 0;
}

int rootfs_switch(const struct husk_spec *s, int root_tree_fd, struct husk_err *err)
{
	EXPLAIN_START(t0);
	if (root_tree_fd != ROOTFS_AT_CWD && chdir(s->rootfs) < 0)
		return husk_error(err, errno, "chdir %s", s->rootfs);
	if (do_pivot(s, err))
		return -1;
	if (chdir("/") < 0)
		return husk_error(err, errno, "chdir /");
	unsigned long prop = s->oci.rootfs_propagation;
	if ((prop & ~MS_REC) == MS_SHARED || (prop & ~MS_REC) == MS_UNBINDABLE) {
		if (mount(NULL, "/", NULL, prop, NULL) < 0)
			return husk_error(err, errno, "linux.rootfsPropagation on /");
		EXPLAIN(t0, "mount --make-%s%s /", prop & MS_REC ? "r" : "",
			(prop & ~MS_REC) == MS_SHARED ? "shared" : "unbindable");
	}
	if (s->readonly_root) {
		cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0 || remount_ro_in_root(root, "/", err))
			return husk_error(err, errno, "--read-only: remount /");
	}
	return 0;
}
