/* Unit tests for src/util/passwd.c: --user resolution against a container's own
 * /etc/passwd and /etc/group, in a temporary root directory. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/passwd.h"

#include "check.h"

static char base[PATH_MAX];

static void write_text(const char *rel, const char *text)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", base, rel);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void make_dir(const char *rel)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", base, rel);
	if (mkdir(path, 0755) < 0) {
		perror(path);
		exit(2);
	}
}

static int open_dir(const char *rel)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", base, rel);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	return fd;
}

/* Resolves spec; returns 0/-1 and leaves the error message in err. */
static int resolve(int root, const char *spec, struct husk_user *u, struct husk_err *err)
{
	memset(err, 0, sizeof *err);
	return passwd_resolve(root, spec, u, err);
}

static int has_group(const struct husk_user *u, gid_t g)
{
	for (int i = 0; i < u->ngroups; i++)
		if (u->groups[i] == g)
			return 1;
	return 0;
}

static void test_names(int root)
{
	struct husk_user u;
	struct husk_err e;
	CHECK(resolve(root, "root", &u, &e) == 0 && u.uid == 0 && u.gid == 0 &&
	      !strcmp(u.home, "/root"));
	CHECK(resolve(root, "alice", &u, &e) == 0 && u.uid == 1000 && u.gid == 1000 &&
	      !strcmp(u.home, "/home/alice"));
	/* supplementary groups: alice is listed in wheel, audio and bob, not in root */
	CHECK(resolve(root, "alice", &u, &e) == 0 && has_group(&u, 10) && has_group(&u, 29) &&
	      has_group(&u, 1001) && !has_group(&u, 0) && u.ngroups == 3);
	/* a member list that only contains a longer name does not match */
	CHECK(resolve(root, "bob", &u, &e) == 0 && u.uid == 1001 && !has_group(&u, 29));
	/* name:group and name:gid */
	CHECK(resolve(root, "alice:audio", &u, &e) == 0 && u.uid == 1000 && u.gid == 29);
	CHECK(resolve(root, "alice:4242", &u, &e) == 0 && u.uid == 1000 && u.gid == 4242);
	/* unknown user and group: the message names them */
	CHECK(resolve(root, "mallory", &u, &e) == -1 && strstr(e.msg, "'mallory'"));
	CHECK(resolve(root, "alice:nogroup-here", &u, &e) == -1 && strstr(e.msg, "nogroup-here"));
	/* names are case sensitive and must match whole */
	CHECK(resolve(root, "Alice", &u, &e) == -1);
	CHECK(resolve(root, "ali", &u, &e) == -1);
	/* malformed lines are skipped, not half-parsed */
	CHECK(resolve(root, "broken", &u, &e) == -1);
	CHECK(resolve(root, "badid", &u, &e) == -1);
}

static void test_numeric(int root)
{
	struct husk_user u;
	struct husk_err e;
	/* a uid with a passwd entry takes its gid and home */
	CHECK(resolve(root, "1000", &u, &e) == 0 && u.uid == 1000 && u.gid == 1000 &&
	      !strcmp(u.home, "/home/alice"));
	/* without one (as docker): uid, gid = uid, home / */
	CHECK(resolve(root, "4321", &u, &e) == 0 && u.uid == 4321 && !strcmp(u.home, "/"));
	CHECK(resolve(root, "4321:8765", &u, &e) == 0 && u.uid == 4321 && u.gid == 8765);
	CHECK(resolve(root, "0:audio", &u, &e) == 0 && u.uid == 0 && u.gid == 29);
	CHECK(resolve(root, "4294967294", &u, &e) == 0 && u.uid == 4294967294U);
	/* garbage and overflow */
	CHECK(resolve(root, "", &u, &e) == -1);
	CHECK(resolve(root, "alice:", &u, &e) == -1 && strstr(e.msg, "alice:"));
	CHECK(resolve(root, ":100", &u, &e) == -1);
	CHECK(resolve(root, "-1", &u, &e) == -1);
	CHECK(resolve(root, "4294967295", &u, &e) == -1);
	CHECK(resolve(root, "99999999999999999999", &u, &e) == -1);
	CHECK(resolve(root, "1000:-5", &u, &e) == -1);
	char longspec[600];
	memset(longspec, 'a', sizeof longspec - 1);
	longspec[sizeof longspec - 1] = '\0';
	CHECK(resolve(root, longspec, &u, &e) == -1);
}

/* The files are the container's: a symlink in its tree cannot reach the host's. */
static void test_symlinks_stay_inside(void)
{
	struct husk_user u;
	struct husk_err e;
	make_dir("evil");
	make_dir("evil/etc");
	write_text("outside-passwd", "ghost:x:666:666::/:/bin/sh\n");
	/* absolute and relative links that would leave the root on the host */
	char link[PATH_MAX + 64];
	snprintf(link, sizeof link, "%s/evil/etc/passwd", base);
	char target[PATH_MAX + 64];
	snprintf(target, sizeof target, "%s/outside-passwd", base);
	CHECK(symlink(target, link) == 0);
	snprintf(link, sizeof link, "%s/evil/etc/group", base);
	CHECK(symlink("../../../../../../../outside-passwd", link) == 0);
	int root = open_dir("evil");
	CHECK(resolve(root, "ghost", &u, &e) == -1);
	CHECK(resolve(root, "0:ghost", &u, &e) == -1);
	/* numeric users still work without readable files */
	CHECK(resolve(root, "5:6", &u, &e) == 0 && u.uid == 5 && u.gid == 6);
	close(root);
}

/* A root without /etc/passwd at all: names fail, numbers work. */
static void test_empty_root(void)
{
	struct husk_user u;
	struct husk_err e;
	make_dir("empty");
	int root = open_dir("empty");
	CHECK(resolve(root, "root", &u, &e) == -1 && strstr(e.msg, "root"));
	CHECK(resolve(root, "0", &u, &e) == 0 && u.uid == 0 && u.gid == 0);
	close(root);
}

static void cleanup(void)
{
	char cmd[PATH_MAX + 32];
	if (base[0] && !strncmp(base, "/tmp/husk-passwd.", 17)) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", base);
	}
}

/* lines longer than any buffer: read whole, never as two (the tail of a long gecos
 * is no user of its own; a member far down a long list is found) */
static void test_long_lines(void)
{
	make_dir("long");
	make_dir("long/etc");
	static char pw[4096], gr[16384];
	int n = snprintf(pw, sizeof pw, "long:x:5:5:");
	while (n < 1023)
		pw[n++] = 'A';
	snprintf(pw + n, sizeof pw - (size_t)n, "eve:x:7:7::/e:/bin/sh\nalice:x:1000:1000::/h:/bin/sh\n");
	write_text("long/etc/passwd", pw);
	n = snprintf(gr, sizeof gr, "big:x:77:");
	for (int i = 0; n < 9000; i++)
		n += snprintf(gr + n, sizeof gr - (size_t)n, "user%d,", i);
	snprintf(gr + n, sizeof gr - (size_t)n, "alice\n");
	write_text("long/etc/group", gr);
	int root = open_dir("long");
	struct husk_user u;
	struct husk_err e;
	CHECK(resolve(root, "eve", &u, &e) == -1);
	CHECK(resolve(root, "long", &u, &e) == 0 && u.uid == 5);
	CHECK(resolve(root, "alice", &u, &e) == 0 && u.uid == 1000 && has_group(&u, 77));
	close(root);
}

int main(void)
{
	snprintf(base, sizeof base, "/tmp/husk-passwd.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 2;
	}
	atexit(cleanup);
	make_dir("good");
	make_dir("good/etc");
	write_text("good/etc/passwd",
		   "root:x:0:0:root:/root:/bin/sh\n"
		   "# a comment line\n"
		   "\n"
		   "broken:x:12\n"
		   "badid:x:abc:1:bad:/:/bin/sh\n"
		   "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
		   "bob:x:1001:1001:Bob:/home/bob:/bin/sh\n"
		   "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
	write_text("good/etc/group",
		   "root:x:0:\n"
		   "wheel:x:10:root,alice\n"
		   "audio:x:29:alice,bobby\n"
		   "alice:x:1000:\n"
		   "bob:x:1001:alice\n"
		   "garbage line\n"
		   "nogroup:x:65534:\n");
	int root = open_dir("good");
	test_names(root);
	test_numeric(root);
	close(root);
	test_symlinks_stay_inside();
	test_empty_root();
	test_long_lines();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
