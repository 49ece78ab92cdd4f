/* Unit tests for src/util/path.c: a path fits its buffer, or the caller hears so,
 * naming it; it is never cut silently. */
#include <string.h>

#include "util/path.h"

#include "check.h"

static void test_format(void)
{
	char buf[16];
	struct husk_err e = { 0 };
	CHECK(path_format(buf, sizeof buf, &e, "--root", "%s/%s", "/run", "husk") == 0 &&
	      !strcmp(buf, "/run/husk") && !e.set);
	/* exactly full: 15 bytes and the NUL */
	CHECK(path_format(buf, sizeof buf, &e, "x", "%s", "/123456789abcde") == 0 && !e.set);
	/* one byte too many: refused, buf empty, the message names the value and the limit */
	CHECK(path_format(buf, sizeof buf, &e, "--volume", "%s", "/123456789abcdef") == -1 &&
	      buf[0] == '\0' && e.set && strstr(e.msg, "--volume: path too long (16 bytes, at most 15)") &&
	      strstr(e.msg, "'/123456789abcdef...'"));
}

static void test_fits(void)
{
	char buf[8];
	CHECK(path_fits(buf, sizeof buf, "%s", "/a/b") && !strcmp(buf, "/a/b"));
	CHECK(!path_fits(buf, sizeof buf, "%s/%d", "/abcdef", 7) && buf[0] == '\0');
}

int main(void)
{
	test_format();
	test_fits();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
