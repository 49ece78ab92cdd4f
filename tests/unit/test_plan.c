/* Unit tests for src/engine/plan.c: the host-side preparation of a valid spec. It
 * finds what spec_validate() leaves to the host (a host port in use, a capability
 * the kernel does not know) and compiles the seccomp filter once, into the plan. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/plan.h"
#include "linux/security/caps.h"

#include "check.h"
#include "port_fixture.h"

static char *argv_true[] = { "/bin/true", NULL };

static void base_spec(struct husk_spec *s)
{
	spec_init(s);
	s->rootfs = strdup("/nonexistent"); /* the plan does not look at it */
	s->argv = malloc(sizeof argv_true);
	memcpy(s->argv, argv_true, sizeof argv_true);
	s->net = NET_NONE;
}

static void test_security(void)
{
	struct husk_spec s;
	struct husk_plan p;
	struct husk_err e = { 0 };
	base_spec(&s);
	plan_init(&p);
	CHECK(plan_security(&p, &s, &e) == 0);
	/* the default: docker's set (as far as husk's bounding set holds it), a filter */
	uint64_t def = CAPS_DOCKER_DEFAULT;
	CHECK((p.caps & ~def) == 0);
	CHECK(p.seccomp && p.filter.prog.filter && p.filter.prog.len > 10);
	plan_free(&p);
	CHECK(p.filter.prog.filter == NULL);
	/* --privileged without a profile: no filter */
	s.sec.privileged = true;
	CHECK(plan_security(&p, &s, &e) == 0 && !p.seccomp && !p.filter.prog.filter);
	plan_free(&p);
	spec_free(&s);

	base_spec(&s);
	s.sec.cap_add = calloc(2, sizeof *s.sec.cap_add);
	s.sec.cap_add[0] = strdup("NO_SUCH_CAP");
	s.sec.n_cap_add = 1;
	memset(&e, 0, sizeof e);
	CHECK(plan_security(&p, &s, &e) == -1 && strstr(e.msg, "--cap-add 'NO_SUCH_CAP'"));
	plan_free(&p);
	spec_free(&s);
}

static void test_ports(void)
{
	struct husk_spec s;
	struct husk_plan p;
	struct husk_err e = { 0 };
	struct sockaddr_in a;
	int fd = listen_loopback(&a);
	CHECK(fd >= 0);
	base_spec(&s);
	publish_one(&s, ntohs(a.sin_port));
	plan_init(&p);
	CHECK(plan_prepare(&p, &s, &e) == -1 && strstr(e.msg, "is already in use"));
	plan_free(&p);
	/* once the port is free the plan passes and holds nothing: it can be bound again */
	close(fd);
	memset(&e, 0, sizeof e);
	CHECK(plan_prepare(&p, &s, &e) == 0);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
	close(fd);
	plan_free(&p);
	spec_free(&s);
}

int main(void)
{
	if (getenv("HUSK_SUBNET"))
		unsetenv("HUSK_SUBNET");
	test_security();
	test_ports();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
