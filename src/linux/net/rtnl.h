/* rtnetlink over libmnl: the few link, address and route requests husk makes
 * (what `ip link`, `ip addr` and `ip route` send to the kernel). Each request
 * waits for the kernel's acknowledgement and returns 0 or -errno. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

struct mnl_socket;

struct nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
};

/* Opens a NETLINK_ROUTE socket in the calling process's network namespace. */
int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

/* ip link add NAME address MAC group GROUP mtu MTU type bridge */
int nl_bridge_add(struct nl *nl, const char *name, const uint8_t mac[6], uint32_t group,
		  uint32_t mtu);
/* ip link add NAME master MASTER group GROUP mtu MTU up type veth peer name PEER
 * address PEER_MAC mtu MTU netns PID */
int nl_veth_add(struct nl *nl, const char *name, int master, uint32_t group, uint32_t mtu,
		const char *peer, const uint8_t peer_mac[6], pid_t peer_pid);
/* ip link set dev IFINDEX up */
int nl_link_up(struct nl *nl, int ifindex);
/* ip link del NAME (-ENODEV if there is none) */
int nl_link_del(struct nl *nl, const char *name);
/* ip link del group GROUP: all its devices, unregistered together (the kernel then
 * waits for one RCU grace period, not one per device) */
int nl_group_del(struct nl *nl, uint32_t group);
/* ip addr add ADDR/PREFIX dev IFINDEX (addresses in network byte order) */
int nl_addr_add(struct nl *nl, int ifindex, uint32_t addr, int prefix);
/* ip route add default via GW dev IFINDEX mtu MTU */
int nl_route_add_default(struct nl *nl, int ifindex, uint32_t gw, uint32_t mtu);
/* The first IPv4 route of the main table (not the default one, not through
 * skip_ifindex) that overlaps NET/PREFIX: 1 and its description, 0 if none. */
int nl_route_overlap(struct nl *nl, uint32_t net, int prefix, int skip_ifindex, char *what,
		     size_t len);

/* "02:68:0a:59:00:05": the MAC husk gives an address, so that a reused address
 * keeps its MAC and no neighbour cache holds a stale one. */
void nl_mac_for(uint32_t addr, uint8_t mac[6]);
