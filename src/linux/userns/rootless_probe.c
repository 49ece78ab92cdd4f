#include "linux/userns/rootless_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/fs.h"

/* What the child reports: 0 ok, else a step that failed and its errno. */
enum step { STEP_OK, STEP_USERNS, STEP_MAPS, STEP_MOUNT, STEP_OPAQUE };

static int child_try(const char *base)
{
	char uid_map[32], gid_map[32], opts[1200], merged[300];
	snprintf(uid_map, sizeof uid_map, "0 %d 1", (int)geteuid());
	snprintf(gid_map, sizeof gid_map, "0 %d 1", (int)getegid());
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return STEP_USERNS << 8 | errno;
	if (write_file("/proc/self/setgroups", "deny") < 0 ||
	    write_file("/proc/self/uid_map", uid_map) < 0 ||
	    write_file("/proc/self/gid_map", gid_map) < 0)
		return STEP_MAPS << 8 | errno;
	snprintf(opts, sizeof opts, "lowerdir=%s/l1:%s/l0,upperdir=%s/u,workdir=%s/w,userxattr",
		 base, base, base, base);
	snprintf(merged, sizeof merged, "%s/m", base);
	if (mount("overlay", merged, "overlay", 0, opts) < 0)
		return STEP_MOUNT << 8 | errno;
	char hidden[320];
	snprintf(hidden, sizeof hidden, "%s/sub/below", merged);
	int r = access(hidden, F_OK) == 0 ? STEP_OPAQUE << 8 : STEP_OK;
	umount2(merged, MNT_DETACH);
	return r;
}

/* l0/sub/below under l1/sub, opaque; u, w and m empty */
static int make_layers(const char *base)
{
	char p[300];
	static const char *const dirs[] = { "l0", "l0/sub", "l1", "l1/sub", "u", "w", "m" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		snprintf(p, sizeof p, "%s/%s", base, dirs[i]);
		if (mkdir(p, 0755) < 0)
			return -1;
	}
	snprintf(p, sizeof p, "%s/l0/sub/below", base);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(p, sizeof p, "%s/l1/sub", base);
	return setxattr(p, "user.overlay.opaque", "y", 1, 0);
}

static int run_child(const char *base)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return STEP_USERNS << 8 | errno;
	pid_t pid = fork();
	if (pid == 0) {
		int r = child_try(base);
		(void)!write(fds[1], &r, sizeof r);
		_exit(0);
	}
	close(fds[1]);
	int r = STEP_USERNS << 8 | (pid < 0 ? errno : ECHILD);
	if (pid > 0) {
		if (read(fds[0], &r, sizeof r) != sizeof r)
			r = STEP_USERNS << 8 | ECHILD;
		waitpid(pid, NULL, 0);
	}
	close(fds[0]);
	return r;
}

bool rootless_overlay_supported(const char *dir, char *why, size_t len)
{
	char base[256];
	snprintf(base, sizeof base, "%s/.husk-check-rootless.XXXXXX", dir);
	if (!mkdtemp(base)) {
		snprintf(why, len, "cannot try in %s: %s", dir, strerror(errno));
		return false;
	}
	int r = make_layers(base) < 0 ? -errno : run_child(base);
	char work[300]; /* overlayfs makes its work/work mode 0: a user could not list it */
	snprintf(work, sizeof work, "%s/w/work", base);
	chmod(work, 0700);
	remove_tree(base);
	static const char *const steps[] = {
		[STEP_USERNS] = "cannot make a user namespace",
		[STEP_MAPS] = "cannot map its own ids in a user namespace",
		[STEP_MOUNT] = "overlayfs cannot be mounted in a user namespace with userxattr "
			       "(Linux 5.11+)",
		[STEP_OPAQUE] = "user.overlay.opaque is not honoured (a layer's deletions would show)",
	};
	if (r < 0)
		snprintf(why, len, "%s holds no user.* xattrs (%s): a rootless store's opaque "
			 "directories cannot be kept there", dir, strerror(-r));
	else if (r)
		snprintf(why, len, "%s%s%s", steps[r >> 8], (r & 0xff) ? ": " : "",
			 (r & 0xff) ? strerror(r & 0xff) : "");
	else
		snprintf(why, len, "overlay in a user namespace with userxattr, opaque dirs as "
			 "user.overlay.opaque, on %s", dir);
	return r == 0;
}
