/* Unit tests for remove_tree (src/util/fs.c): the whole tree goes, empty directories
 * by one rmdir, files by their d_type; a symlink is removed, never followed; a mount
 * point inside is never entered. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

#include "check.h"

static char base[64];

static void mk(const char *rel, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", base, rel);
	if (S_ISDIR(mode))
		CHECKF(mkdir(p, mode & 07777) == 0, "mkdir %s: %s", p, strerror(errno));
	else {
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		CHECKF(fd >= 0 && write(fd, "x", 1) == 1, "create %s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
}

static bool exists(const char *rel)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", base, rel);
	return lstat(p, &st) == 0;
}

static void test_tree(void)
{
	char p[256], link[256];
	mk("t", S_IFDIR | 0755);
	mk("t/a", S_IFREG);
	mk("t/empty", S_IFDIR | 0755);
	mk("t/n", S_IFDIR | 0700);
	mk("t/n/x", S_IFREG);
	mk("t/n/y", S_IFDIR | 0755);
	mk("t/n/y/z", S_IFDIR | 0); /* mode 0: root removes it all the same */
	mk("outside", S_IFDIR | 0755);
	mk("outside/keep", S_IFREG);
	snprintf(p, sizeof p, "%s/outside", base);
	snprintf(link, sizeof link, "%s/t/n/out", base);
	CHECK(symlink(p, link) == 0);
	snprintf(p, sizeof p, "%s/t/fifo", base);
	CHECK(mkfifo(p, 0600) == 0);
	snprintf(p, sizeof p, "%s/t", base);
	CHECK(remove_tree(p) == 0);
	CHECK(!exists("t"));
	CHECK(exists("outside/keep")); /* through the symlink: untouched */
	/* nothing there: 0; a file: removed */
	CHECK(remove_tree(p) == 0);
	snprintf(p, sizeof p, "%s/outside/keep", base);
	CHECK(remove_tree(p) == 0 && !exists("outside/keep"));
	/* an empty directory alone */
	snprintf(p, sizeof p, "%s/outside", base);
	CHECK(remove_tree(p) == 0 && !exists("outside"));
}

/* as root: a tmpfs mounted inside is not entered, its file stays */
static void test_mount_inside(void)
{
	if (geteuid() != 0) {
		printf("skip: mount inside (not root)\n");
		return;
	}
	char m[256], p[256];
	mk("m", S_IFDIR | 0755);
	mk("m/d", S_IFDIR | 0755);
	snprintf(m, sizeof m, "%s/m/d", base);
	if (mount("tmpfs", m, "tmpfs", 0, "size=64k") < 0) {
		printf("skip: mount inside (%s)\n", strerror(errno));
		return;
	}
	mk("m/d/f", S_IFREG);
	snprintf(p, sizeof p, "%s/m", base);
	CHECK(remove_tree(p) == -1);
	CHECK(exists("m/d/f"));
	CHECK(umount(m) == 0);
	CHECK(remove_tree(p) == 0 && !exists("m"));
}

int main(void)
{
	snprintf(base, sizeof base, "/tmp/test_fs.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	test_tree();
	test_mount_inside();
	CHECK(rmdir(base) == 0);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
