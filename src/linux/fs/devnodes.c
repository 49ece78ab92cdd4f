#include "linux/fs/devnodes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/fs/mounts.h"
#include "linux/fs/resolve.h"
#include "linux/fs/rootfs.h"
#include "util/cleanup.h"
#include "util/explain.h"
#include "util/fs.h"

static const struct {
	const char *name;
	unsigned maj, min;
} nodes[] = {
	{ "null", 1, 3 },    { "zero", 1, 5 },    { "full", 1, 7 },
	{ "random", 1, 8 },  { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *name, *target;
} links[] = {
	{ "fd", "/proc/self/fd" },         { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },   { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },
};

/* The pty multiplexer a -t container opens: verified on the fd (devpts' own 5:2), not
 * trusted by its path (CVE-2025-52565). */
static int check_ptmx(int root_fd, struct husk_err *err)
{
	cleanup_close int fd = resolve_in_root(root_fd, "/dev/pts/ptmx", O_PATH | O_NOFOLLOW);
	struct stat st;
	struct statfs sf;
	if (fd < 0 || fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0)
		return husk_error(err, errno, "/dev/pts/ptmx of the container");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2) || sf.f_type != DEVPTS_SUPER_MAGIC)
		return husk_error(err, EPERM, "/dev/pts/ptmx of the container is not devpts' "
				  "multiplexer (character device 5:2)");
	return 0;
}

/* gid=5 (tty) is not mapped in a rootless namespace of the caller's ids alone: the
 * kernel refuses the option there, and devpts goes without it (as crun does). */
static int mount_devpts(int root_fd, struct husk_err *err)
{
	const unsigned long fl = MS_NOSUID | MS_NOEXEC;
	struct husk_err first = { 0 };
	if (mount_in_root(root_fd, "devpts", "/dev/pts", "devpts", fl,
			  "newinstance,ptmxmode=0666,mode=0620,gid=5", 0, &first) == 0)
		return 0;
	if (first.errnum != EINVAL) {
		husk_error(err, 0, "%s", first.msg);
		err->errnum = first.errnum;
		return -1;
	}
	return mount_in_root(root_fd, "devpts", "/dev/pts", "devpts", fl,
			     "newinstance,ptmxmode=0666,mode=0620", 0, err);
}

/* linux.devices: mknod inside the root, then the mode and owner asked for */
static int oci_device(int root_fd, const struct oci_device *d, struct husk_err *err)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", d->path);
	char *slash = strrchr(dir, '/');
	*slash = '\0';
	if (dir[0] && mkdir_in_root(root_fd, dir, err))
		return -1;
	cleanup_close int parent = resolve_in_root(root_fd, dir[0] ? dir : "/", O_PATH | O_DIRECTORY);
	if (parent < 0)
		return husk_error(err, errno, "device %s: its directory", d->path);
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	const char *name = slash + 1;
	/* the node is the config's: an image's file of that name gives way */
	unlinkat(parent, name, 0);
	if (mknodat(parent, name, type | (d->mode & 07777),
		    makedev((unsigned)d->major, (unsigned)d->minor)) < 0)
		return husk_error(err, errno, "mknod %s %c %lld %lld", d->path, d->type,
				  (long long)d->major, (long long)d->minor);
	cleanup_close int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmodat(parent, name, d->mode & 07777, 0) < 0 ||
	    fchownat(fd, "", d->uid, d->gid, AT_EMPTY_PATH) < 0)
		return husk_error(err, errno, "device %s: mode and owner", d->path);
	return 0;
}

/* A bundle's /dev is what its mounts made it (usually a tmpfs): the standard nodes
 * and links are added where missing (docker sends linux.devices: []), then the
 * config's own devices. */
static int oci_dev_setup(int root_fd, const struct husk_spec *s, struct husk_err *err)
{
	const struct husk_oci *o = &s->oci;
	if (mkdir_in_root(root_fd, "/dev", err))
		return -1;
	cleanup_close int dev = resolve_in_root(root_fd, "/dev", O_DIRECTORY);
	if (dev < 0)
		return husk_error(err, errno, "open /dev of the container");
	struct stat st;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		char host[32];
		snprintf(host, sizeof host, "/dev/%s", nodes[i].name);
		if (fstatat(dev, nodes[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		/* no mknod in a user namespace: the host's node is bound instead */
		if (spec_in_userns(s)) {
			if (mount_in_root(root_fd, host, host, NULL, MS_BIND, NULL, 1, err))
				return -1;
		} else if (mknodat(dev, nodes[i].name, S_IFCHR | 0666,
				   makedev(nodes[i].maj, nodes[i].min)) < 0) {
			return husk_error(err, errno, "mknod /dev/%s c %u %u", nodes[i].name,
					  nodes[i].maj, nodes[i].min);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (fstatat(dev, links[i].name, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
		    symlinkat(links[i].target, dev, links[i].name) < 0)
			return husk_error(err, errno, "ln -s %s /dev/%s", links[i].target, links[i].name);
	for (size_t i = 0; i < o->n_devices; i++)
		if (oci_device(root_fd, &o->devices[i], err))
			return -1;
	return 0;
}

int dev_setup(int root_fd, const struct husk_spec *s, struct husk_err *err)
{
	if (s->oci.active)
		return oci_dev_setup(root_fd, s, err);
	if (mount_in_root(root_fd, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
			  "mode=755,size=65536k", 0, err))
		return -1;
	cleanup_close int dev = resolve_in_root(root_fd, "/dev", O_DIRECTORY);
	if (dev < 0)
		return husk_error(err, errno, "open /dev of the container");

	EXPLAIN_START(t);
	if (spec_in_userns(s)) {
		/* no mknod in a user namespace: the host's nodes are bound instead */
		for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
			char host[32], ctr[32];
			snprintf(host, sizeof host, "/dev/%s", nodes[i].name);
			snprintf(ctr, sizeof ctr, "/dev/%s", nodes[i].name);
			if (mount_in_root(root_fd, host, ctr, NULL, MS_BIND, NULL, 1, err))
				return -1;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(nodes) && !spec_in_userns(s); i++)
		if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0)
			return husk_error(err, errno, "mknod /dev/%s c %u %u", nodes[i].name,
					  nodes[i].maj, nodes[i].min);
	if (!spec_in_userns(s))
		EXPLAIN(t, "mknod -m 666 /dev/{null,zero,full,random,urandom,tty} c ...");
	t = explain_enabled ? explain_now() : 0;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i].target, dev, links[i].name) < 0)
			return husk_error(err, errno, "ln -s %s /dev/%s", links[i].target, links[i].name);
	EXPLAIN(t, "ln -s /proc/self/fd /dev/fd; ln -s pts/ptmx /dev/ptmx; ...");

	if (mount_devpts(root_fd, err) ||
	    mount_in_root(root_fd, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=1777,size=65536k", 0, err) ||
	    mount_in_root(root_fd, "mqueue", "/dev/mqueue", "mqueue",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0, err))
		return -1;
	return check_ptmx(root_fd, err);
}
