/* Published ports for the host's own loopback, in the kernel: one set of eBPF
 * programs of type cgroup/sock_addr on the root of the cgroup2 hierarchy, for the
 * whole host, rewrites the destination of connect(2) (and of sendmsg(2) for UDP)
 * from 127.0.0.0/8:HOSTPORT, ::ffff:127.x.y.z:HOSTPORT or [::1]:HOSTPORT to the
 * container's address and port, for sockets of husk's network namespace only, by
 * looking the address up in a BPF hash map; for UDP each socket's replies get back
 * the source it sent to (recvmsg). Each husk adds and removes its own entries. The
 * connection then goes host -> husk0 -> veth like any other, with no relay on the
 * data path and route_localnet left 0 (CVE-2020-8558).
 *
 * Who holds the programs: every husk that publishes a port holds fds of the same
 * BPF links and maps (the first one creates them and writes their ids in
 * IPAM_DIR/redirect; the next ones open them by id). The kernel detaches them when
 * the last fd closes, whether that husk exited or was SIGKILLed: nothing is pinned,
 * nothing can be left attached. A dead husk's entries are noted in its lease
 * ("bpf ..." lines) and deleted when the lease is reclaimed. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

struct sock_redirect;

/* Whether this host can: a cgroup2 mount to attach to, the kernel's netns cookies.
 * why (if not NULL) gets where it attaches, or why not. */
bool sock_redirect_supported(char *why, size_t len);

/* Whether the redirect serves p's host address on the loopback (127.x, all
 * addresses, ::1); why (if not NULL) says which loopback addresses, or why not. */
bool sock_redirect_serves(const struct port_map *p, char *why, size_t len);

/* Adds s's loopback ports -> ctr_addr (host order) to the host's map, each noted in
 * the lease first, joining (or creating) the host's programs.
 * 0: done; 1: this host cannot (why in err's message, nothing changed);
 * -1: a failure (err). */
int sock_redirect_start(struct sock_redirect **out, const struct husk_spec *s,
			uint32_t ctr_addr, int lease_fd, struct husk_err *err);
/* Deletes this container's entries and lets go of the programs. Idempotent. */
void sock_redirect_stop(struct sock_redirect **rp);

/* With the IPAM lock, for a dead husk's lease line: if it is a "bpf" line, deletes
 * that entry (when it still leads where the line says) and returns true. */
bool sock_redirect_reclaim(const char *line);

/* For husk check: the host's programs (held or not) and the number of entries. */
void sock_redirect_describe(char *buf, size_t len);
