/* Unit tests for the parsers in src/util/parse.c: good values, garbage, overflow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_mounts.h"
#include "util/parse.h"

#include "check.h"

static int64_t size_of(const char *s)
{
	int64_t v = -12345;
	return parse_size(s, &v) == 0 ? v : -1;
}

static void test_sizes(void)
{
	CHECK(size_of("0") == 0);
	CHECK(size_of("4096") == 4096);
	CHECK(size_of("512k") == 512 * 1024);
	CHECK(size_of("512K") == 512 * 1024);
	CHECK(size_of("100M") == 100LL << 20);
	CHECK(size_of("100m") == 100LL << 20);
	CHECK(size_of("50MB") == 50LL << 20);
	CHECK(size_of("1g") == 1LL << 30);
	CHECK(size_of("1GiB") == 1LL << 30);
	CHECK(size_of("1.5G") == 3LL << 29);
	CHECK(size_of("2t") == 2LL << 40);
	CHECK(size_of("100b") == 100);
	/* garbage */
	CHECK(size_of("") == -1);
	CHECK(size_of("100X") == -1);
	CHECK(size_of("M") == -1);
	CHECK(size_of("-1") == -1);
	CHECK(size_of(" 100M") == -1);
	CHECK(size_of("100M ") == -1);
	CHECK(size_of("1.5") == -1);
	CHECK(size_of("1.") == -1);
	CHECK(size_of("10MM") == -1);
	CHECK(size_of("0x10") == -1);
	/* overflow */
	CHECK(size_of("9223372036854775807") == 9223372036854775807LL);
	CHECK(size_of("9223372036854775808") == -1);
	CHECK(size_of("99999999999999999999999") == -1);
	CHECK(size_of("8388608T") == -1);
	CHECK(size_of("8388607T") == 8388607LL << 40);
}

static int64_t cpus_of(const char *s)
{
	int64_t v = -1;
	return parse_cpus(s, &v) == 0 ? v : -1;
}

static int64_t pct_of(const char *s)
{
	int64_t v = -1;
	return parse_cpu_percent(s, &v) == 0 ? v : -1;
}

static void test_cpus(void)
{
	CHECK(cpus_of("0.5") == 500);
	CHECK(cpus_of("1") == 1000);
	CHECK(cpus_of("2.25") == 2250);
	CHECK(cpus_of("0.001") == 1);
	CHECK(cpus_of("0") == -1);
	CHECK(cpus_of("0.0001") == -1);
	CHECK(cpus_of("-1") == -1);
	CHECK(cpus_of("inf") == -1);
	CHECK(cpus_of("nan") == -1);
	CHECK(cpus_of("1e3") == -1);
	CHECK(cpus_of("") == -1);
	CHECK(cpus_of("abc") == -1);
	CHECK(cpus_of("1e400") == -1);
	CHECK(cpus_of("99999999999999999999") == -1);
	CHECK(pct_of("50%") == 500);
	CHECK(pct_of("100%") == 1000);
	CHECK(pct_of("150%") == 1500);
	CHECK(pct_of("50") == -1);
	CHECK(pct_of("%") == -1);
	CHECK(pct_of("0%") == -1);
	CHECK(pct_of("-5%") == -1);
}

static void test_names(void)
{
	CHECK(valid_name("web"));
	CHECK(valid_name("a"));
	CHECK(valid_name("my_app.v2-1"));
	CHECK(!valid_name(""));
	CHECK(!valid_name("-web"));
	CHECK(!valid_name(".."));
	CHECK(!valid_name("../etc"));
	CHECK(!valid_name("a/b"));
	CHECK(!valid_name("a b"));
	char long_name[70];
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	CHECK(!valid_name(long_name));
	long_name[64] = '\0';
	CHECK(valid_name(long_name));

	CHECK(valid_hostname("web"));
	CHECK(valid_hostname("web-1.example.com"));
	CHECK(valid_hostname("1abc"));
	CHECK(!valid_hostname(""));
	CHECK(!valid_hostname("-web"));
	CHECK(!valid_hostname("web-"));
	CHECK(!valid_hostname("a..b"));
	CHECK(!valid_hostname("a_b"));
	CHECK(!valid_hostname("a.b."));
	CHECK(!valid_hostname("bad host"));
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	CHECK(!valid_hostname(long_name));

	CHECK(valid_env_name("PATH", 4));
	CHECK(valid_env_name("_x1", 3));
	CHECK(!valid_env_name("1X", 2));
	CHECK(!valid_env_name("A-B", 3));
	CHECK(!valid_env_name("", 0));
}

static void test_volumes(void)
{
	struct volume v;
	struct husk_err e = { 0 };
	CHECK(parse_volume("/a:/b", &v, &e) == 0 && !strcmp(v.host, "/a") && !strcmp(v.ctr, "/b") && !v.readonly);
	free(v.host); free(v.ctr);
	CHECK(parse_volume("/a:/b:ro", &v, &e) == 0 && v.readonly);
	free(v.host); free(v.ctr);
	memset(&e, 0, sizeof e);
	CHECK(parse_volume("/a", &v, &e) == -1 && strstr(e.msg, "'/a'"));
	memset(&e, 0, sizeof e);
	CHECK(parse_volume("a:/b", &v, &e) == -1 && strstr(e.msg, "absolute"));
	memset(&e, 0, sizeof e);
	CHECK(parse_volume("/a:b", &v, &e) == -1);
	memset(&e, 0, sizeof e);
	CHECK(parse_volume("/a:/b:rx", &v, &e) == -1 && strstr(e.msg, "rx"));

	struct tmpfs_mount t;
	memset(&e, 0, sizeof e);
	CHECK(parse_tmpfs("/run:size=64m", &t, &e) == 0 && t.size == 64LL << 20 && !strcmp(t.ctr, "/run"));
	free(t.ctr);
	CHECK(parse_tmpfs("/x", &t, &e) == 0 && t.size == 0 && t.mode == 01777);
	free(t.ctr);
	memset(&e, 0, sizeof e);
	CHECK(parse_tmpfs("x", &t, &e) == -1);
	memset(&e, 0, sizeof e);
	CHECK(parse_tmpfs("/x:size=12Q", &t, &e) == -1 && strstr(e.msg, "12Q") && !t.ctr);
	memset(&e, 0, sizeof e);
	/* a refusal leaves nothing allocated (fuzz_parse's regress-tmpfs-refused-leaves-path) */
	CHECK(parse_tmpfs("/x:bogus=1", &t, &e) == -1 && !t.ctr);
}

static void test_users_and_ports(void)
{
	int64_t u, g;
	CHECK(parse_numeric_user("1000", &u, &g) == 1 && u == 1000 && g == -1);
	CHECK(parse_numeric_user("1000:100", &u, &g) == 1 && u == 1000 && g == 100);
	CHECK(parse_numeric_user("nobody", &u, &g) == 0);
	CHECK(parse_numeric_user("99999999999", &u, &g) == 0);

	char ip[64];
	uint16_t hp, cp;
	int proto;
	struct husk_err e = { 0 };
	CHECK(parse_publish("8080:80", ip, sizeof ip, &hp, &cp, &proto, &e) == 0 && hp == 8080 &&
	      cp == 80 && proto == 6 && !ip[0]);
	CHECK(parse_publish("127.0.0.1:18080:8080/udp", ip, sizeof ip, &hp, &cp, &proto, &e) == 0 &&
	      !strcmp(ip, "127.0.0.1") && proto == 17);
	CHECK(parse_publish("[::1]:80:80", ip, sizeof ip, &hp, &cp, &proto, &e) == 0 && !strcmp(ip, "::1"));
	memset(&e, 0, sizeof e);
	CHECK(parse_publish("0:80", ip, sizeof ip, &hp, &cp, &proto, &e) == -1);
	memset(&e, 0, sizeof e);
	CHECK(parse_publish("65536:80", ip, sizeof ip, &hp, &cp, &proto, &e) == -1 && strstr(e.msg, "65536"));
	memset(&e, 0, sizeof e);
	CHECK(parse_publish("80", ip, sizeof ip, &hp, &cp, &proto, &e) == -1);
	memset(&e, 0, sizeof e);
	CHECK(parse_publish("80:80/sctp", ip, sizeof ip, &hp, &cp, &proto, &e) == -1);
	memset(&e, 0, sizeof e);
	CHECK(parse_publish("a:b", ip, sizeof ip, &hp, &cp, &proto, &e) == -1);

	char buf[32];
	format_size(52428800, buf, sizeof buf);
	CHECK(!strcmp(buf, "50M"));
	format_size(1000, buf, sizeof buf);
	CHECK(!strcmp(buf, "1000"));
}

int main(void)
{
	test_sizes();
	test_cpus();
	test_names();
	test_volumes();
	test_users_and_ports();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
