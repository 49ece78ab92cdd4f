/* Unit tests for src/engine/state.c: a state root that only husk's root lock is
 * left in goes away with it, on the paths that find nothing to do as well. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/state.h"
#include "spec.h"

#include "check.h"

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* a record removed by another husk while this one waited for the root lock (two
 * `rm -f` of one name at once): "no such container", and no <root>/.lock left */
static void test_remove_missing(const char *base)
{
	char root[512];
	snprintf(root, sizeof root, "%s/r1", base);
	CHECK(mkdir(root, 0700) == 0);
	struct husk_err e = { 0 };
	CHECK(state_remove_record(root, "gone", &e) == -1 && e.errnum == ENOENT &&
	      strstr(e.msg, "no such container: gone"));
	CHECK(!exists(root));
}

/* the root holds someone else's file: the root stays, husk's lock does not */
static void test_remove_missing_foreign_file(const char *base)
{
	char root[512], other[600], lock[600];
	snprintf(root, sizeof root, "%s/r2", base);
	snprintf(other, sizeof other, "%s/engine.pid", root);
	snprintf(lock, sizeof lock, "%s/.lock", root);
	CHECK(mkdir(root, 0700) == 0);
	FILE *f = fopen(other, "w");
	CHECK(f && fclose(f) == 0);
	struct husk_err e = { 0 };
	CHECK(state_remove_record(root, "gone", &e) == -1 && e.errnum == ENOENT);
	CHECK(exists(other) && !exists(lock));
}

/* a name refused after the root lock was taken (its record exists): the lock goes */
static void test_create_refused(const char *base)
{
	static struct husk_spec s;
	char dir[HUSK_STATE_DIR_LEN], taken[600], lock[600];
	snprintf(s.state_root, sizeof s.state_root, "%s/r3", base);
	snprintf(s.name, sizeof s.name, "taken");
	snprintf(taken, sizeof taken, "%s/taken", s.state_root);
	snprintf(lock, sizeof lock, "%s/.lock", s.state_root);
	CHECK(mkdir(s.state_root, 0700) == 0 && mkdir(taken, 0700) == 0);
	/* a container of `husk create` (no husk process holds it): not stale */
	char rec[700];
	snprintf(rec, sizeof rec, "%s/state.json", taken);
	FILE *f = fopen(rec, "w");
	CHECK(f && fputs("{\"face\": \"oci\"}\n", f) >= 0 && fclose(f) == 0);
	int fd = -1;
	struct husk_err e = { 0 };
	CHECK(state_create(&s, dir, sizeof dir, &fd, &e) == -1 && fd == -1 &&
	      strstr(e.msg, "a container with that name exists"));
	CHECK(exists(taken) && exists(lock)); /* the lock stays while a record does */
	CHECK(unlink(rec) == 0 && rmdir(taken) == 0);
	/* refused with no record beside it (the path does not fit): root and lock go */
	char small[8];
	CHECK(state_create(&s, small, sizeof small, &fd, &e) == -1 && fd == -1 &&
	      !exists(s.state_root));
	/* and once the name is free, a record is made and its removal takes the root along */
	memset(&e, 0, sizeof e);
	CHECK(state_create(&s, dir, sizeof dir, &fd, &e) == 0 && fd >= 0 && exists(dir));
	state_remove(dir, fd);
	CHECK(!exists(s.state_root));
}

int main(void)
{
	char base[] = "/tmp/husk-test-state.XXXXXX";
	if (!mkdtemp(base))
		return 1;
	test_remove_missing(base);
	test_remove_missing_foreign_file(base);
	test_create_refused(base);
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", base);
	if (system(cmd) != 0)
		failed++;
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
