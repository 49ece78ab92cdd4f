#include "image/unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/layer_stream.h"
#include "image/tarpath.h"
#include "image/libs.h"
#include "util/cleanup.h"
#include "linux/userns/rootless.h"
#include "util/input_limits.h"

struct unpack {
	int root;
	int parent_fd; /* cache: tar entries come in directory order */
	char parent[PATH_MAX];
	struct archive *a;
	struct layer_stream *ls;
	struct layer_digests *d;
	struct husk_err *err;
	const char *name; /* the entry being unpacked, as the archive names it */
	int64_t end;      /* the end of the data written to the current file */
	bool rootless;    /* in a user namespace of a rootless husk (rootless_ns.h) */
};

static ssize_t inner_read(struct archive *a, void *arg, const void **buf)
{
	(void)a;
	struct unpack *u = arg;
	ssize_t n = layer_stream_read(u->ls, buf);
	if (n < 0) /* the reader thread's own words before libarchive's */
		layer_stream_error(u->ls, u->err);
	return n;
}

static int refuse(struct unpack *u, int errnum, const char *why)
{
	return husk_error(u->err, errnum, "refusing layer entry '%s': %s", u->name, why);
}

static int open_beneath(int root, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	return (int)syscall(SYS_openat2, root, path[0] ? path : ".", &how, sizeof how);
}

/* The parent directory of an entry, created if the archive did not list it; never
 * through a symlink. */
static int parent_fd(struct unpack *u, const char *parent)
{
	if (u->parent_fd >= 0 && !strcmp(parent, u->parent))
		return u->parent_fd;
	if (u->parent_fd >= 0)
		close(u->parent_fd);
	u->parent_fd = -1;
	int fd = open_beneath(u->root, parent, O_PATH | O_DIRECTORY);
	if (fd < 0 && errno == ENOENT) {
		char sub[PATH_MAX];
		for (size_t i = 0;; i++) {
			if (parent[i] != '/' && parent[i] != '\0')
				continue;
			memcpy(sub, parent, i);
			sub[i] = '\0';
			char up[PATH_MAX];
			const char *base = tar_path_split(sub, up, sizeof up);
			cleanup_close int ufd = open_beneath(u->root, up, O_PATH | O_DIRECTORY);
			if (ufd < 0 || (mkdirat(ufd, base, 0755) < 0 && errno != EEXIST))
				break;
			if (!parent[i])
				break;
		}
		fd = open_beneath(u->root, parent, O_PATH | O_DIRECTORY);
	}
	if (fd < 0) {
		if (errno == ELOOP || errno == EXDEV)
			return refuse(u, 0, "its path goes through a symlink");
		if (errno == ENOTDIR)
			return refuse(u, 0, "its path goes through something that is not a directory");
		return refuse(u, errno, "opening its directory");
	}
	snprintf(u->parent, sizeof u->parent, "%s", parent);
	u->parent_fd = fd;
	return fd;
}

/* Makes room for a new entry: what this layer put at the name before goes, except
 * a directory over a symlink (refused) and a non-empty directory. */
static int clear_name(struct unpack *u, int pfd, const char *base, int is_dir)
{
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : refuse(u, errno, "stat");
	if (is_dir && S_ISLNK(st.st_mode))
		return refuse(u, 0, "a directory replaces a symlink made earlier in the layer");
	if (is_dir && S_ISDIR(st.st_mode))
		return 1; /* exists: keep it, update its metadata */
	if (S_ISDIR(st.st_mode)) {
		if (u->parent_fd >= 0)
			close(u->parent_fd);
		u->parent_fd = -1; /* the cached parent may live under it */
		if (unlinkat(pfd, base, AT_REMOVEDIR) < 0)
			return refuse(u, errno, "replacing a directory");
		return 0;
	}
	if (unlinkat(pfd, base, 0) < 0)
		return refuse(u, errno, "replacing an earlier entry");
	return 0;
}

/* A rootless husk without a subid range has only its own id mapped (chown to any
 * other is EINVAL; with a small range, to those past it): such entries stay the
 * user's, said once. */
static int set_owner(struct unpack *u, struct archive_entry *e, int fd, int pfd, const char *base)
{
	static bool said;
	uid_t uid = (uid_t)archive_entry_uid(e);
	gid_t gid = (gid_t)archive_entry_gid(e);
	int r = fd >= 0 ? fchown(fd, uid, gid) : fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW);
	if (r == 0 || errno != EINVAL || !u->rootless)
		return r;
	if (!said)
		husk_warn("warning: rootless: uid %u (gid %u) of '%s' is not mapped (no /etc/subuid "
			  "range, or a smaller one): files of unmapped owners are stored as yours",
			  (unsigned)uid, (unsigned)gid, u->name);
	said = true;
	return 0;
}

static int apply_xattrs(struct unpack *u, struct archive_entry *e, const char *path, int fd)
{
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		/* a layer must not forge overlayfs' own metadata */
		if (!strncmp(name, "trusted.overlay.", 16) || !strncmp(name, "user.overlay.", 13))
			continue;
		int r = fd >= 0 ? fsetxattr(fd, name, value, size, 0) :
				  lsetxattr(path, name, value, size, 0);
		/* trusted.* and most of security.* are the host root's alone */
		if (r < 0 && errno != ENOTSUP && !(u->rootless && errno == EPERM))
			return refuse(u, errno, "setting an extended attribute");
	}
	return 0;
}

static int write_data(struct unpack *u, int fd)
{
	const void *buf;
	size_t n;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(u->a, &buf, &n, &off)) == ARCHIVE_OK) {
		const char *p = buf;
		while (n) {
			ssize_t w = pwrite(fd, p, n, off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return refuse(u, errno, "writing");
			}
			p += w;
			off += w;
			n -= (size_t)w;
			u->d->size += w;
			if (off > u->end)
				u->end = off;
		}
	}
	if (r != ARCHIVE_EOF)
		return husk_error(u->err, 0, "layer entry '%s': %s", u->name, archive_error_string(u->a));
	return 0;
}

/* a file that would leave less than HUSK_LAYER_FREE_RESERVE free is refused before a
 * byte of it is written (a small layer can expand to terabytes) */
static int check_room(struct unpack *u, int fd, int64_t size)
{
	struct statvfs sv;
	if (size <= 0 || fstatvfs(fd, &sv) < 0)
		return 0;
	long long avail = (long long)sv.f_bavail * (long long)sv.f_frsize;
	if (size <= avail - HUSK_LAYER_FREE_RESERVE)
		return 0;
	return husk_error(u->err, ENOSPC, "layer entry '%s': %lld bytes would leave less than %lld MiB "
			  "free on the store's filesystem (%lld MiB free)", u->name, (long long)size,
			  HUSK_LAYER_FREE_RESERVE >> 20, avail >> 20);
}

static int make_file(struct unpack *u, struct archive_entry *e, int pfd, const char *base)
{
	cleanup_close int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				      0600);
	if (fd < 0)
		return errno == EEXIST ? 1 : refuse(u, errno, "creating");
	if (check_room(u, fd, archive_entry_size(e)))
		return -1;
	u->end = 0;
	if (write_data(u, fd))
		return -1;
	/* a sparse file's trailing hole */
	if (u->end < archive_entry_size(e) && ftruncate(fd, archive_entry_size(e)) < 0)
		return refuse(u, errno, "truncating");
	/* chown first: it clears set-id bits and file capabilities */
	if (set_owner(u, e, fd, -1, NULL) < 0 || fchmod(fd, archive_entry_perm(e)) < 0)
		return refuse(u, errno, "setting owner and mode");
	if (apply_xattrs(u, e, NULL, fd))
		return -1;
	struct timespec ts[2] = {
		{ archive_entry_atime(e), archive_entry_atime_nsec(e) },
		{ archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
	};
	if (!archive_entry_atime_is_set(e))
		ts[0] = ts[1];
	futimens(fd, ts);
	return 0;
}

static int set_meta_at(struct unpack *u, struct archive_entry *e, int pfd, const char *base,
		       int is_link)
{
	int fl = AT_SYMLINK_NOFOLLOW;
	if (set_owner(u, e, -1, pfd, base) < 0)
		return refuse(u, errno, "setting the owner");
	if (!is_link && fchmodat(pfd, base, archive_entry_perm(e), 0) < 0)
		return refuse(u, errno, "setting the mode");
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "/proc/self/fd/%d/%s", pfd, base);
	if (apply_xattrs(u, e, path, -1))
		return -1;
	struct timespec ts[2] = {
		{ archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
		{ archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
	};
	utimensat(pfd, base, ts, fl);
	return 0;
}

static int make_hardlink(struct unpack *u, const char *target, int pfd, const char *base)
{
	char clean[PATH_MAX], tparent[PATH_MAX];
	const char *why;
	if (tar_path_clean(target, clean, sizeof clean, &why) || !clean[0])
		return refuse(u, 0, "hard link target leads out of the layer");
	const char *tbase = tar_path_split(clean, tparent, sizeof tparent);
	cleanup_close int tfd = open_beneath(u->root, tparent, O_PATH | O_DIRECTORY);
	if (tfd < 0)
		return refuse(u, 0, errno == ENOENT ? "hard link target is not in the layer" :
					"hard link target's path goes through a symlink");
	if (linkat(tfd, tbase, pfd, base, 0) < 0)
		return errno == EEXIST ? 1 : refuse(u, errno, "hard link");
	return 0;
}

static int whiteout(struct unpack *u, int kind, int pfd, const char *hidden)
{
	if (kind == 3)
		return 0;
	if (kind == 1) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", pfd);
		/* a rootless overlay is mounted with userxattr (linux/fs/overlay.c) */
		const char *name = u->rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";
		if (setxattr(path, name, "y", 1, 0) < 0)
			return refuse(u, errno, "marking the directory opaque");
		return 0;
	}
	if (!strcmp(hidden, ".") || !strcmp(hidden, "..") || strchr(hidden, '/'))
		return refuse(u, 0, "bad whiteout name");
	if (clear_name(u, pfd, hidden, 0) < 0)
		return -1;
	if (mknodat(pfd, hidden, S_IFCHR | 0600, makedev(0, 0)) < 0)
		return refuse(u, errno, "making the whiteout");
	return 0;
}

/* a user namespace makes no device node (as podman's rootless storage, the entry is
 * left out: a container gets its /dev from husk) */
static int skip_device(struct unpack *u)
{
	static bool said;
	if (!said)
		husk_warn("warning: rootless: device node '%s' (and any other in the image) is not "
			  "stored: a user namespace cannot make one", u->name);
	said = true;
	return 0;
}

/* 0, -1 (refused), or 1 when the name exists already */
static int create_entry(struct unpack *u, struct archive_entry *e, int pfd, const char *base,
			const char *clean, const char *hl)
{
	const char *why;
	mode_t type = archive_entry_filetype(e);
	if (hl)
		return make_hardlink(u, hl, pfd, base);
	switch (type) {
	case AE_IFREG:
		return make_file(u, e, pfd, base);
	case AE_IFDIR:
		if (mkdirat(pfd, base, 0700) < 0)
			return errno == EEXIST ? 1 : refuse(u, errno, "creating the directory");
		return set_meta_at(u, e, pfd, base, 0);
	case AE_IFLNK: {
		const char *t = archive_entry_symlink(e);
		if (tar_symlink_check(clean, t, &why))
			return refuse(u, 0, why);
		if (symlinkat(t, pfd, base) < 0)
			return errno == EEXIST ? 1 : refuse(u, errno, "creating the symlink");
		return set_meta_at(u, e, pfd, base, 1);
	}
	case AE_IFCHR: case AE_IFBLK: case AE_IFIFO:
		if (mknodat(pfd, base, type | 0600, archive_entry_rdev(e)) < 0) {
			if (errno == EPERM && u->rootless && type != AE_IFIFO)
				return skip_device(u);
			return errno == EEXIST ? 1 : refuse(u, errno, "creating the device node");
		}
		return set_meta_at(u, e, pfd, base, 0);
	default:
		return 0; /* sockets: nothing to unpack */
	}
}

static int unpack_entry(struct unpack *u, struct archive_entry *e)
{
	char clean[PATH_MAX], parent[PATH_MAX];
	const char *why;
	u->name = archive_entry_pathname(e);
	if (!u->name)
		return husk_error(u->err, 0, "layer entry without a name");
	if (tar_path_clean(u->name, clean, sizeof clean, &why))
		return refuse(u, 0, why);
	mode_t type = archive_entry_filetype(e);
	if (!clean[0])
		return type == AE_IFDIR ? 0 : refuse(u, 0, "the layer's root is not a directory");
	const char *base = tar_path_split(clean, parent, sizeof parent);
	int pfd = parent_fd(u, parent);
	if (pfd < 0)
		return -1;
	const char *hidden = NULL;
	int wk = tar_whiteout_kind(base, &hidden);
	if (wk)
		return whiteout(u, wk, pfd, hidden);
	const char *hl = archive_entry_hardlink(e);
	/* create first: a name this layer used already (EEXIST) is rare */
	int r = create_entry(u, e, pfd, base, clean, hl);
	if (r != 1)
		return r;
	r = clear_name(u, pfd, base, !hl && type == AE_IFDIR);
	if (r < 0 || (pfd = parent_fd(u, parent)) < 0) /* clear_name may drop the cache */
		return -1;
	if (r == 1) /* a directory again: its metadata */
		return set_meta_at(u, e, pfd, base, 0);
	r = create_entry(u, e, pfd, base, clean, hl);
	return r == 1 ? refuse(u, EEXIST, "creating") : r;
}

static int unpack_entries(struct unpack *u)
{
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(u->a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (unpack_entry(u, e))
			return -1;
		u->d->entries++;
	}
	if (r != ARCHIVE_EOF)
		return husk_error(u->err, 0, "reading the layer: %s", archive_error_string(u->a));
	return 0;
}

int layer_unpack(int dirfd, layer_read_fn fn, void *arg, struct layer_digests *d,
		 struct husk_err *err)
{
	memset(d, 0, sizeof *d);
	struct unpack u = { .root = dirfd, .parent_fd = -1, .d = d, .err = err,
			    .rootless = rootless() };
	int r = -1;
	if (!(u.ls = layer_stream_open(fn, arg, err)))
		return -1;
	if (!(u.a = archive_read_new())) {
		husk_error(err, ENOMEM, "libarchive");
		goto out;
	}
	archive_read_support_format_tar(u.a);
	archive_read_support_format_gnutar(u.a);
	if (archive_read_open(u.a, &u, NULL, inner_read, NULL) != ARCHIVE_OK) {
		husk_error(err, 0, "reading the layer's tar: %s", archive_error_string(u.a));
		goto out;
	}
	if (unpack_entries(&u) || layer_stream_finish(u.ls, d->blob, d->diff, err))
		goto out;
	r = 0;
out:
	if (u.parent_fd >= 0)
		close(u.parent_fd);
	if (u.a)
		archive_read_free(u.a);
	layer_stream_close(u.ls);
	return r;
}
