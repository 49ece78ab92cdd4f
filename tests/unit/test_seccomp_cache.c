/* Unit tests for src/linux/security/seccomp/cache.c: a profile compiled once is the
 * same program when it comes back from the cache; what is not husk's entry (another
 * mode, a cut file, another magic) is compiled again; other capabilities or another
 * profile are other entries; HUSK_SECCOMP_CACHE=0 stores nothing; the oldest entries
 * go past SECCOMP_CACHE_MAX. */
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/security/seccomp/cache.h"
#include "linux/security/seccomp/profile.h"
#include "util/fs.h"

#include "check.h"

static const char *profile =
	"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\"],"
	" \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\","
	" \"errnoRet\": 38}, {\"names\": [\"chown\"], \"action\": \"SCMP_ACT_ALLOW\","
	" \"includes\": {\"caps\": [\"CAP_CHOWN\"]}}]}";

static char dir[256];

static int one(int dfd, const char *name, void *arg)
{
	(void)dfd, (void)name, (void)arg;
	return 1;
}

static int entries(void)
{
	char d[300];
	snprintf(d, sizeof d, "%s/seccomp", dir);
	return dir_each(d, one, NULL);
}

/* the one entry's path */
static void entry(char *out, size_t len)
{
	char d[300];
	snprintf(d, sizeof d, "%s/seccomp", dir);
	DIR *h = opendir(d);
	struct dirent *de;
	out[0] = '\0';
	while (h && (de = readdir(h)))
		if (de->d_name[0] != '.')
			snprintf(out, len, "%s/%s", d, de->d_name);
	if (h)
		closedir(h);
}

static bool same(const struct sock_fprog *a, const struct sock_fprog *b)
{
	return a->len == b->len && !memcmp(a->filter, b->filter, a->len * sizeof *a->filter);
}

static ino_t inode(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? st.st_ino : 0;
}

static void compile(const char *text, uint64_t caps, struct sock_fprog *p, unsigned *fl)
{
	struct husk_err e = { 0 };
	CHECKF(seccomp_compile_text(text, "test", caps, p, fl, &e) == 0, "%s", e.msg);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/husk-test-sccache.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	setenv("HUSK_CACHE_DIR", dir, 1);
	unsetenv("HUSK_SECCOMP_CACHE");

	/* a miss stores it; a hit gives the same program and flags, the entry untouched */
	struct sock_fprog a = { 0 }, b = { 0 }, c = { 0 };
	unsigned fa = 0, fb = 0, fc = 0;
	struct husk_err e = { 0 };
	CHECK(seccomp_cache_get(profile, 1, &a, &fa) == -1);
	compile(profile, 1, &a, &fa);
	CHECK(entries() == 1);
	char path[600];
	entry(path, sizeof path);
	ino_t first = inode(path);
	CHECK(seccomp_cache_get(profile, 1, &b, &fb) == 0 && same(&a, &b) && fa == fb);
	free(b.filter);
	compile(profile, 1, &b, &fb);
	CHECK(same(&a, &b) && inode(path) == first && entries() == 1);
	free(b.filter);

	/* other capabilities (the profile's includes test CAP_CHOWN): another entry */
	compile(profile, 0, &c, &fc);
	CHECK(entries() == 2);
	free(c.filter);

	/* not husk's own entry: mode 0644, a cut file, another magic: compiled again */
	CHECK(chmod(path, 0644) == 0);
	CHECK(seccomp_cache_get(profile, 1, &b, &fb) == -1);
	compile(profile, 1, &b, &fb);
	CHECK(same(&a, &b) && inode(path) != first);
	free(b.filter);
	CHECK(truncate(path, 20) == 0);
	CHECK(seccomp_cache_get(profile, 1, &b, &fb) == -1);
	compile(profile, 1, &b, &fb);
	free(b.filter);
	int fd = open(path, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "XXXXXXXX", 8, 0) == 8);
	if (fd >= 0)
		close(fd);
	CHECK(seccomp_cache_get(profile, 1, &b, &fb) == -1);
	compile(profile, 1, &b, &fb);
	CHECK(seccomp_cache_get(profile, 1, &c, &fc) == 0 && same(&a, &c));
	free(b.filter);
	free(c.filter);

	/* off: nothing stored */
	setenv("HUSK_SECCOMP_CACHE", "0", 1);
	int before = entries();
	compile(profile, 3, &b, &fb);
	CHECK(entries() == before);
	CHECK(seccomp_cache_get(profile, 1, &c, &fc) == -1);
	free(b.filter);
	unsetenv("HUSK_SECCOMP_CACHE");

	/* past SECCOMP_CACHE_MAX the oldest go */
	for (int i = 0; i < SECCOMP_CACHE_MAX + 5; i++) {
		char p[64];
		snprintf(p, sizeof p, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": %d}",
			 i + 1);
		compile(p, 1, &b, &fb);
		free(b.filter);
	}
	CHECKF(entries() == SECCOMP_CACHE_MAX, "%d entries", entries());
	/* the last ones are there, the first profile's went */
	CHECK(seccomp_cache_get(profile, 1, &c, &fc) == -1);
	(void)e;
	free(a.filter);

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		failed++;
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
