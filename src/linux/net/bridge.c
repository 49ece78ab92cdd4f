/* The husk0 bridge and IPv4 forwarding. */
#include "linux/net/bridge.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/fs/procfs.h"
#include "util/explain.h"
#include "util/path.h"
#include "util/fs.h"

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

/* The subnet must be reachable through husk0 only. */
static int check_overlap(struct nl *nl, const struct subnet *sn, struct husk_err *err)
{
	char what[96], net[40];
	int r = nl_route_overlap(nl, htonl(sn->net), sn->prefix, 0, what, sizeof what);
	if (r < 0)
		return husk_error(err, -r, "network: listing the host's routes");
	if (r == 0)
		return 0;
	subnet_format(sn, net, sizeof net);
	return husk_error(err, 0, "network: subnet %s overlaps the host's route %s "
			  "(choose another with HUSK_SUBNET=A.B.C.D/N)", net, what);
}

static int bridge_address(struct nl *nl, int ifindex, const struct subnet *sn,
			  struct husk_err *err)
{
	char gw[INET_ADDRSTRLEN];
	addr_format(subnet_gateway(sn), gw, sizeof gw);
	EXPLAIN_START(t);
	int r = nl_addr_add(nl, ifindex, htonl(subnet_gateway(sn)), sn->prefix);
	if (r < 0)
		return husk_error(err, -r, "network: ip addr add %s/%d dev " BRIDGE_NAME, gw, sn->prefix);
	EXPLAIN(t, "ip addr add %s/%d dev " BRIDGE_NAME, gw, sn->prefix);
	t = explain_enabled ? explain_now() : 0;
	r = nl_link_up(nl, ifindex);
	if (r < 0)
		return husk_error(err, -r, "network: ip link set " BRIDGE_NAME " up");
	EXPLAIN(t, "ip link set " BRIDGE_NAME " up");
	return 0;
}

static void bridge_delete(struct nl *nl)
{
	EXPLAIN_START(t);
	if (nl_link_del(nl, BRIDGE_NAME) == 0)
		EXPLAIN(t, "ip link del " BRIDGE_NAME);
}

int bridge_create(struct nl *nl, const struct subnet *sn, struct husk_err *err)
{
	/* a bridge left by a husk that was killed has no container on it any more */
	bridge_delete(nl);
	if (check_overlap(nl, sn, err))
		return -1;
	uint8_t mac[6];
	nl_mac_for(htonl(subnet_gateway(sn)), mac);
	EXPLAIN_START(t);
	int r = nl_bridge_add(nl, BRIDGE_NAME, mac, HUSK_LINK_GROUP, BRIDGE_MTU);
	if (r < 0)
		return husk_error(err, -r, "network: ip link add " BRIDGE_NAME " type bridge");
	EXPLAIN(t, "ip link add " BRIDGE_NAME " address %02x:%02x:%02x:%02x:%02x:%02x group %d mtu %d "
		"type bridge", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], HUSK_LINK_GROUP, BRIDGE_MTU);
	int ifindex = (int)if_nametoindex(BRIDGE_NAME);
	if (!ifindex)
		return husk_error(err, errno, "network: bridge " BRIDGE_NAME);
	return bridge_address(nl, ifindex, sn, err);
}

void bridge_delete_all(struct nl *nl)
{
	EXPLAIN_START(t);
	if (nl_group_del(nl, HUSK_LINK_GROUP) == 0) {
		EXPLAIN(t, "ip link del group %d   # " BRIDGE_NAME " and the last veth: one RCU grace "
			"period for both", HUSK_LINK_GROUP);
		return;
	}
	bridge_delete(nl);
}

int forward_enable(struct husk_err *err)
{
	char v[16] = "";
	if (procfs_read(IP_FORWARD, v, sizeof v) < 0)
		return husk_error(err, errno, "network: reading %s", IP_FORWARD);
	if (v[0] == '1')
		return 0;
	EXPLAIN_START(t);
	/* remember first: if we die right after, the last husk out still restores it */
	if (ipam_file_write("ip_forward", v) < 0)
		return husk_error(err, errno, "network: sysctl -w net.ipv4.ip_forward=1");
	if (procfs_write(IP_FORWARD, "1", err) < 0)
		return -1;
	EXPLAIN(t, "sysctl -w net.ipv4.ip_forward=1   # routes husk0 to the world (docker does the same); "
		"set back to %c when the last bridge container goes", v[0]);
	return 0;
}

/* Another runtime's bridge (docker0, podman0, virbr0, cni0 ...): name, or false. */
static bool other_bridge(char *name, size_t len)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *de;
	bool found = false;
	while (d && !found && (de = readdir(d))) {
		char path[300];
		struct stat st;
		snprintf(path, sizeof path, "/sys/class/net/%s/bridge", de->d_name);
		found = de->d_name[0] != '.' && strcmp(de->d_name, BRIDGE_NAME) &&
			stat(path, &st) == 0;
		/* a kernel interface name has at most IFNAMSIZ - 1 bytes: it fits */
		found = found && path_fits(name, len, "%s", de->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

void forward_restore(void)
{
	char v[16] = "", other[IFNAMSIZ + 1];
	if (ipam_file_read("ip_forward", v, sizeof v) < 0 || v[0] != '0')
		return;
	EXPLAIN_START(t);
	/* a runtime that came up meanwhile (docker sets ip_forward=1 and finds it on)
	 * routes its containers through it too: switching it off would cut them */
	if (other_bridge(other, sizeof other)) {
		EXPLAIN(t, "# net.ipv4.ip_forward stays 1: %s, another runtime's bridge, came up "
			   "meanwhile and needs it", other);
		ipam_file_remove("ip_forward");
		return;
	}
	struct husk_err ignored = { 0 };
	if (procfs_write(IP_FORWARD, "0", &ignored) == 0)
		EXPLAIN(t, "sysctl -w net.ipv4.ip_forward=0   # as it was before husk");
	ipam_file_remove("ip_forward");
}
