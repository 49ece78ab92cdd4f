/* veth pairs: created on the host, one end handed to the container. */
#include "linux/net/veth_pair.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linux/net/bridge.h"
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
	int r = nl_veth_add(nl, host, master, HUSK_LINK_GROUP, BRIDGE_MTU, "eth0", mac, pid);
	if (r == -EEXIST)
		return husk_error(err, EEXIST, "network: veth %s exists already", host);
	if (r == -EXFULL) /* BR_MAX_PORTS: a Linux bridge takes 1024 ports (docker0 too) */
		return husk_error(err, 0, "network: " BRIDGE_NAME " has 1024 ports, the most a Linux "
				  "bridge takes: no room for container %d's veth", pid);
	if (r < 0)
		return husk_error(err, -r, "network: ip link add %s type veth peer name eth0 netns %d",
				  host, pid);
	EXPLAIN(t, "ip link add %s master " BRIDGE_NAME " group %d mtu %d up type veth peer name eth0 "
		"address %02x:%02x:%02x:%02x:%02x:%02x mtu %d netns %d", host, HUSK_LINK_GROUP, BRIDGE_MTU,
		mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], BRIDGE_MTU, pid);
	return 0;
}

void veth_delete(struct nl *nl, const char *host)
{
	EXPLAIN_START(t);
	if (nl_link_del(nl, host) == 0)
		EXPLAIN(t, "ip link del %s   # and its peer, eth0 in the container", host);
}

/* A netlink socket in PID's network namespace, and eth0's index there: setns(2) in
 * and straight back out; the socket stays bound to the namespace it was opened in. */
static int nl_open_in(pid_t pid, struct nl *nl, int *ifindex, struct husk_err *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
		int e = errno;
		if (self >= 0)
			close(self);
		if (target >= 0)
			close(target);
		return husk_error(err, e, "network: nsenter --net=%s", path);
	}
	close(target);
	int r = nl_open(nl);
	*ifindex = (int)if_nametoindex("eth0");
	int e = errno;
	if (setns(self, CLONE_NEWNET) < 0) {
		/* every later step would act on the container's namespace: stop here */
		husk_warn("network: cannot return to the host's network namespace: %s", strerror(errno));
		abort();
	}
	close(self);
	if (r < 0)
		return husk_error(err, -r, "network: netlink socket in %s", path);
	if (!*ifindex) {
		nl_close(nl);
		return husk_error(err, e, "network: eth0 in %s", path);
	}
	return 0;
}

int veth_peer_setup(pid_t pid, uint32_t addr, int prefix, uint32_t gw, struct husk_err *err)
{
	struct nl nl;
	int ifindex = 0;
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	addr_format(addr, a, sizeof a);
	addr_format(gw, g, sizeof g);
	EXPLAIN_START(t);
	if (nl_open_in(pid, &nl, &ifindex, err))
		return -1;
	int r = nl_addr_add(&nl, ifindex, htonl(addr), prefix);
	if (r < 0) {
		husk_error(err, -r, "network: ip addr add %s/%d dev eth0 (netns of %d)", a, prefix, pid);
		goto out;
	}
	EXPLAIN(t, "nsenter --net=/proc/%d/ns/net ip addr add %s/%d dev eth0", pid, a, prefix);
	t = explain_enabled ? explain_now() : 0;
	r = nl_link_up(&nl, ifindex);
	if (r < 0) {
		husk_error(err, -r, "network: ip link set eth0 up (netns of %d)", pid);
		goto out;
	}
	EXPLAIN(t, "nsenter --net=/proc/%d/ns/net ip link set eth0 up", pid);
	t = explain_enabled ? explain_now() : 0;
	r = nl_route_add_default(&nl, ifindex, htonl(gw), ROUTE_MTU);
	if (r < 0) {
		husk_error(err, -r, "network: ip route add default via %s (netns of %d)", g, pid);
		goto out;
	}
	EXPLAIN(t, "nsenter --net=/proc/%d/ns/net ip route add default via %s dev eth0 mtu %d   "
		   "# traffic leaving the host: 1500-byte packets", pid, g, ROUTE_MTU);
out:
	nl_close(&nl);
	return r < 0 ? -1 : 0;
}
