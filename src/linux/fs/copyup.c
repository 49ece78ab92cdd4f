#include "linux/fs/copyup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

/* deeper than any image's tree: a loop of bind mounts would end here */
#define COPYUP_MAX_DEPTH 64

static int copy_meta(int dir, const char *name, const struct stat *st)
{
	int fl = AT_SYMLINK_NOFOLLOW;
	if (fchownat(dir, name, st->st_uid, st->st_gid, fl) < 0 && errno != EPERM && errno != EINVAL)
		return -1;
	/* after chown, which clears set-id bits; symlinks have no mode of their own */
	if (!S_ISLNK(st->st_mode) && fchmodat(dir, name, st->st_mode & 07777, 0) < 0)
		return -1;
	const struct timespec t[2] = { st->st_atim, st->st_mtim };
	return utimensat(dir, name, t, fl);
}

static int copy_file(int from, int to, const char *name, const struct stat *st)
{
	cleanup_close int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -1;
	cleanup_close int out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				       0600);
	if (out < 0)
		return -1;
	for (off_t left = st->st_size; left > 0;) {
		ssize_t n = sendfile(out, in, NULL, left > (1 << 30) ? (1 << 30) : (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : 0; /* the file shrank meanwhile: what there was */
		left -= n;
	}
	return 0;
}

static int copy_dir(int from, int to, int depth, const char *what, struct husk_err *err);

static int copy_entry(int from, int to, const char *name, int depth, const char *what,
		      struct husk_err *err)
{
	struct stat st;
	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return husk_error(err, errno, "tmpcopyup of %s: %s", what, name);
	int r;
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(to, name, 0700) < 0)
			return husk_error(err, errno, "tmpcopyup of %s: mkdir %s", what, name);
		cleanup_close int sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_close int sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub_from < 0 || sub_to < 0)
			return husk_error(err, errno, "tmpcopyup of %s: %s", what, name);
		if (copy_dir(sub_from, sub_to, depth + 1, what, err))
			return -1;
		r = 0;
	} else if (S_ISREG(st.st_mode)) {
		r = copy_file(from, to, name, &st);
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(from, name, target, sizeof target - 1);
		r = n < 0 ? -1 : (target[n] = '\0', symlinkat(target, to, name));
	} else {
		r = mknodat(to, name, st.st_mode & (S_IFMT | 0600), st.st_rdev);
	}
	if (r < 0 || copy_meta(to, name, &st) < 0)
		return husk_error(err, errno, "tmpcopyup of %s: %s", what, name);
	return 0;
}

static int copy_dir(int from, int to, int depth, const char *what, struct husk_err *err)
{
	if (depth > COPYUP_MAX_DEPTH)
		return husk_error(err, ELOOP, "tmpcopyup of %s: deeper than %d directories", what,
				  COPYUP_MAX_DEPTH);
	int dfd = dup(from);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return husk_error(err, errno, "tmpcopyup of %s", what);
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = copy_entry(from, to, de->d_name, depth, what, err);
	closedir(d);
	return r;
}

int copyup_tree(int from_fd, int to_fd, const char *what, struct husk_err *err)
{
	if (copy_dir(from_fd, to_fd, 0, what, err))
		return -1;
	/* the tmpfs's root takes the directory's own mode and owner too */
	struct stat st;
	if (fstat(from_fd, &st) < 0 ||
	    (fchown(to_fd, st.st_uid, st.st_gid) < 0 && errno != EPERM && errno != EINVAL) ||
	    fchmod(to_fd, st.st_mode & 07777) < 0)
		return husk_error(err, errno, "tmpcopyup of %s", what);
	return 0;
}
