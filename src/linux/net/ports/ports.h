/* Published ports (-p): kernel NAT for traffic from outside (an element of a DNAT
 * map in husk's nftables table), a userspace forwarder for connections to the
 * host's own addresses, loopback included (never route_localnet=1). */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include "spec.h"

struct ports;

/* Each -p: a valid address, and its host port free now (tried with bind(2)). */
int ports_validate(const struct husk_spec *s, struct husk_err *err);
/* Binds the host ports, adds the DNAT elements (each noted in the lease first, so
 * that a dead husk's are found), starts the forwarder. */
int ports_publish(struct ports **pp, const struct husk_spec *s, pid_t pid, uint32_t ctr_addr,
		  int lease_fd, struct husk_err *err);
/* Which path serves s's port i and why (for inspect): "eBPF redirect
 * (127.0.0.1)", "userspace forwarder (HUSK_PORT_FORWARDER=1)", "nft DNAT ...". */
void ports_path(const struct ports *ps, const struct husk_spec *s, size_t i, char *buf,
		size_t len);
/* Stops the forwarder, deletes the elements. Idempotent. */
void ports_unpublish(struct ports **pp);
