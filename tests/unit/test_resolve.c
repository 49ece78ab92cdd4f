/* Unit tests for src/linux/fs/resolve.c and procfs.c: paths of a root stay inside it,
 * creation follows the same walk, procfs is reached only as procfs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/fs/procfs.h"
#include "linux/fs/resolve.h"

#include "check.h"

static char base[PATH_MAX];

static void at(char *out, const char *rel)
{
	if (snprintf(out, PATH_MAX, "%s/%s", base, rel) >= PATH_MAX)
		abort(); /* the test's own paths are short */
}

static void make(const char *rel, const char *symlink_to)
{
	char p[PATH_MAX];
	at(p, rel);
	if ((symlink_to ? symlink(symlink_to, p) : mkdir(p, 0755)) < 0) {
		perror(p);
		exit(2);
	}
}

static int exists(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;
	at(p, rel);
	return lstat(p, &st) == 0;
}

static void test_resolve_stays_inside(int root)
{
	/* an absolute symlink and a ".." chain both end at the root, not the host's / */
	int fd = resolve_in_root(root, "abs/etc/passwd", O_RDONLY);
	CHECK(fd < 0 && errno == ENOENT);
	fd = resolve_in_root(root, "up/etc/passwd", O_RDONLY);
	CHECK(fd < 0 && errno == ENOENT);
	fd = resolve_in_root(root, "/../../etc/passwd", O_RDONLY);
	CHECK(fd < 0 && errno == ENOENT);
	/* "/proc/self/fd" is the root's own /proc, not the host's */
	fd = resolve_in_root(root, "magic/1", O_PATH);
	CHECK(fd < 0 && errno == ENOENT);
	fd = resolve_in_root(root, "abs/dir", O_PATH | O_DIRECTORY);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

static void test_create_stays_inside(int root)
{
	struct husk_err err = { 0 };
	/* "up" points at ../../..: the directories must be made under the root */
	int fd = resolve_create_in_root(root, "/up/made/by/test", 0, &err);
	CHECK(fd >= 0);
	CHECK(exists("made/by/test"));
	if (fd >= 0)
		close(fd);
	fd = resolve_create_in_root(root, "abs/newfile", 1, &err);
	CHECK(fd >= 0);
	char p[PATH_MAX];
	struct stat st;
	at(p, "newfile");
	CHECK(stat(p, &st) == 0 && S_ISREG(st.st_mode));
	if (fd >= 0)
		close(fd);
	memset(&err, 0, sizeof err);
	fd = resolve_create_in_root(root, "magic/x", 0, &err);
	CHECK(fd < 0 && err.set);
}

static void test_procfs(void)
{
	int root = procfs_root();
	CHECK(root >= 0);
	char buf[256];
	CHECK(procfs_read("self/status", buf, sizeof buf) > 0 && !strncmp(buf, "Name:", 5));
	CHECK(procfs_read("/proc/sys/kernel/ostype", buf, sizeof buf) > 0 && !strncmp(buf, "Linux", 5));
	/* symlinks inside procfs (magic or not) are never followed */
	int fd = procfs_open_at(root, "self/cwd/etc/passwd", O_RDONLY);
	CHECK(fd < 0 && errno == ELOOP);
	fd = procfs_open_at(root, "self/fd/0", O_RDONLY);
	CHECK(fd < 0 && errno == ELOOP);
	fd = procfs_open_at(root, "mounts", O_RDONLY); /* a symlink to self/mounts */
	CHECK(fd < 0 && errno == ELOOP);
	fd = procfs_open_at(root, "../etc/passwd", O_RDONLY);
	CHECK(fd < 0 && errno == EXDEV);
	struct husk_err err = { 0 };
	CHECK(procfs_write_at(root, "self/fd/1", "x", &err) < 0 && strstr(err.msg, "symlink"));
	if (root >= 0)
		close(root);
}

int main(void)
{
	snprintf(base, sizeof base, "/tmp/husk-test-resolve-XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 2;
	}
	make("dir", NULL);
	make("abs", "/");
	make("up", "../../..");
	make("magic", "/proc/self/fd");
	int root = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	test_resolve_stays_inside(root);
	test_create_stays_inside(root);
	close(root);
	test_procfs();
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "left %s\n", base);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
