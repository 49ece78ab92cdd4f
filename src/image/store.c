#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/path.h"

static const char *const layout[] = { "layers", "blobs", "blobs/sha256", "images", "tmp" };

/* tmp/ dirs whose husk died (their flock is free) */
static void remove_stale_staging(const struct store *st)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s/tmp", st->root);
	DIR *d = opendir(tmp);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p[PATH_MAX];
		if (!path_fits(p, sizeof p, "%s/%s", tmp, de->d_name))
			continue; /* not one of husk's (they have short names) */
		cleanup_close int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
			remove_tree(p);
	}
	closedir(d);
}

int store_open(struct store *st, const char *root, bool create, struct husk_err *err)
{
	st->lock_fd = -1;
	if (!root || root[0] != '/')
		return husk_error(err, 0, "invalid image root '%s': must be an absolute path",
				  root ? root : "");
	if (strlen(root) >= sizeof st->root)
		return husk_error(err, ENAMETOOLONG, "image root '%s'", root);
	snprintf(st->root, sizeof st->root, "%s", root);
	if (!create)
		return 0;
	if (mkdir_p(st->root, 0700) < 0)
		return husk_error(err, errno, "image store %s", st->root);
	for (size_t i = 0; i < ARRAY_SIZE(layout); i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", st->root, layout[i]);
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return husk_error(err, errno, "image store %s", p);
	}
	if (store_lock(st, err))
		return -1;
	remove_stale_staging(st);
	store_unlock(st);
	return 0;
}

bool store_exists(const struct store *st)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/images", st->root);
	return access(p, F_OK) == 0;
}

int store_lock(struct store *st, struct husk_err *err)
{
	if (st->lock_fd >= 0)
		return 0;
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/.lock", st->root);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return husk_error(err, e, "locking the image store %s", p);
	}
	st->lock_fd = fd;
	return 0;
}

void store_unlock(struct store *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
}

int staging_create(struct store *st, struct staging *sg, struct husk_err *err)
{
	sg->lock_fd = -1;
	/* under the store's lock: another husk's clean-up of stale dirs must not see
	 * this one before its flock is taken */
	bool held = st->lock_fd >= 0;
	if (!held && store_lock(st, err))
		return -1;
	snprintf(sg->path, sizeof sg->path, "%s/tmp/XXXXXX", st->root);
	int fd = -1, e = 0;
	if (!mkdtemp(sg->path)) {
		e = errno;
		sg->path[0] = '\0';
	} else if ((fd = open(sg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
		   flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		rmdir(sg->path);
		sg->path[0] = '\0';
	}
	if (!held)
		store_unlock(st);
	if (e)
		return husk_error(err, e, "staging directory in %s/tmp", st->root);
	sg->lock_fd = fd;
	return 0;
}

void staging_discard(struct staging *sg)
{
	if (sg->path[0])
		remove_tree(sg->path);
	sg->path[0] = '\0';
	if (sg->lock_fd >= 0)
		close(sg->lock_fd);
	sg->lock_fd = -1;
}

void store_layer_path(const struct store *st, const char *diff_id, char *out, size_t len)
{
	snprintf(out, len, "%s/layers/%s", st->root, digest_hex(diff_id));
}

void store_blob_path(const struct store *st, const char *digest, char *out, size_t len)
{
	snprintf(out, len, "%s/blobs/sha256/%s", st->root, digest_hex(digest));
}

bool store_has_layer(const struct store *st, const char *diff_id)
{
	char p[PATH_MAX];
	store_layer_path(st, diff_id, p, sizeof p);
	struct stat s;
	return stat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

int store_commit_layer(struct store *st, const char *dir, const char *diff_id,
		       struct husk_err *err)
{
	char p[PATH_MAX];
	store_layer_path(st, diff_id, p, sizeof p);
	if (store_has_layer(st, diff_id))
		return remove_tree(dir) < 0 && errno != ENOENT ?
			husk_error(err, errno, "removing %s", dir) : 0;
	if (chmod(dir, 0755) < 0 || rename(dir, p) < 0)
		return husk_error(err, errno, "storing layer %s", diff_id);
	return 0;
}

int store_write_file(const char *path, const void *data, size_t n, struct husk_err *err)
{
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
	cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return husk_error(err, errno, "writing %s", path);
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;
			unlink(tmp);
			return husk_error(err, e, "writing %s", path);
		}
		p += w;
		n -= (size_t)w;
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return husk_error(err, e, "writing %s", path);
	}
	return 0;
}

int store_put_blob(struct store *st, const char *digest, const void *data, size_t n,
		   struct husk_err *err)
{
	char got[DIGEST_STR_LEN];
	if (!digest_valid(digest))
		return husk_error(err, 0, "invalid digest '%s'", digest);
	if (sha256_buffer(data, n, got))
		return husk_error(err, ENOMEM, "sha256");
	if (strcmp(got, digest))
		return husk_error(err, 0, "blob %s: its content has digest %s", digest, got);
	char p[PATH_MAX];
	store_blob_path(st, digest, p, sizeof p);
	if (access(p, F_OK) == 0)
		return 0;
	return store_write_file(p, data, n, err);
}

char *store_get_blob(const struct store *st, const char *digest, size_t *n,
		     struct husk_err *err)
{
	char p[PATH_MAX];
	if (!digest_valid(digest)) {
		husk_error(err, 0, "invalid digest '%s'", digest);
		return NULL;
	}
	store_blob_path(st, digest, p, sizeof p);
	cleanup_fclose FILE *f = fopen(p, "re");
	if (!f) {
		husk_error(err, errno, "blob %s", p);
		return NULL;
	}
	struct stat s;
	if (fstat(fileno(f), &s) < 0 || s.st_size > (64 << 20)) {
		husk_error(err, EFBIG, "blob %s", p);
		return NULL;
	}
	char *buf = malloc((size_t)s.st_size + 1);
	if (!buf || fread(buf, 1, (size_t)s.st_size, f) != (size_t)s.st_size) {
		free(buf);
		husk_error(err, errno ? errno : EIO, "reading blob %s", p);
		return NULL;
	}
	buf[s.st_size] = '\0';
	*n = (size_t)s.st_size;
	char got[DIGEST_STR_LEN];
	if (sha256_buffer(buf, *n, got) || strcmp(got, digest)) {
		free(buf);
		husk_error(err, 0, "blob %s is corrupt (its digest is %s)", p, got);
		return NULL;
	}
	return buf;
}
