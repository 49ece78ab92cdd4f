/* --network slirp4netns (the default of a rootless husk): a user-mode TCP/IP stack
 * (Debian's slirp4netns) gives the container eth0-less outbound traffic through a tap
 * device, tap0 10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3, and -p through its API
 * socket. Picked over pasta by measurement (bench/usernet.sh): it exits on its own
 * when husk's end of --exit-fd closes, so a SIGKILLed husk leaves no helper behind. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

#define SLIRP_ADDR "10.0.2.100"
#define SLIRP_DNS "10.0.2.3"

struct slirp {
	pid_t pid;     /* slirp4netns, a child of husk; 0 if none */
	int exit_fd;   /* husk's end of --exit-fd: closing it ends slirp4netns */
	char api[320]; /* its API socket, in the state dir */
	char log[320]; /* its stderr, in the state dir */
};

void slirp_init(struct slirp *sl);
/* Parent, once the child exists: slirp4netns on the child's netns, ready, then every
 * -p of the spec as a hostfwd rule. */
int slirp_start(struct slirp *sl, const struct husk_spec *s, pid_t pid, const char *state_dir,
		struct husk_err *err);
/* Ends slirp4netns and reaps it. Idempotent. */
void slirp_stop(struct slirp *sl);
