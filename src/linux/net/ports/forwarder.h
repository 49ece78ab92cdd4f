/* The userspace forwarder behind -p for connections to the host's own addresses,
 * 127.0.0.1 included, which kernel NAT could only serve with route_localnet=1 (the
 * hole of CVE-2020-8558). One process per container, forked by husk: it owns the
 * bound host ports, relays TCP with splice(2) (no copy through user space) and UDP
 * datagrams per client, dies with husk (PR_SET_PDEATHSIG) and is killed at teardown.
 * Its host sockets are bound in the host's namespace; then it enters the container's
 * network namespace, so that its connections to the container go over the
 * container's loopback path instead of veth + bridge + netfilter. */
#pragma once
#include <netinet/in.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct fwd_rule {
	int fd;                  /* bound host socket (listening if TCP) */
	int proto;               /* IPPROTO_TCP or IPPROTO_UDP */
	struct sockaddr_in dst;  /* the container's address and port */
};

/* Forks the forwarder for these sockets, to run in the network namespace netns_fd
 * (-1: stay in husk's); it first writes 0 to join_tasks (a v1 cgroup's tasks file),
 * unless NULL. The caller then closes its copies. Returns its pid, or -1. */
pid_t forwarder_start(const struct fwd_rule *rules, size_t n, int netns_fd, const char *join_tasks,
		      struct husk_err *err);
/* kill -KILL and reap. */
void forwarder_stop(pid_t pid);
