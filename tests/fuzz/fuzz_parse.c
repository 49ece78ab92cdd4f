/* The CLI's value parsers (src/util/parse.c, parse_signal in src/cli/record.c,
 * spec_setenv in src/spec.c): the first byte picks the parser, the rest is the value
 * as the user would type it. Each must answer 0/-1 (or a bool) and never read past
 * the string; what it accepts must make sense. */
#include <stdio.h>

#include "cli/record.h"
#include "spec.h"
#include "util/parse.h"

#include "fuzz_common.h"

static void volume(const char *s)
{
	struct husk_err err = { 0 };
	struct volume v = { 0 };
	if (parse_volume(s, &v, &err) == 0) {
		if (v.host[0] != '/' || v.ctr[0] != '/')
			abort();
		free(v.host);
		free(v.ctr);
	} else if (!err.set || v.host || v.ctr) {
		abort(); /* a refusal names its value and leaves nothing allocated */
	}
}

static void tmpfs(const char *s)
{
	struct husk_err err = { 0 };
	struct tmpfs_mount t = { 0 };
	if (parse_tmpfs(s, &t, &err) == 0) {
		if (t.ctr[0] != '/' || t.size < 0)
			abort();
		free(t.ctr);
	} else if (!err.set || t.ctr) {
		abort();
	}
}

static void publish(const char *s)
{
	struct husk_err err = { 0 };
	char ip[64];
	uint16_t hp, cp;
	int proto;
	if (parse_publish(s, ip, sizeof ip, &hp, &cp, &proto, &err) == 0) {
		if (strlen(ip) >= sizeof ip)
			abort();
	} else if (!err.set) {
		abort();
	}
}

static void env(const char *s)
{
	struct husk_spec spec;
	struct husk_err err = { 0 };
	spec_init(&spec);
	/* twice: the second replaces the first */
	if (spec_setenv(&spec, s, &err) == 0 && (spec_setenv(&spec, s, &err) || spec.n_env != 1))
		abort();
	spec_free(&spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = fuzz_str(data + 1, size - 1);
	int64_t a, b;
	char buf[64];
	switch (data[0] % 12) {
	case 0:
		if (parse_size(s, &a) == 0) {
			if (a < 0)
				abort();
			format_size(a, buf, sizeof buf);
		}
		break;
	case 1: if (parse_cpus(s, &a) == 0 && a <= 0) abort(); break;
	case 2: if (parse_cpu_percent(s, &a) == 0 && a <= 0) abort(); break;
	case 3: if (parse_int(s, -5, 70000, &a) == 0 && (a < -5 || a > 70000)) abort(); break;
	case 4: if (valid_name(s) && strlen(s) > 64) abort(); break;
	case 5: if (valid_hostname(s) && strlen(s) > 64) abort(); break;
	case 6: (void)valid_env_name(s, strlen(s)); env(s); break;
	case 7: volume(s); break;
	case 8: tmpfs(s); break;
	case 9: (void)parse_numeric_user(s, &a, &b); break;
	case 10: publish(s); break;
	case 11: { int sig = parse_signal(s); if (sig == 0 || sig > 64) abort(); break; }
	}
	free(s);
	return 0;
}
