/* Unit tests for the input limits (src/util/input_limits.h): each reader refuses more
 * than its limit with one error naming it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/json_util.h"
#include "linux/security/seccomp/profile.h"
#include "oci/config.h"
#include "spec.h"
#include "util/input_limits.h"

#include "check.h"

/* "[[[...1...]]]" nested depth times */
static char *nested(int depth)
{
	char *s = malloc((size_t)depth * 2 + 2);
	if (!s)
		abort();
	memset(s, '[', (size_t)depth);
	s[depth] = '1';
	memset(s + depth + 1, ']', (size_t)depth);
	s[depth * 2 + 1] = '\0';
	return s;
}

static void test_depth(void)
{
	struct husk_err err = { 0 };
	struct husk_spec s;
	char *deep = nested(HUSK_JSON_MAX_DEPTH + 8);
	size_t cap = strlen(deep) + 64;
	char *text = malloc(cap);
	if (!text)
		abort();
	snprintf(text, cap, "{\"ociVersion\": \"1.0.2\", \"annotations\": %s}", deep);
	spec_init(&s);
	CHECK(oci_config_parse(text, strlen(text), "config.json", "/b", &s, &err) < 0 &&
	      strstr(err.msg, "config.json") && strstr(err.msg, "too deep"));
	spec_free(&s);
	memset(&err, 0, sizeof err);
	json_object *o = json_parse_buf(deep, strlen(deep), "manifest", &err);
	CHECK(!o && strstr(err.msg, "too deep"));
	free(text);
	free(deep);
	/* the limit itself is fine */
	char *ok = nested(HUSK_JSON_MAX_DEPTH - 1);
	memset(&err, 0, sizeof err);
	o = json_parse_buf(ok, strlen(ok), "manifest", &err);
	CHECK(o != NULL);
	json_object_put(o);
	free(ok);
}

static void test_sizes(void)
{
	char path[] = "/tmp/husk-test-limits-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && ftruncate(fd, HUSK_CONFIG_MAX + 1) == 0);
	struct husk_err err = { 0 };
	char *buf = NULL;
	size_t len;
	CHECK(oci_read_file(path, "config", &buf, &len, &err) < 0 && !buf &&
	      strstr(err.msg, "more than husk reads (16 MiB)"));
	memset(&err, 0, sizeof err);
	scmp_filter_ctx ctx = NULL;
	unsigned flags;
	CHECK(seccomp_json_profile(path, 0, &ctx, &flags, &err) < 0 && !ctx &&
	      strstr(err.msg, "more than husk reads (4 MiB)"));
	memset(&err, 0, sizeof err);
	static char big[HUSK_IMAGE_JSON_MAX + 2];
	CHECK(!json_parse_buf(big, sizeof big - 1, "manifest", &err) &&
	      strstr(err.msg, "more than husk reads (8 MiB)"));
	close(fd);
	unlink(path);
}

static void test_counts(void)
{
	struct husk_spec s;
	struct husk_err err = { 0 };
	spec_init(&s);
	snprintf(s.name, sizeof s.name, "limits");
	char kv[32];
	for (int i = 0; i <= HUSK_MAX_ENV; i++) {
		snprintf(kv, sizeof kv, "V%d=x", i);
		spec_setenv(&s, kv, &err);
	}
	CHECK(spec_validate(&s, &err) < 0 && strstr(err.msg, "too many environment variables: 8193"));
	spec_free(&s);
}

int main(void)
{
	test_depth();
	test_sizes();
	test_counts();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
