/* Unit tests for src/linux/userns/: id maps, /etc/subuid lines, the --userns auto
 * pool (allocation, disjoint blocks, a SIGKILLed holder's block reclaimed). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/ns.h"
#include "linux/userns/idmap.h"
#include "linux/userns/join.h"
#include "linux/userns/mount_fallback.h"
#include "linux/userns/pool.h"
#include "linux/userns/rootless.h"
#include "linux/userns/subid.h"
#include "linux/userns/userns.h"
#include "util/cleanup.h"
#include "spec.h"

#include "check.h"

static int parse(const char *text, struct id_map *m)
{
	struct husk_err err = { 0 };
	memset(m, 0, sizeof *m);
	return idmap_parse_proc(text, m, "test", &err);
}

static void test_idmap(void)
{
	struct id_map m;
	char buf[256];
	CHECK(parse("0 100000 65536\n", &m) == 0 && m.n == 1 && m.r[0].outside == 100000);
	CHECK(parse("         0 2147483648      65536\n", &m) == 0 && m.r[0].outside == 2147483648u);
	CHECK(parse("0 1000 1\n1 100000 65536\n", &m) == 0 && m.n == 2);
	CHECK(idmap_format(&m, buf, sizeof buf) == 0 && !strcmp(buf, "0 1000 1\n1 100000 65536\n"));
	CHECK(idmap_format(&m, buf, 10) == -1);
	CHECK(idmap_to_host(&m, 0) == 1000 && idmap_to_host(&m, 1) == 100000);
	CHECK(idmap_to_host(&m, 65536) == 165535 && idmap_to_host(&m, 65537) == -1);
	CHECK(idmap_to_container(&m, 1000) == 0 && idmap_to_container(&m, 999) == -1);
	CHECK(parse("", &m) == 0 && m.n == 0);
	/* garbage, overflow, overlaps */
	CHECK(parse("0 100000\n", &m) == -1);
	CHECK(parse("0 100000 65536 7\n", &m) == -1);
	CHECK(parse("-1 100000 65536\n", &m) == -1);
	CHECK(parse("0 100000 0\n", &m) == -1);
	CHECK(parse("0 4294967295 1\n", &m) == -1);
	CHECK(parse("0 4294967294 1\n", &m) == 0);
	CHECK(parse("0 99999999999 1\n", &m) == -1);
	CHECK(parse("0 4294901760 65536\n", &m) == -1);
	CHECK(parse("0 1000 10\n5 2000 10\n", &m) == -1);  /* inside overlaps */
	CHECK(parse("0 1000 10\n10 1005 10\n", &m) == -1); /* outside overlaps */
	CHECK(parse("0 1000 10\n10 1010 10\n", &m) == 0);
	CHECK(parse("0 1 1\nx", &m) == -1);

	struct husk_err err = { 0 };
	memset(&m, 0, sizeof m);
	CHECK(idmap_parse_triple("0:100000:65536", &m, &err) == 0 && m.r[0].count == 65536);
	CHECK(idmap_parse_triple("0:100000", &m, &err) == -1);
	CHECK(idmap_parse_triple("0:100000:65536:", &m, &err) == -1);
	CHECK(idmap_parse_triple("0: 1:1", &m, &err) == -1);
	CHECK(idmap_parse_triple("", &m, &err) == -1);
	memset(&m, 0, sizeof m);
	for (uint32_t i = 0; i < IDMAP_MAX; i++)
		CHECK(idmap_add(&m, i, 1000 + i, 1, &err) == 0);
	CHECK(idmap_add(&m, 100, 2000, 1, &err) == -1);
}

static void test_subid(void)
{
	const char *text = "# comment\nalice:100000:65536\nbob:165536:65536\n"
			   "1001:231072:65536\nalice:300000:1000\nbad:x:1\nalice:1:0\n"
			   "carol:4294967295:1\ndave:5:10 \r\n";
	struct subid_range r[4];
	CHECK(subid_parse(text, "alice", 1000, r, 4) == 2 && r[0].start == 100000 &&
	      r[0].count == 65536 && r[1].start == 300000);
	CHECK(subid_parse(text, "bob", 1001, r, 4) == 2 && r[0].start == 165536 && r[1].start == 231072);
	CHECK(subid_parse(text, "nobody", 1001, r, 4) == 1 && r[0].start == 231072);
	CHECK(subid_parse(text, "nobody", 5000, r, 4) == 0);
	CHECK(subid_parse(text, "bad", 7, r, 4) == 0);
	CHECK(subid_parse(text, "carol", 7, r, 4) == 0);
	CHECK(subid_parse(text, "dave", 7, r, 4) == 1 && r[0].count == 10);
	CHECK(subid_parse(text, "alice", 1000, r, 1) == 1);
	CHECK(subid_parse("", "alice", 1000, r, 4) == 0);
	CHECK(subid_parse("alice", "alice", 1000, r, 4) == 0);
	CHECK(subid_parse("alic:1:1", "alice", 1000, r, 4) == 0);
}

static void test_pool(void)
{
	char dir[] = "/tmp/husk-test-pool.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char sub[64];
	snprintf(sub, sizeof sub, "%s/p", dir);
	struct userns_pool p = { .start = 1000000, .count = 3 * USERNS_BLOCK };
	struct husk_err err = { 0 };
	uint32_t a = 0, b = 0, c = 0, d = 0;
	int fa = userns_pool_take(sub, &p, "a", &a, &err);
	int fb = userns_pool_take(sub, &p, "b", &b, &err);
	CHECK(fa >= 0 && fb >= 0 && a == 1000000 && b == 1000000 + USERNS_BLOCK);
	CHECK(userns_pool_held(sub) == 2);

	/* a holder killed with SIGKILL: its block comes back on the next take */
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct husk_err e = { 0 };
		uint32_t s;
		int fd = userns_pool_take(sub, &p, "killed", &s, &e);
		(void)!write(pfd[1], &s, sizeof s);
		pause();
		_exit(fd >= 0 ? 0 : 1);
	}
	uint32_t ks = 0;
	CHECK(read(pfd[0], &ks, sizeof ks) == sizeof ks && ks == 1000000 + 2 * USERNS_BLOCK);
	CHECK(userns_pool_take(sub, &p, "full", &d, &err) == -1 && strstr(err.msg, "no free block"));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	int fc = userns_pool_take(sub, &p, "c", &c, &err);
	CHECK(fc >= 0 && c == ks);

	/* released blocks are reused lowest first; the last one out removes the dir */
	userns_pool_release(sub, a, fa);
	memset(&err, 0, sizeof err);
	int fa2 = userns_pool_take(sub, &p, "a2", &a, &err);
	CHECK(fa2 >= 0 && a == 1000000);
	userns_pool_release(sub, a, fa2);
	userns_pool_release(sub, b, fb);
	userns_pool_release(sub, c, fc);
	struct stat st;
	CHECK(stat(sub, &st) < 0 && errno == ENOENT);
	CHECK(userns_pool_held(sub) == 0);
	rmdir(dir);
	close(pfd[0]);
	close(pfd[1]);
}

static void test_pool_config(void)
{
	struct userns_pool p;
	struct husk_err err = { 0 };
	setenv("HUSK_USERNS_POOL", "200000:131072", 1);
	CHECK(userns_pool_config(&p, &err) == 0 && p.start == 200000 && p.count == 131072);
	setenv("HUSK_USERNS_POOL", "200000:100000", 1); /* rounded down to whole blocks */
	CHECK(userns_pool_config(&p, &err) == 0 && p.count == 65536);
	err.set = 0;
	setenv("HUSK_USERNS_POOL", "200000:1000", 1);
	CHECK(userns_pool_config(&p, &err) == -1);
	err.set = 0;
	setenv("HUSK_USERNS_POOL", "0:65536", 1);
	CHECK(userns_pool_config(&p, &err) == -1);
	err.set = 0;
	setenv("HUSK_USERNS_POOL", "4294901760:65536", 1);
	CHECK(userns_pool_config(&p, &err) == -1);
	err.set = 0;
	setenv("HUSK_USERNS_POOL", "abc", 1);
	CHECK(userns_pool_config(&p, &err) == -1);
	unsetenv("HUSK_USERNS_POOL");
}

/* A bundle's linux.uidMappings/gidMappings become the maps as given. */
static void test_config_maps(void)
{
	struct husk_spec s;
	spec_init(&s);
	struct oci_namespace ns[] = { { CLONE_NEWPID, NULL }, { CLONE_NEWUSER, NULL } };
	struct oci_id_map um[] = { { 0, 100000, 65536 } }, gm[] = { { 0, 200000, 1000 }, { 1000, 5000, 1 } };
	s.oci.active = true;
	s.oci.namespaces = ns;
	s.oci.n_namespaces = 2;
	s.oci.uid_mappings = um;
	s.oci.n_uid_mappings = 1;
	s.oci.gid_mappings = gm;
	s.oci.n_gid_mappings = 2;
	CHECK(spec_has_userns(&s));
	struct userns_state u;
	struct husk_err err = { 0 };
	userns_init(&u);
	CHECK(userns_prepare(&u, &s, NULL, &err) == 0 && u.enabled && u.from_config && u.lease_fd < 0);
	CHECK(u.uids.n == 1 && u.uids.r[0].outside == 100000 && u.gids.n == 2);
	CHECK(idmap_to_host(&u.gids, 1000) == 5000);
	/* rootless: anything past the caller's own id goes through the helpers */
	s.rootless = true;
	userns_init(&u);
	CHECK(userns_prepare(&u, &s, NULL, &err) == 0 && u.helpers);
	/* overlapping maps and a missing gidMappings are refused */
	struct oci_id_map bad[] = { { 0, 100000, 10 }, { 5, 200000, 10 } };
	s.oci.uid_mappings = bad;
	s.oci.n_uid_mappings = 2;
	userns_init(&u);
	memset(&err, 0, sizeof err);
	CHECK(userns_prepare(&u, &s, NULL, &err) == -1 && strstr(err.msg, "overlaps"));
	s.oci.uid_mappings = um;
	s.oci.n_uid_mappings = 1;
	s.oci.n_gid_mappings = 0;
	userns_init(&u);
	memset(&err, 0, sizeof err);
	CHECK(userns_prepare(&u, &s, NULL, &err) == -1 && strstr(err.msg, "needs both"));
	/* no user namespace in the list: nothing to do */
	s.oci.n_namespaces = 1;
	CHECK(!spec_has_userns(&s));
	userns_init(&u);
	CHECK(userns_prepare(&u, &s, NULL, &err) == 0 && !u.enabled);
	memset(&s.oci, 0, sizeof s.oci); /* the arrays are on the stack */
	spec_free(&s);
}

/* the same ids whatever the order of the ranges or how a run is cut */
static void test_idmap_equal(void)
{
	struct id_map a, b;
	CHECK(parse("0 231072 65536\n", &a) == 0 && parse("0 231072 65536\n", &b) == 0);
	CHECK(idmap_equal(&a, &b));
	CHECK(parse("0 231072 1000\n1000 232072 64536\n", &b) == 0 && idmap_equal(&a, &b));
	CHECK(parse("1000 232072 64536\n0 231072 1000\n", &b) == 0 && idmap_equal(&a, &b));
	CHECK(parse("0 231072 65535\n", &b) == 0 && !idmap_equal(&a, &b));
	CHECK(parse("0 231073 65536\n", &b) == 0 && !idmap_equal(&a, &b));
	CHECK(parse("1 231072 65536\n", &b) == 0 && !idmap_equal(&a, &b));
	/* contiguous inside but not outside: two ranges, not one */
	CHECK(parse("0 231072 1000\n1000 300000 64536\n", &b) == 0 && !idmap_equal(&a, &b));
	CHECK(parse("0 1000 1\n1 100000 65536\n", &a) == 0 &&
	      parse("1 100000 65536\n0 1000 1\n", &b) == 0 && idmap_equal(&a, &b));
	CHECK(parse("1 100000 65536\n", &b) == 0 && !idmap_equal(&a, &b));
	CHECK(parse("", &a) == 0 && parse("", &b) == 0 && idmap_equal(&a, &b));
}

/* a user namespace by path: what is not one (or is husk's own) is refused before
 * anything runs; a config without one has nothing to check */
static void test_join_refusals(void)
{
	struct husk_spec s;
	spec_init(&s);
	struct oci_namespace ns[] = { { CLONE_NEWPID, NULL }, { CLONE_NEWUSER, NULL } };
	s.oci.active = true;
	s.oci.namespaces = ns;
	s.oci.n_namespaces = 2;
	struct userns_join j;
	struct husk_err err = { 0 };
	userns_join_init(&j);
	CHECK(userns_join_prepare(&j, &s, &err) == 0 && j.fd < 0 && !err.set);
	const struct { const char *path, *says; } bad[] = {
		{ "/proc/self/ns/net", "is not a user namespace (it is a network namespace)" },
		{ "/proc/self/ns/user", "is husk's own user namespace" },
		{ "/proc/self/status", "not a namespace file at all" },
		{ "/no/such/ns", "No such file" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ns[1].path = (char *)bad[i].path;
		memset(&err, 0, sizeof err);
		CHECK(userns_join_prepare(&j, &s, &err) == -1 && j.fd < 0 &&
		      strstr(err.msg, bad[i].path) && strstr(err.msg, bad[i].says));
	}
	/* the engine never joins a namespace the plan did not check */
	struct userns_state u;
	userns_init(&u);
	memset(&err, 0, sizeof err);
	CHECK(userns_prepare(&u, &s, NULL, &err) == -1 && strstr(err.msg, "not checked") &&
	      !u.enabled);
	memset(&s.oci, 0, sizeof s.oci); /* the arrays are on the stack */
	spec_free(&s);
}

/* the middle process (paths first, then the user namespace) only where a user
 * namespace meets a namespace given by path; a PID one given by path is husk's */
static void test_joins_first(void)
{
	struct husk_spec s;
	spec_init(&s);
	struct oci_namespace ns[] = { { CLONE_NEWPID, NULL }, { CLONE_NEWNET, NULL },
				      { CLONE_NEWUSER, NULL } };
	s.oci.namespaces = ns;
	s.oci.n_namespaces = 2;
	ns[1].path = "/proc/1/ns/net";
	CHECK(!ns_joins_first(&s)); /* not a bundle */
	s.oci.active = true;
	CHECK(!ns_joins_first(&s)); /* no user namespace */
	s.oci.n_namespaces = 3;
	CHECK(ns_joins_first(&s)); /* a new one and a network namespace by path */
	ns[1].path = NULL;
	CHECK(!ns_joins_first(&s)); /* a new one, nothing by path */
	ns[0].path = "/proc/1/ns/pid";
	CHECK(!ns_joins_first(&s)); /* the PID one is entered by husk around the clone */
	ns[2].path = "/proc/1/ns/user";
	CHECK(ns_joins_first(&s)); /* joined by path */
	memset(&s.oci, 0, sizeof s.oci); /* the arrays are on the stack */
	spec_free(&s);
}

/* a rootless husk's image store: $XDG_DATA_HOME/husk, else $HOME/.local/share/husk;
 * a relative value is not used; a path that does not fit is refused, naming it */
static void test_image_root(void)
{
	char buf[64], longv[200];
	struct husk_err err = { 0 };
	setenv("XDG_DATA_HOME", "/x/data", 1);
	setenv("HOME", "/home/u", 1);
	CHECK(rootless_image_root(buf, sizeof buf, &err) == 0 && !strcmp(buf, "/x/data/husk"));
	setenv("XDG_DATA_HOME", "relative", 1);
	CHECK(rootless_image_root(buf, sizeof buf, &err) == 0 &&
	      !strcmp(buf, "/home/u/.local/share/husk"));
	unsetenv("XDG_DATA_HOME");
	memset(longv, 'a', sizeof longv - 1);
	longv[0] = '/';
	longv[sizeof longv - 1] = '\0';
	setenv("HOME", longv, 1);
	CHECK(rootless_image_root(buf, sizeof buf, &err) == -1 && strstr(err.msg, "$HOME") &&
	      !buf[0]);
	unsetenv("HOME");
}

static void test_strip_gid(void)
{
	char out[128];
	userns_strip_gid("newinstance,ptmxmode=0666,mode=0620,gid=5", out, sizeof out);
	CHECK(!strcmp(out, "newinstance,ptmxmode=0666,mode=0620"));
	userns_strip_gid("gid=5,mode=0620", out, sizeof out);
	CHECK(!strcmp(out, "mode=0620"));
	userns_strip_gid("gid=5", out, sizeof out);
	CHECK(!strcmp(out, ""));
	userns_strip_gid("mode=0620,uid=0", out, sizeof out);
	CHECK(!strcmp(out, "mode=0620,uid=0"));
	userns_strip_gid(NULL, out, sizeof out);
	CHECK(!strcmp(out, ""));
	userns_strip_gid("newinstance,mode=0620", out, 8);
	CHECK(strlen(out) < 8);
}

int main(void)
{
	test_strip_gid();
	test_config_maps();
	test_idmap();
	test_idmap_equal();
	test_join_refusals();
	test_joins_first();
	test_subid();
	test_pool();
	test_pool_config();
	test_image_root();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
