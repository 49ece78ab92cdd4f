#include "linux/userns/idmapped.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/fs/overlay.h"
#include "linux/userns/idmap.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

static const char *fs_name(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) < 0)
		return "?";
	switch ((unsigned long)sf.f_type) {
	case 0xEF53: return "ext4";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x01021994: return "tmpfs";
	case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
	default: return "this filesystem";
	}
}

int idmapped_tree(const char *path, int userns_fd, struct husk_err *err)
{
	cleanup_close int fd = (int)open_tree(AT_FDCWD, path,
					     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		return husk_error(err, errno, "open_tree %s (an idmapped mount needs kernel 5.12+)", path);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
		int e = errno;
		return husk_error(err, e, "idmapped mount of %s (%s%s)", path, fs_name(path),
				  e == EINVAL ? ": the filesystem cannot be idmapped (overlayfs needs "
				  "kernel 5.19+; a submount may be the cause)" : "");
	}
	return steal_fd(fd);
}

int idmapped_set(int mnt_fd, const char *what, int userns_fd, struct husk_err *err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };
	if (mount_setattr(mnt_fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
		return husk_error(err, errno, "idmapped mount of %s (overlayfs takes idmapped mounts "
				  "from Linux 5.19)", what);
	return 0;
}

int idmapped_attach(int tree_fd, const char *target, struct husk_err *err)
{
	if (move_mount(tree_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return husk_error(err, errno, "move_mount (idmapped root) onto %s", target);
	return 0;
}

/* A user namespace fd with map 0 -> 1000000000 (one id), held by a paused child. */
static int probe_userns(pid_t *child)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		char c;
		close(p[1]);
		(void)!read(p[0], &c, 1); /* until the parent is done */
		_exit(0);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -1;
	}
	*child = pid;
	struct id_map m = { .r = { { 0, 1000000000u, 1 } }, .n = 1 };
	struct husk_err err = { 0 };
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	int fd = idmap_write(pid, &m, &m, false, &err) ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	close(p[1]); /* the child exits; its namespace lives on through fd */
	return fd;
}

/* A throw-away overlay under dir made as an image's is under --userns
 * (overlay_idmapped: its layer idmapped, the overlay of that), detached. */
static bool overlay_idmap_try(const char *dir, int ns, char *why, size_t len)
{
	char lower[300], merged[300];
	snprintf(lower, sizeof lower, "%s/lower", dir);
	snprintf(merged, sizeof merged, "%s/rootfs", dir);
	mkdir(lower, 0755);
	char *layers[] = { lower };
	struct husk_spec s = { .rootfs = merged, .lower = layers, .n_lower = 1 };
	struct husk_err err = { 0 };
	cleanup_close int mnt = overlay_idmapped(&s, ns, 1000000000u, 1000000000u, &err);
	if (mnt >= 0)
		snprintf(why, len, "supported (an overlay of idmapped layers was made)");
	else
		snprintf(why, len, "refused: %s", err.msg);
	return mnt >= 0;
}

bool idmapped_overlay_supported(char *why, size_t len)
{
	pid_t child = -1;
	cleanup_close int ns = probe_userns(&child);
	if (child > 0)
		waitpid(child, NULL, 0);
	char dir[] = "/tmp/husk-check-ovl.XXXXXX";
	if (ns < 0 || !mkdtemp(dir)) {
		snprintf(why, len, "cannot try: %s", strerror(errno));
		return false;
	}
	bool ok = overlay_idmap_try(dir, ns, why, len);
	remove_tree(dir); /* the work dir holds overlayfs' own (incompat/volatile/dirty) */
	return ok;
}

bool idmapped_supported(const char *path, char *why, size_t len)
{
	pid_t child = -1;
	cleanup_close int ns = probe_userns(&child);
	if (child > 0)
		waitpid(child, NULL, 0);
	if (ns < 0) {
		snprintf(why, len, "cannot make a user namespace to try: %s", strerror(errno));
		return false;
	}
	struct husk_err err = { 0 };
	cleanup_close int tree = idmapped_tree(path, ns, &err);
	if (tree < 0) {
		snprintf(why, len, "%s", err.msg);
		return false;
	}
	snprintf(why, len, "supported on %s (%s)", fs_name(path), path);
	return true;
}
