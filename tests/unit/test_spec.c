/* Unit tests for src/spec.c: the environment list and spec_validate(), which must
 * refuse a bad request with a message naming the value, before touching the host. */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec.h"

#include "check.h"
#include "port_fixture.h"

static char rootfs[PATH_MAX];
static char plain_file[PATH_MAX + 16];
static char *argv_true[] = { "/bin/true", NULL };

/* A spec that passes validation; each test changes one thing. */
static void good_spec(struct husk_spec *s)
{
	spec_init(s);
	s->rootfs = strdup(rootfs);
	s->argv = malloc(sizeof argv_true);
	memcpy(s->argv, argv_true, sizeof argv_true);
	s->net = NET_NONE;
}

static int validate(struct husk_spec *s, struct husk_err *e)
{
	memset(e, 0, sizeof *e);
	return spec_validate(s, e);
}

static void test_env(void)
{
	struct husk_spec s;
	struct husk_err e = { 0 };
	spec_init(&s);
	CHECK(spec_setenv(&s, "A=1", &e) == 0);
	CHECK(spec_setenv(&s, "AB=2", &e) == 0);
	CHECK(spec_setenv(&s, "EMPTY=", &e) == 0);
	CHECK(spec_setenv(&s, "WITH_EQ=x=y", &e) == 0);
	CHECK(s.n_env == 4);
	CHECK(spec_getenv(&s, "A") && !strcmp(spec_getenv(&s, "A"), "1"));
	CHECK(spec_getenv(&s, "AB") && !strcmp(spec_getenv(&s, "AB"), "2"));
	CHECK(spec_getenv(&s, "EMPTY") && !strcmp(spec_getenv(&s, "EMPTY"), ""));
	CHECK(spec_getenv(&s, "WITH_EQ") && !strcmp(spec_getenv(&s, "WITH_EQ"), "x=y"));
	CHECK(spec_getenv(&s, "ABC") == NULL);
	CHECK(spec_getenv(&s, "") == NULL);
	/* a later KEY replaces the earlier one, in place */
	CHECK(spec_setenv(&s, "A=3", &e) == 0 && s.n_env == 4 && !strcmp(spec_getenv(&s, "A"), "3"));
	CHECK(s.env[s.n_env] == NULL);
	/* bad names and missing '=' are refused, naming the input */
	memset(&e, 0, sizeof e);
	CHECK(spec_setenv(&s, "1A=x", &e) == -1 && strstr(e.msg, "'1A=x'"));
	memset(&e, 0, sizeof e);
	CHECK(spec_setenv(&s, "NOVALUE", &e) == -1 && strstr(e.msg, "NOVALUE"));
	memset(&e, 0, sizeof e);
	CHECK(spec_setenv(&s, "=x", &e) == -1);
	memset(&e, 0, sizeof e);
	CHECK(spec_setenv(&s, "A-B=x", &e) == -1);
	memset(&e, 0, sizeof e);
	CHECK(spec_setenv(&s, "A B=x", &e) == -1);
	CHECK(s.n_env == 4);
	spec_free(&s);
}

static void test_defaults(void)
{
	struct husk_spec s;
	struct husk_err e;
	good_spec(&s);
	CHECK(validate(&s, &e) == 0);
	/* a generated name husk-<12 hex>, the hostname defaults to it */
	CHECK(!strncmp(s.name, "husk-", 5) && strlen(s.name) == 17 &&
	      strspn(s.name + 5, "0123456789abcdef") == 12);
	CHECK(!strcmp(s.hostname, s.name));
	CHECK(spec_getenv(&s, "PATH") && !strcmp(spec_getenv(&s, "PATH"), HUSK_DEFAULT_PATH));
	CHECK(spec_getenv(&s, "HOSTNAME") && !strcmp(spec_getenv(&s, "HOSTNAME"), s.name));
	CHECK(spec_getenv(&s, "TERM") == NULL);
	CHECK(s.stop_timeout == 10);
	CHECK(!strcmp(s.state_root, "/run/husk"));
	spec_free(&s);

	/* two generated names differ */
	struct husk_spec t;
	char first[65];
	good_spec(&t);
	CHECK(validate(&t, &e) == 0);
	snprintf(first, sizeof first, "%s", t.name);
	spec_free(&t);
	good_spec(&t);
	CHECK(validate(&t, &e) == 0 && strcmp(first, t.name));
	spec_free(&t);

	/* the user's values win; -t adds TERM */
	good_spec(&s);
	snprintf(s.name, sizeof s.name, "web");
	snprintf(s.hostname, sizeof s.hostname, "box.example");
	s.tty = true;
	CHECK(spec_setenv(&s, "PATH=/only", &e) == 0);
	CHECK(validate(&s, &e) == 0);
	CHECK(!strcmp(spec_getenv(&s, "PATH"), "/only"));
	CHECK(!strcmp(spec_getenv(&s, "HOSTNAME"), "box.example"));
	CHECK(spec_getenv(&s, "TERM") && !strcmp(spec_getenv(&s, "TERM"), "xterm"));
	spec_free(&s);

	/* the rootfs is made absolute and canonical */
	good_spec(&s);
	free(s.rootfs);
	char messy[PATH_MAX + 16];
	snprintf(messy, sizeof messy, "%s/./sub/..", rootfs);
	s.rootfs = strdup(messy);
	CHECK(validate(&s, &e) == 0 && !strcmp(s.rootfs, rootfs));
	spec_free(&s);
}

/* One bad field at a time: -1 and a message that contains `needle`. */
#define BAD(setup, needle)                                                         \
	do {                                                                       \
		struct husk_spec s_;                                               \
		struct husk_err e_;                                                \
		good_spec(&s_);                                                    \
		{                                                                  \
			struct husk_spec *s = &s_;                                 \
			setup;                                                     \
		}                                                                  \
		int r_ = validate(&s_, &e_);                                       \
		CHECK(r_ == -1 && strstr(e_.msg, needle));                         \
		if (r_ != -1 || !strstr(e_.msg, needle))                           \
			fprintf(stderr, "    message: %s (wanted '%s')\n", e_.msg, needle); \
		spec_free(&s_);                                                    \
	} while (0)

static void test_bad(void)
{
	BAD(snprintf(s->name, sizeof s->name, "../x"), "'../x'");
	BAD(snprintf(s->name, sizeof s->name, "a/b"), "'a/b'");
	BAD(snprintf(s->name, sizeof s->name, ".x"), "'.x'");
	BAD(snprintf(s->hostname, sizeof s->hostname, "bad_host"), "'bad_host'");
	BAD(snprintf(s->hostname, sizeof s->hostname, "-x"), "'-x'");
	BAD(snprintf(s->state_root, sizeof s->state_root, "relative"), "'relative'");
	BAD((free(s->rootfs), s->rootfs = NULL), "ROOTFS");
	BAD((free(s->rootfs), s->rootfs = strdup("/no/such/rootfs")), "/no/such/rootfs");
	BAD((free(s->rootfs), s->rootfs = strdup(plain_file)), plain_file);
	BAD((free(s->rootfs), s->rootfs = strdup("/")), "'/'");
	BAD((free(s->rootfs), s->rootfs = strdup("/tmp/../")), "/tmp/../");
	BAD(s->workdir = strdup("rel/dir"), "'rel/dir'");
	BAD(s->res.memory = 1024, "--memory");
	BAD((s->res.memory = 64 << 20, s->res.memory_swap = 32 << 20), "--memory-swap");
	BAD(s->res.memory_swap = 64 << 20, "--memory");
	BAD(s->log_file = strdup(""), "--log-file");

	/* volumes: the host path must exist; the container path must not climb */
	struct volume *v;
#define VOLUME(h, c)                                                  \
	(v = calloc(1, sizeof *v), v->host = strdup(h), v->ctr = strdup(c), \
	 s->volumes = v, s->n_volumes = 1)
	BAD(VOLUME("/no/such/host/dir", "/data"), "/no/such/host/dir");
	BAD(VOLUME("/tmp", "/a/../../etc"), "/a/../../etc");
	BAD(VOLUME("/tmp", "/"), "'/'");
	BAD(VOLUME("/tmp", "/data/.."), "/data/..");
#undef VOLUME
	struct tmpfs_mount *t;
#define TMPFS(c) (t = calloc(1, sizeof *t), t->ctr = strdup(c), s->tmpfs = t, s->n_tmpfs = 1)
	BAD(TMPFS("/"), "'/'");
	BAD(TMPFS("/x/../etc"), "/x/../etc");
#undef TMPFS
}

/* spec_validate is pure: it probes no port and compiles no filter (engine/plan.c
 * does); the checks that need no host stay in it. */
static void test_pure(void)
{
	struct husk_spec s;
	struct husk_err e;
	/* a host port held by someone else: the spec is still valid */
	struct sockaddr_in a;
	int fd = listen_loopback(&a);
	CHECK(fd >= 0);
	good_spec(&s);
	publish_one(&s, ntohs(a.sin_port));
	CHECK(validate(&s, &e) == 0);
	/* ... but not without the bridge */
	s.net = NET_NONE;
	CHECK(validate(&s, &e) == -1 && strstr(e.msg, "--network bridge or slirp4netns, not none"));
	spec_free(&s);
	close(fd);
	/* an unknown capability is the plan's to find (it needs the kernel's list) */
	good_spec(&s);
	s.sec.cap_add = calloc(2, sizeof *s.sec.cap_add);
	s.sec.cap_add[0] = strdup("NO_SUCH_CAP");
	s.sec.n_cap_add = 1;
	CHECK(validate(&s, &e) == 0);
	spec_free(&s);
	/* a profile that does not exist is not read here; conflicting options are refused */
	good_spec(&s);
	s.sec.seccomp_profile = strdup("/nonexistent/profile.json");
	CHECK(validate(&s, &e) == 0);
	s.sec.seccomp_unconfined = true;
	CHECK(validate(&s, &e) == -1 && strstr(e.msg, "seccomp=unconfined and seccomp=/nonexistent"));
	spec_free(&s);
}

int main(void)
{
	snprintf(rootfs, sizeof rootfs, "/tmp/husk-spec.XXXXXX");
	if (!mkdtemp(rootfs)) {
		perror("mkdtemp");
		return 2;
	}
	char sub[PATH_MAX + 8];
	snprintf(sub, sizeof sub, "%s/sub", rootfs);
	snprintf(plain_file, sizeof plain_file, "%s/file", rootfs);
	FILE *f = fopen(plain_file, "w");
	if (mkdir(sub, 0755) < 0 || !f) {
		perror(rootfs);
		return 2;
	}
	fclose(f);

	test_env();
	test_defaults();
	test_bad();
	test_pure();

	unlink(plain_file);
	rmdir(sub);
	rmdir(rootfs);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
