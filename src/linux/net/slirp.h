/* --network slirp4netns (the default of a rootless husk): a user-mode TCP/IP stack
 * (Debian's slirp4netns) gives the container eth0-less outbound traffic through a tap
 * device, tap0 10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3, and -p through its API
 * socket. Kept over pasta (Debian's passt 0.0~git20230309) on bench/usernet.sh's
 * figures (three runs, 2 Dec 2026, pasta / slirp4netns; bench/README.md): spawn to
 * ready 5.5-7.0x (25-30 ms against 3.6-5.5; a rootless run --network none: 8-10), idle
 * PSS 21x (19.8 MiB against 0.9), keep-alive HTTP through -p 0.77-1.07x the
 * requests/s, 64-byte round trips p50 0.77-1.38x. pasta moves bulk data through -p
 * 1.4-2.95x faster at 0.21-0.54 of the CPU per GB and has the shorter HTTP tail (p99
 * 2.7-43 ms; slirp4netns 95-568 ms in 11 of 15 rounds), but its outbound TCP swung
 * 0.07-4.58 Gbit/s from round to round with 333-338 retransmits in 5 rounds (medians
 * 0.33-1.21x) where slirp4netns held 1.9-2.9 Gbit/s with none. And slirp4netns exits
 * on its own when husk's end of --exit-fd closes, so a SIGKILLed husk leaves no helper
 * behind; pasta, its target process killed, stays and keeps the published ports bound. */
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
