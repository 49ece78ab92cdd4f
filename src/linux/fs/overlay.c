#include "linux/fs/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/userns/idmapped.h"
#include "util/cleanup.h"
#include "util/explain.h"
#include "util/fs.h"
#include "util/path.h"

int overlay_options(char *const *lower, size_t n, const char *upper, const char *work,
		    const char *relative_to, char *out, size_t len)
{
	size_t rl = relative_to ? strlen(relative_to) : 0;
	size_t o = 0;
	int w = snprintf(out, len, "lowerdir=");
	if (w < 0 || (size_t)w >= len)
		return -1;
	o = (size_t)w;
	for (size_t i = 0; i < n; i++) {
		const char *p = lower[i];
		if (rl && !strncmp(p, relative_to, rl) && p[rl] == '/')
			p += rl + 1;
		w = snprintf(out + o, len - o, "%s%s", i ? ":" : "", p);
		if (w < 0 || (size_t)w >= len - o)
			return -1;
		o += (size_t)w;
	}
	w = snprintf(out + o, len - o, ",upperdir=%s,workdir=%s", upper, work);
	return w < 0 || (size_t)w >= len - o ? -1 : 0;
}

/* the new mount API adds lowerdirs one at a time ("lowerdir+", Linux 6.8): no
 * limit from the page-sized option string */
/* The overlay of s's layers on upper and work, detached (fsmount), through the new
 * mount API: lowerdirs are added one at a time ("lowerdir+", Linux 6.8), so no page
 * limits their number. -1 with errno set. */
static int overlay_fsmount(const struct husk_spec *s, const char *upper, const char *work)
{
	cleanup_close int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
		return -1;
	for (size_t i = 0; i < s->n_lower; i++)
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", s->lower[i], 0) < 0)
			return -1;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0 ||
	    (s->rootless && fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	return fsmount(fs, FSMOUNT_CLOEXEC, 0);
}

static int mount_fsconfig(const struct husk_spec *s, const char *upper, const char *work)
{
	cleanup_close int mnt = overlay_fsmount(s, upper, work);
	if (mnt < 0)
		return -1;
	return move_mount(mnt, "", AT_FDCWD, s->rootfs, MOVE_MOUNT_F_EMPTY_PATH);
}

/* the layers' common parent: a string of relative names is far shorter */
static void common_parent(char *const *lower, size_t n, char *out, size_t len)
{
	snprintf(out, len, "%s", lower[0]);
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
	for (size_t i = 1; i < n; i++) {
		size_t l = strlen(out);
		while (l && (strncmp(lower[i], out, l) || lower[i][l] != '/')) {
			char *sl = strrchr(out, '/');
			l = sl ? (size_t)(sl - out) : 0;
			out[l] = '\0';
		}
	}
}

/* overlay_options, plus userxattr for a rootless husk: in a user namespace overlayfs
 * cannot use trusted.overlay.* (its layers' opaque dirs are user.overlay.opaque) */
static int legacy_options(const struct husk_spec *s, const char *upper, const char *work,
			  const char *relative_to, char *out, size_t len)
{
	if (overlay_options(s->lower, s->n_lower, upper, work, relative_to, out, len))
		return -1;
	size_t o = strlen(out);
	return s->rootless && !path_fits(out + o, len - o, ",userxattr") ? -1 : 0;
}

static int mount_legacy(const struct husk_spec *s, const char *upper, const char *work,
			struct husk_err *err)
{
	char opts[4096], parent[PATH_MAX];
	if (legacy_options(s, upper, work, NULL, opts, sizeof opts) == 0)
		return mount("overlay", s->rootfs, "overlay", 0, opts) < 0 ?
			husk_error(err, errno, "mount -t overlay overlay %s (%zu layers)", s->rootfs,
				   s->n_lower) : 0;
	common_parent(s->lower, s->n_lower, parent, sizeof parent);
	if (!parent[0] ||
	    legacy_options(s, upper, work, parent, opts, sizeof opts))
		return husk_error(err, E2BIG, "mount -t overlay: %zu layers do not fit in one mount "
				  "option string on this kernel (before Linux 6.8)", s->n_lower);
	cleanup_close int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (chdir(parent) < 0)
		return husk_error(err, errno, "chdir %s", parent);
	int r = mount("overlay", s->rootfs, "overlay", 0, opts);
	int e = errno;
	if (cwd >= 0 && fchdir(cwd) < 0)
		e = e ? e : errno;
	return r < 0 ? husk_error(err, e, "mount -t overlay overlay %s (%zu layers, relative to %s)",
				  s->rootfs, s->n_lower, parent) : 0;
}

/* upper and work in the container's layer dir (<state>/<name>/layer, a link to the
 * store's containers/, engine/layer_dir.h), else beside the merged s->rootfs in
 * <state>/<name>; all three made */
static int overlay_dirs(const struct husk_spec *s, char *upper, char *work, size_t len,
			struct husk_err *err)
{
	char base[PATH_MAX];
	snprintf(base, sizeof base, "%s", s->rootfs);
	char *slash = strrchr(base, '/');
	if (!slash || slash == base)
		return husk_error(err, EINVAL, "overlay root '%s'", s->rootfs);
	*slash = '\0';
	struct stat st;
	size_t n = strlen(base);
	if (n + 7 < sizeof base) {
		memcpy(base + n, "/layer", 7);
		if (stat(base, &st) < 0 || !S_ISDIR(st.st_mode))
			base[n] = '\0';
	}
	if (path_format(upper, len, err, "overlay upper dir", "%s/upper", base) ||
	    path_format(work, len, err, "overlay work dir", "%s/work", base))
		return -1;
	const char *dirs[] = { upper, work, s->rootfs };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (mkdir(dirs[i], 0755) < 0 && errno != EEXIST)
			return husk_error(err, errno, "overlay: mkdir %s", dirs[i]);
	/* a restart (--restart, the same upper again): the last mount was volatile and
	 * left work/incompat/volatile, which makes overlayfs refuse the next one. It was
	 * this boot's (the state dir, on the state root, would be gone after a reboot,
	 * and the layer dir with it), unmounted when its namespace ended: its writes are
	 * in the upper filesystem's page cache, whole */
	char mark[PATH_MAX];
	if (path_fits(mark, sizeof mark, "%s/work/incompat", work) && remove_tree(mark) < 0 &&
	    errno != ENOENT)
		return husk_error(err, errno, "overlay: removing %s (the last run's volatile mark)", mark);
	return 0;
}

int overlay_mount_root(const struct husk_spec *s, struct husk_err *err)
{
	EXPLAIN_START(t);
	char upper[PATH_MAX], work[PATH_MAX];
	if (overlay_dirs(s, upper, work, sizeof upper, err))
		return -1;
	/* HUSK_OVERLAY_MOUNT=legacy: the mount(2) path of kernels before 6.8 (tests) */
	const char *how = getenv("HUSK_OVERLAY_MOUNT");
	bool legacy = how && !strcmp(how, "legacy");
	if (legacy ? (errno = EINVAL, -1) : mount_fsconfig(s, upper, work)) {
		int e = errno;
		if (e != EINVAL && e != ENOSYS && e != EPERM)
			return husk_error(err, e, "mount -t overlay overlay %s (%zu layers)", s->rootfs,
					  s->n_lower);
		if (mount_legacy(s, upper, work, err))
			return -1;
	}
	EXPLAIN(t, "mount -t overlay overlay -o lowerdir=%s%s,upperdir=%s,workdir=%s%s %s   # %zu layer%s",
		s->lower[0], s->n_lower > 1 ? ":..." : "", upper, work,
		s->rootless ? ",userxattr" : "", s->rootfs, s->n_lower,
		s->n_lower > 1 ? "s" : "");
	return 0;
}

/* What the mount thread does for overlay_idmapped(), and what it gives back. */
struct idmap_job {
	const struct husk_spec *s;
	int userns_fd;
	const char *upper, *work;
	int mnt;
	struct husk_err err;
};

/* In a private mount namespace of this thread alone: each layer's idmapped tree
 * mounted over the layer itself (overlayfs clones its layers from the caller's
 * namespace, never from a detached tree), the overlay made of those, detached. The
 * namespace, and the layer mounts in it, go with the thread; the overlay keeps its
 * own clones. The host's mount table never sees any of it. */
static void *idmap_thread(void *arg)
{
	struct idmap_job *j = arg;
	const struct husk_spec *s = j->s;
	if (unshare(CLONE_NEWNS) < 0) {
		husk_error(&j->err, errno, "unshare(CLONE_NEWNS) for the idmapped layers");
		return NULL;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		husk_error(&j->err, errno, "mount --make-rprivate / (idmapped layers)");
		return NULL;
	}
	/* each layer's idmapped tree over the layer itself: the overlay takes them by path */
	for (size_t i = 0; i < s->n_lower; i++) {
		cleanup_close int layer = idmapped_tree(s->lower[i], j->userns_fd, &j->err);
		if (layer < 0)
			return NULL;
		if (move_mount(layer, "", AT_FDCWD, s->lower[i], MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			husk_error(&j->err, errno, "move_mount (idmapped layer) onto %s", s->lower[i]);
			return NULL;
		}
	}
	if ((j->mnt = overlay_fsmount(s, j->upper, j->work)) < 0)
		husk_error(&j->err, errno, "mount -t overlay overlay %s (%zu idmapped layers; "
			   "lowerdir+ needs Linux 6.8)", s->rootfs, s->n_lower);
	return NULL;
}

int overlay_idmapped(const struct husk_spec *s, int userns_fd, uid_t root_uid, gid_t root_gid,
		     struct husk_err *err)
{
	char upper[PATH_MAX], work[PATH_MAX];
	if (overlay_dirs(s, upper, work, sizeof upper, err))
		return -1;
	/* "/" of the container is the upper dir's root: its root's, not the host's */
	if (chown(upper, root_uid, root_gid) < 0)
		return husk_error(err, errno, "overlay: chown %s", upper);
	struct idmap_job j = { .s = s, .userns_fd = userns_fd, .upper = upper, .work = work,
			       .mnt = -1 };
	pthread_t th;
	int e = pthread_create(&th, NULL, idmap_thread, &j);
	if (e)
		return husk_error(err, e, "a thread for the idmapped layers");
	pthread_join(th, NULL);
	if (j.mnt < 0) {
		*err = j.err;
		return -1;
	}
	return j.mnt;
}
