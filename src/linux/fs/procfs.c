#include "linux/fs/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

#define PROC_ROOT_INO 1

static int openat2_retry(int dirfd, const char *path, int flags, unsigned long long resolve)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = resolve };
	int fd;
	do
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	return fd;
}

static int is_procfs(int fd)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return -1;
	if (sf.f_type != PROC_SUPER_MAGIC) {
		errno = EXDEV;
		return -1;
	}
	return 0;
}

int procfs_root(void)
{
	/* from "/" with no symlink followed: a /proc that is a symlink is refused */
	int fd = openat2_retry(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY,
			       RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return -1;
	struct stat st;
	int bad = is_procfs(fd) < 0 || fstat(fd, &st) < 0;
	if (!bad && st.st_ino != PROC_ROOT_INO) {
		errno = EXDEV; /* a directory of procfs bound at /proc, not its root */
		bad = 1;
	}
	if (bad) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* "self/x" -> "<pid>/x", as this procfs numbers the caller (its pid namespace's view) */
static int expand_self(int proc_root, const char *name, char *out, size_t len)
{
	const char *rest = NULL, *link = NULL;
	if (!strncmp(name, "self/", 5))
		link = "self", rest = name + 5;
	else if (!strncmp(name, "thread-self/", 12))
		link = "thread-self", rest = name + 12;
	if (!link)
		return snprintf(out, len, "%s", name) < (int)len ? 0 : (errno = ENAMETOOLONG, -1);
	char target[64];
	ssize_t n = readlinkat(proc_root, link, target, sizeof target - 1);
	if (n <= 0)
		return n == 0 ? (errno = ENOENT, -1) : -1;
	target[n] = '\0';
	return snprintf(out, len, "%s/%s", target, rest) < (int)len ? 0 : (errno = ENAMETOOLONG, -1);
}

int procfs_open_at(int proc_root, const char *name, int flags)
{
	if (!strncmp(name, "/proc/", 6))
		name += 6;
	char rel[256];
	if (expand_self(proc_root, name, rel, sizeof rel) < 0)
		return -1;
	int fd = openat2_retry(proc_root, rel, flags | O_NOFOLLOW,
			       RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			       RESOLVE_NO_XDEV);
	if (fd < 0)
		return -1;
	if (is_procfs(fd) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int procfs_open(const char *name, int flags)
{
	cleanup_close int root = procfs_root();
	if (root < 0)
		return -1;
	return procfs_open_at(root, name, flags);
}

static const char *why_not(int errnum)
{
	switch (errnum) {
	case EXDEV: return "not procfs, or a mount over it (refused)";
	case ELOOP: return "a symlink on the way (refused)";
	default: return NULL;
	}
}

int procfs_write_at(int proc_root, const char *name, const char *data, struct husk_err *err)
{
	cleanup_close int fd = proc_root >= 0 ? procfs_open_at(proc_root, name, O_WRONLY)
					      : procfs_open(name, O_WRONLY);
	if (fd < 0) {
		const char *why = why_not(errno);
		return why ? husk_error(err, 0, "writing %s: %s", name, why)
			   : husk_error(err, errno, "writing %s", name);
	}
	size_t len = strlen(data);
	ssize_t n = write(fd, data, len);
	if (n != (ssize_t)len)
		return husk_error(err, n < 0 ? errno : EIO, "writing %s", name);
	return 0;
}

int procfs_write(const char *name, const char *data, struct husk_err *err)
{
	return procfs_write_at(-1, name, data, err);
}

long procfs_read(const char *name, char *buf, unsigned long len)
{
	cleanup_close int fd = procfs_open(name, O_RDONLY);
	if (fd < 0 || len == 0)
		return -1;
	size_t off = 0;
	while (off + 1 < len) {
		ssize_t n = read(fd, buf + off, len - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	return (long)off;
}
