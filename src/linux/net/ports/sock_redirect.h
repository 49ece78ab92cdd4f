/* Published ports for the host's own loopback, in the kernel: eBPF programs of type
 * cgroup/sock_addr attached to the root of the cgroup2 hierarchy rewrite the
 * destination of connect(2) (and of sendmsg(2) for UDP) from 127.0.0.0/8:HOSTPORT
 * to the container's address and port, for sockets of husk's network namespace
 * only; for UDP the replies' source is rewritten back on recvmsg(2). The
 * connection then goes host -> husk0 -> veth like any other, with no relay on the
 * data path and route_localnet left 0 (CVE-2020-8558). The programs are held by
 * BPF links whose fds only husk holds: they go when husk closes them or dies. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

struct sock_redirect;

/* Whether this host can: a cgroup2 mount to attach to, the kernel's netns cookies.
 * why (if not NULL) gets where it attaches, or why not. */
bool sock_redirect_supported(char *why, size_t len);

/* Attaches the programs for s's ports to the container at ctr_addr (host order).
 * 0: done; 1: this host cannot (why in err's message, nothing attached);
 * -1: a failure (err). */
int sock_redirect_start(struct sock_redirect **out, const struct husk_spec *s,
			uint32_t ctr_addr, struct husk_err *err);
/* Detaches (closes the links). Idempotent. */
void sock_redirect_stop(struct sock_redirect **rp);
