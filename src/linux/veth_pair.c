/* veth pairs: created on the host, one end handed to the container. */
#include "linux/veth_pair.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "linux/bridge.h"
#include "util/explain.h"

void veth_name(const char *state_dir, char host[16])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *p = state_dir; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(host, 16, "hk%08x", h);
}

int veth_create(struct nl *nl, const char *host, pid_t pid, uint32_t addr, struct husk_err *err)
{
	int master = (int)if_nametoindex(BRIDGE_NAME);
	if (!master)
		return husk_error(err, errno, "network: bridge " BRIDGE_NAME);
	uint8_t mac[6];
	nl_mac_for(htonl(addr), mac);
	EXPLAIN_START(t);
	int r = nl_veth_add(nl, host, master, HUSK_LINK_GROUP, "eth0", mac, pid);
	if (r == -EEXIST)
		return husk_error(err, EEXIST, "network: veth %s exists already", host);
	if (r < 0)
		return husk_error(err, -r, "network: ip link add %s type veth peer name eth0 netns %d",
				  host, pid);
	EXPLAIN(t, "ip link add %s master " BRIDGE_NAME " group %d up type veth peer name eth0 "
		"address %02x:%02x:%02x:%02x:%02x:%02x netns %d", host, HUSK_LINK_GROUP,
		mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], pid);
	return 0;
}

void veth_delete(struct nl *nl, const char *host)
{
	EXPLAIN_START(t);
	if (nl_link_del(nl, host) == 0)
		EXPLAIN(t, "ip link del %s   # and its peer, eth0 in the container", host);
}

static int eth0_address(struct nl *nl, int ifindex, uint32_t addr, int prefix,
			struct husk_err *err)
{
	char a[INET_ADDRSTRLEN];
	addr_format(addr, a, sizeof a);
	EXPLAIN_START(t);
	int r = nl_addr_add(nl, ifindex, htonl(addr), prefix);
	if (r < 0)
		return husk_error(err, -r, "network: ip addr add %s/%d dev eth0", a, prefix);
	EXPLAIN(t, "ip addr add %s/%d dev eth0", a, prefix);
	t = explain_enabled ? explain_now() : 0;
	r = nl_link_up(nl, ifindex);
	if (r < 0)
		return husk_error(err, -r, "network: ip link set eth0 up");
	EXPLAIN(t, "ip link set eth0 up");
	return 0;
}

int veth_child_setup(uint32_t addr, int prefix, uint32_t gw, struct husk_err *err)
{
	struct nl nl;
	int r = nl_open(&nl);
	if (r < 0)
		return husk_error(err, -r, "network: netlink socket");
	int ifindex = (int)if_nametoindex("eth0");
	if (!ifindex) {
		nl_close(&nl);
		return husk_error(err, errno, "network: eth0");
	}
	if (eth0_address(&nl, ifindex, addr, prefix, err)) {
		nl_close(&nl);
		return -1;
	}
	char g[INET_ADDRSTRLEN];
	addr_format(gw, g, sizeof g);
	EXPLAIN_START(t);
	r = nl_route_add_default(&nl, ifindex, htonl(gw));
	nl_close(&nl);
	if (r < 0)
		return husk_error(err, -r, "network: ip route add default via %s", g);
	EXPLAIN(t, "ip route add default via %s dev eth0", g);
	return 0;
}
