#include "linux/fs/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/fs/procfs.h"
#include "util/cleanup.h"

int resolve_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;
	do
		fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	return fd;
}

/* mkdirat/mknodat of the last component of buf (which holds a path inside the root)
 * in its parent, the parent resolved inside the root again */
static int create_component(int root_fd, char *buf, int as_file)
{
	char *slash = strrchr(buf, '/');
	*slash = '\0';
	cleanup_close int parent = resolve_in_root(root_fd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY);
	*slash = '/';
	if (parent < 0)
		return -1;
	int r = as_file ? mknodat(parent, slash + 1, S_IFREG | 0644, 0)
			: mkdirat(parent, slash + 1, 0755);
	return r < 0 && errno != EEXIST ? -1 : 0;
}

int resolve_create_in_root(int root_fd, const char *path, int file_target, struct husk_err *err)
{
	int fd = resolve_in_root(root_fd, path, O_PATH);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : husk_error(err, errno, "mount target '%s'", path);
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s%s", path[0] == '/' ? "" : "/", path) >= (int)sizeof buf)
		return husk_error(err, ENAMETOOLONG, "mount target '%.64s...'", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		cleanup_close int probe = resolve_in_root(root_fd, buf, O_PATH);
		if (probe < 0 && create_component(root_fd, buf, saved == '\0' && file_target) < 0)
			return husk_error(err, errno, "mount target '%s': creating '%s'", path, buf);
		*p = saved;
		if (!saved)
			break;
	}
	fd = resolve_in_root(root_fd, path, O_PATH);
	return fd >= 0 ? fd : husk_error(err, errno, "mount target '%s'", path);
}

/* a bind by fds only: clone the source tree, attach it on the target's inode */
static int bind_on_fd(const char *src, int src_fd, int target_fd, unsigned long flags)
{
	unsigned tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (flags & MS_REC ? AT_RECURSIVE : 0);
	cleanup_close int tree = src_fd >= 0 ? open_tree(src_fd, "", tree_flags | AT_EMPTY_PATH)
					     : open_tree(AT_FDCWD, src, tree_flags);
	if (tree < 0)
		return -1;
	return move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

int mount_on_fd(const char *src, int src_fd, int target_fd, const char *fstype,
		unsigned long flags, const char *data)
{
	if ((flags & MS_BIND) && !(flags & MS_REMOUNT))
		return bind_on_fd(src, src_fd, target_fd, flags);
	/* a new filesystem or a remount: mount(2) on "<pid>/fd/N" walked from a verified
	 * procfs root held as the cwd, so no path of the container is looked up */
	cleanup_close int proc = procfs_root();
	cleanup_close int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char self[32], target[64];
	ssize_t n = proc < 0 ? -1 : readlinkat(proc, "self", self, sizeof self - 1);
	if (n <= 0 || cwd < 0)
		return -1;
	self[n] = '\0';
	snprintf(target, sizeof target, "%s/fd/%d", self, target_fd);
	if (fchdir(proc) < 0)
		return -1;
	int r = mount(src, target, fstype, flags, data);
	int saved = errno;
	if (fchdir(cwd) < 0 && r == 0) {
		saved = errno;
		r = -1;
	}
	errno = saved;
	return r;
}
