/* A container's veth pair: the host end on husk0, the other end born in the
 * container's network namespace as eth0, addressed and routed there from the host. */
#pragma once
#include <sys/types.h>

#include "linux/net/ipam.h"
#include "linux/net/rtnl.h"

/* The host end's name, from the container's state dir: "hk<hash>". */
void veth_name(const char *state_dir, char host[16]);
/* Parent, once the child exists: the pair, host end on the bridge and up, the
 * other end eth0 in PID's network namespace with addr's MAC. */
int veth_create(struct nl *nl, const char *host, pid_t pid, uint32_t addr, struct husk_err *err);
/* Removes the pair (both ends), wherever the peer is. */
void veth_delete(struct nl *nl, const char *host);
/* Parent, before the child goes on and before any port is published: eth0 in PID's
 * netns gets ADDR/PREFIX, goes up, default route via GW. Done from the host so that
 * a connection to a published port never reaches an eth0 that cannot answer yet
 * (its SYN or ARP request would be lost and retried only a second later). */
int veth_peer_setup(pid_t pid, uint32_t addr, int prefix, uint32_t gw, struct husk_err *err);
