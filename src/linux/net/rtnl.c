/* rtnetlink requests over libmnl. One request at a time: build the message, send
 * it, read until the kernel's ack (or the end of a dump). */
#include "linux/net/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* big enough for any request here and for a page of dump replies */
#define NL_BUF 16384

int nl_open(struct nl *nl)
{
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sk)
		return -errno;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl->sk);
		nl->sk = NULL;
		return -e;
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	nl->sk = NULL;
}

static struct nlmsghdr *nl_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Sends nlh and runs cb over the replies until the ack or NLMSG_DONE. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[NL_BUF];
	unsigned int seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, buf, sizeof buf);
		if (n < 0)
			return -errno;
		int r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
		if (r == MNL_CB_ERROR)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int index)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	return ifi;
}

int nl_bridge_add(struct nl *nl, const char *name, const uint8_t mac[6], uint32_t group,
		  uint32_t mtu)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* a MAC set by hand stays put; otherwise the bridge takes the lowest of its
	 * ports' MACs and every container's ARP entry for the gateway goes stale */
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_veth_add(struct nl *nl, const char *name, int master, uint32_t group, uint32_t mtu,
		const char *peer, const uint8_t peer_mac[6], pid_t peer_pid)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifinfomsg *ifi = put_ifinfo(nlh, 0);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	/* born in the container's namespace: moving it there later costs an RCU grace
	 * period (tens of ms) */
	mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)peer_pid);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_link_up(struct nl *nl, int ifindex)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = put_ifinfo(nlh, ifindex);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_link_del(struct nl *nl, const char *name)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_DELLINK, NLM_F_ACK);
	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_group_del(struct nl *nl, uint32_t group)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_DELLINK, NLM_F_ACK);
	put_ifinfo(nlh, 0);
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_addr_add(struct nl *nl, int ifindex, uint32_t addr, int prefix)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
	uint32_t bcast = addr | ~mask;
	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr);
	mnl_attr_put_u32(nlh, IFA_BROADCAST, bcast);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_route_add_default(struct nl *nl, int ifindex, uint32_t gw, uint32_t mtu)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_GATEWAY, gw);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	struct nlattr *metrics = mnl_attr_nest_start(nlh, RTA_METRICS);
	mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
	mnl_attr_nest_end(nlh, metrics);
	return nl_talk(nl, nlh, NULL, NULL);
}

struct overlap {
	uint32_t net; /* network byte order */
	int prefix;
	int skip;
	char *what;
	size_t len;
	int found;
};

static int route_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);
	if (type <= RTA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct overlap *o = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	if (o->found || rtm->rtm_family != AF_INET || rtm->rtm_dst_len == 0)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof *rtm, route_attr, tb);
	uint32_t table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	int oif = tb[RTA_OIF] ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	if (table != RT_TABLE_MAIN || !tb[RTA_DST] || (o->skip && oif == o->skip))
		return MNL_CB_OK;
	uint32_t dst = mnl_attr_get_u32(tb[RTA_DST]);
	int p = rtm->rtm_dst_len < o->prefix ? rtm->rtm_dst_len : o->prefix;
	uint32_t mask = htonl(~0u << (32 - p));
	if ((dst & mask) != (o->net & mask))
		return MNL_CB_OK;
	char a[INET_ADDRSTRLEN], dev[IF_NAMESIZE] = "?";
	inet_ntop(AF_INET, &dst, a, sizeof a);
	if (oif)
		if_indextoname((unsigned int)oif, dev);
	snprintf(o->what, o->len, "%s/%d dev %s", a, rtm->rtm_dst_len, dev);
	o->found = 1;
	return MNL_CB_OK;
}

int nl_route_overlap(struct nl *nl, uint32_t net, int prefix, int skip_ifindex, char *what,
		     size_t len)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
	rtm->rtm_family = AF_INET;
	struct overlap o = { .net = net, .prefix = prefix, .skip = skip_ifindex, .what = what,
			     .len = len };
	int r = nl_talk(nl, nlh, route_cb, &o);
	return r < 0 ? r : o.found;
}

void nl_mac_for(uint32_t addr, uint8_t mac[6])
{
	mac[0] = 0x02; /* locally administered, unicast */
	mac[1] = 0x68; /* 'h' */
	memcpy(mac + 2, &addr, 4);
}
