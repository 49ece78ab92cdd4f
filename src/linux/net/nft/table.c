/* husk's nftables table as one nf_tables netlink batch (nft_batch.c): the table,
 * its two DNAT maps, four base chains and their rules, each rule the expressions
 * nft itself generates for the line --explain prints (nft --debug=netlink add rule
 * ... shows them). No libnftables: parsing and evaluating the text cost 14-20 ms
 * on every cold start; the batch is one sendmsg(2). */
#include "linux/net/nft/table.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv4.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "linux/net/nft/batch.h"
#include "linux/net/nft/expr.h"
#include "util/explain.h"

/* What a map of type ipv4_addr . inet_service : ipv4_addr . inet_service is. */
#define CONCAT_TYPE ((7u << 6) | 13u) /* nft's datatype ids: ipv4_addr 7, inet_service 13 */
#define CONCAT_LEN 8u                  /* 4 + 2 rounded up to 4 */
#define TCP_DNAT_ID 1u
#define UDP_DNAT_ID 2u

/* The set's user data nft 1.0.x writes for such a map (byte orders, "typeof" of
 * the concatenations, data not an interval): `nft list` reads it back. */
static const uint8_t MAP_UDATA[] = {
	0, 4, 0, 0, 0, 0,               /* key byte order */
	1, 4, 0, 0, 0, 0,               /* data byte order */
	3, 8, 0, 4, 13, 0, 0, 0, 1, 0,  /* key: a concatenation */
	4, 8, 0, 4, 13, 0, 0, 0, 1, 0,  /* data: a concatenation */
	6, 4, 0, 0, 0, 0,               /* data interval: no */
};

/* The batch and, line by line, the same in nft's language for --explain. */
struct build {
	struct nft_batch b;
	char text[3072];
	size_t tlen;
	bool full;
};

__attribute__((format(printf, 3, 4)))
static void end_msg(struct build *t, struct nlmsghdr *nlh, const char *fmt, ...)
{
	nft_batch_close(&t->b, nlh);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->text + t->tlen, sizeof t->text - t->tlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 >= sizeof t->text - t->tlen)
		t->full = true;
	else
		t->tlen += (size_t)n + 1; /* the \0 ends the line */
}

/* A new message, or NULL (the build is marked full) if it might not fit. */
static struct nlmsghdr *begin_msg(struct build *t, uint16_t msg, uint16_t flags)
{
	if (t->full || nft_batch_room(&t->b) < 1024) {
		t->full = true;
		return NULL;
	}
	return nft_batch_msg(&t->b, msg, flags);
}

static void put_table(struct build *t, uint16_t msg)
{
	bool add = msg == NFT_MSG_NEWTABLE;
	struct nlmsghdr *nlh = begin_msg(t, msg, add ? NLM_F_CREATE : 0);
	if (!nlh)
		return;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, NFT_TABLE);
	if (add)
		mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, 0);
	end_msg(t, nlh, "%s table ip " NFT_TABLE, add ? "add" : "delete");
}

static void put_field_len(struct nlmsghdr *nlh, uint32_t len)
{
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_u32(nlh, NFTA_SET_FIELD_LEN, htonl(len));
	mnl_attr_nest_end(nlh, elem);
}

static void put_map(struct build *t, const char *name, uint32_t id)
{
	struct nlmsghdr *nlh = begin_msg(t, NFT_MSG_NEWSET, NLM_F_CREATE);
	if (!nlh)
		return;
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_NAME, name);
	mnl_attr_put_u32(nlh, NFTA_SET_FLAGS, htonl(NFT_SET_INTERVAL | NFT_SET_MAP | NFT_SET_CONCAT));
	mnl_attr_put_u32(nlh, NFTA_SET_KEY_TYPE, htonl(CONCAT_TYPE));
	mnl_attr_put_u32(nlh, NFTA_SET_KEY_LEN, htonl(CONCAT_LEN));
	mnl_attr_put_u32(nlh, NFTA_SET_DATA_TYPE, htonl(CONCAT_TYPE));
	mnl_attr_put_u32(nlh, NFTA_SET_DATA_LEN, htonl(CONCAT_LEN));
	mnl_attr_put_u32(nlh, NFTA_SET_ID, htonl(id));
	/* the key's fields, address then port: an interval map over a concatenation */
	struct nlattr *desc = mnl_attr_nest_start(nlh, NFTA_SET_DESC);
	struct nlattr *concat = mnl_attr_nest_start(nlh, NFTA_SET_DESC_CONCAT);
	put_field_len(nlh, 4);
	put_field_len(nlh, 2);
	mnl_attr_nest_end(nlh, concat);
	mnl_attr_nest_end(nlh, desc);
	mnl_attr_put(nlh, NFTA_SET_USERDATA, sizeof MAP_UDATA, MAP_UDATA);
	end_msg(t, nlh, "add map ip " NFT_TABLE " %s { type ipv4_addr . inet_service : "
		"ipv4_addr . inet_service; flags interval; }", name);
}

static void put_chain(struct build *t, const char *name, const char *type, uint32_t hook,
		      int32_t prio, const char *prio_name)
{
	struct nlmsghdr *nlh = begin_msg(t, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	if (!nlh)
		return;
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, name);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, type);
	mnl_attr_put_u32(nlh, NFTA_CHAIN_POLICY, htonl(NF_ACCEPT));
	struct nlattr *h = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
	mnl_attr_put_u32(nlh, NFTA_HOOK_HOOKNUM, htonl(hook));
	mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, htonl((uint32_t)prio));
	mnl_attr_nest_end(nlh, h);
	end_msg(t, nlh, "add chain ip " NFT_TABLE " %s { type %s hook %s priority %s; policy accept; }",
		name, type, name, prio_name);
}

/* A rule appended to CHAIN: its message with the expressions nest open. */
static struct nlmsghdr *rule_begin(struct build *t, const char *chain, struct nlattr **exprs)
{
	struct nlmsghdr *nlh = begin_msg(t, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	if (!nlh)
		return NULL;
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
	*exprs = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	return nlh;
}

/* ip saddr|daddr [!=] NET/PREFIX: whole bytes compared, or 4 bytes masked first */
static void match_prefix(struct nlmsghdr *nlh, uint32_t op, uint32_t offset, uint32_t net_be,
			 int prefix)
{
	if (prefix % 8 == 0) {
		nft_expr_payload(nlh, NFT_PAYLOAD_NETWORK_HEADER, offset, (uint32_t)prefix / 8, NFT_REG_1);
		nft_expr_cmp(nlh, op, NFT_REG_1, &net_be, (size_t)prefix / 8);
		return;
	}
	uint32_t mask = htonl(~0u << (32 - prefix)), zero = 0;
	nft_expr_payload(nlh, NFT_PAYLOAD_NETWORK_HEADER, offset, 4, NFT_REG_1);
	nft_expr_bitwise(nlh, NFT_REG_1, NFT_REG_1, &mask, &zero, 4);
	nft_expr_cmp(nlh, op, NFT_REG_1, &net_be, 4);
}

#define IP_SADDR 12
#define IP_DADDR 16

/* [meta] NAME != IFNAME: the whole IFNAMSIZ bytes compared */
static void match_ifname_not(struct nlmsghdr *nlh, uint32_t key, const char *ifname)
{
	char name[IFNAMSIZ] = { 0 };
	snprintf(name, sizeof name, "%s", ifname);
	nft_expr_meta(nlh, key, NFT_REG_1);
	nft_expr_cmp(nlh, NFT_CMP_NEQ, NFT_REG_1, name, sizeof name);
}

/* ct state|status & BITS != 0 (ct values are in host byte order) */
static void match_ct_bits(struct nlmsghdr *nlh, uint32_t key, uint32_t bits)
{
	uint32_t zero = 0;
	nft_expr_ct(nlh, key, NFT_REG_1);
	nft_expr_bitwise(nlh, NFT_REG_1, NFT_REG_1, &bits, &zero, 4);
	nft_expr_cmp(nlh, NFT_CMP_NEQ, NFT_REG_1, &zero, 4);
}

/* fib daddr type local dnat ip to ip daddr . PROTO dport map @PROTO_dnat */
static void dnat_to_map(struct nlmsghdr *nlh, uint8_t proto)
{
	uint32_t local = RTN_LOCAL;
	nft_expr_fib(nlh, NFTA_FIB_F_DADDR, NFT_FIB_RESULT_ADDRTYPE, NFT_REG_1);
	nft_expr_cmp(nlh, NFT_CMP_EQ, NFT_REG_1, &local, 4);
	nft_expr_meta(nlh, NFT_META_L4PROTO, NFT_REG_1);
	nft_expr_cmp(nlh, NFT_CMP_EQ, NFT_REG_1, &proto, 1);
	/* the key, address . port, in reg 1: the port in its second 32-bit word */
	nft_expr_payload(nlh, NFT_PAYLOAD_NETWORK_HEADER, IP_DADDR, 4, NFT_REG_1);
	nft_expr_payload(nlh, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01);
	bool udp = proto == IPPROTO_UDP;
	nft_expr_lookup(nlh, udp ? "udp_dnat" : "tcp_dnat", udp ? UDP_DNAT_ID : TCP_DNAT_ID,
			NFT_REG_1, NFT_REG_1);
	nft_expr_nat(nlh, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1, NFT_REG32_01);
}

static void rule_end(struct build *t, struct nlmsghdr *nlh, struct nlattr *exprs,
		     const char *chain, const char *what)
{
	mnl_attr_nest_end(nlh, exprs);
	end_msg(t, nlh, "add rule ip " NFT_TABLE " %s %s", chain, what);
}

/* Published ports, for packets from outside; never for 127.0.0.0/8 (that would
 * need route_localnet=1, CVE-2020-8558): the eBPF redirect or the forwarder
 * serves those. */
static void rules_prerouting(struct build *t, uint8_t proto)
{
	struct nlattr *e;
	struct nlmsghdr *nlh = rule_begin(t, "prerouting", &e);
	if (!nlh)
		return;
	match_ifname_not(nlh, NFT_META_IIFNAME, "lo");
	dnat_to_map(nlh, proto);
	rule_end(t, nlh, e, "prerouting", proto == IPPROTO_UDP
		 ? "iifname != \"lo\" fib daddr type local dnat ip to ip daddr . udp dport map @udp_dnat"
		 : "iifname != \"lo\" fib daddr type local dnat ip to ip daddr . tcp dport map @tcp_dnat");
}

/* And from the host itself to one of its addresses other than loopback. */
static void rules_output(struct build *t, uint8_t proto)
{
	struct nlattr *e;
	struct nlmsghdr *nlh = rule_begin(t, "output", &e);
	if (!nlh)
		return;
	match_prefix(nlh, NFT_CMP_NEQ, IP_DADDR, htonl(0x7f000000), 8);
	dnat_to_map(nlh, proto);
	rule_end(t, nlh, e, "output", proto == IPPROTO_UDP
		 ? "ip daddr != 127.0.0.0/8 fib daddr type local dnat ip to ip daddr . udp dport map @udp_dnat"
		 : "ip daddr != 127.0.0.0/8 fib daddr type local dnat ip to ip daddr . tcp dport map @tcp_dnat");
}

/* Outbound NAT; and a container reaching another's published port through a
 * host address must see the replies come back the same way. */
static void rules_postrouting(struct build *t, const struct subnet *sn, const char *net,
			      const char *bridge)
{
	uint32_t be = htonl(sn->net);
	char what[160];
	struct nlattr *e;
	struct nlmsghdr *nlh = rule_begin(t, "postrouting", &e);
	if (nlh) {
		match_prefix(nlh, NFT_CMP_EQ, IP_SADDR, be, sn->prefix);
		match_ifname_not(nlh, NFT_META_OIFNAME, bridge);
		nft_expr_masq(nlh);
		snprintf(what, sizeof what, "ip saddr %s oifname != \"%s\" masquerade", net, bridge);
		rule_end(t, nlh, e, "postrouting", what);
	}
	nlh = rule_begin(t, "postrouting", &e);
	if (nlh) {
		match_prefix(nlh, NFT_CMP_EQ, IP_SADDR, be, sn->prefix);
		match_prefix(nlh, NFT_CMP_EQ, IP_DADDR, be, sn->prefix);
		match_ct_bits(nlh, NFT_CT_STATUS, IPS_DST_NAT);
		nft_expr_masq(nlh);
		snprintf(what, sizeof what, "ip saddr %s ip daddr %s ct status dnat masquerade", net, net);
		rule_end(t, nlh, e, "postrouting", what);
	}
}

/* Forwarding to and from the subnet. */
static void rules_forward(struct build *t, const struct subnet *sn, const char *net)
{
	static const struct {
		uint32_t offset, ct_key, ct_bits;
		const char *fmt;
	} rules[] = {
		{ IP_DADDR, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED),
		  "ip daddr %s ct state established,related accept" },
		{ IP_DADDR, NFT_CT_STATUS, IPS_DST_NAT, "ip daddr %s ct status dnat accept" },
		{ IP_SADDR, 0, 0, "ip saddr %s accept" },
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		struct nlattr *e;
		struct nlmsghdr *nlh = rule_begin(t, "forward", &e);
		if (!nlh)
			return;
		match_prefix(nlh, NFT_CMP_EQ, rules[i].offset, htonl(sn->net), sn->prefix);
		if (rules[i].ct_bits)
			match_ct_bits(nlh, rules[i].ct_key, rules[i].ct_bits);
		nft_expr_verdict(nlh, NF_ACCEPT);
		char what[128];
		snprintf(what, sizeof what, rules[i].fmt, net);
		rule_end(t, nlh, e, "forward", what);
	}
}

/* One explain line per command of the batch, the first with its duration. */
static void explain_batch(uint64_t t, const struct build *b)
{
	for (size_t off = 0; explain_enabled && off < b->tlen; off += strlen(b->text + off) + 1) {
		explain_line(t, "nft '%s'", b->text + off);
		t = explain_now();
	}
}

int nft_table_create(const struct subnet *sn, const char *bridge, struct husk_err *err)
{
	static struct build t; /* 19 KiB: not on the stack */
	char net[40];
	subnet_format(sn, net, sizeof net);
	EXPLAIN_START(start);
	nft_batch_begin(&t.b);
	t.tlen = 0;
	t.full = false;
	/* add + delete + add: one transaction that also replaces a dead husk's table */
	put_table(&t, NFT_MSG_NEWTABLE);
	put_table(&t, NFT_MSG_DELTABLE);
	put_table(&t, NFT_MSG_NEWTABLE);
	put_map(&t, "tcp_dnat", TCP_DNAT_ID);
	put_map(&t, "udp_dnat", UDP_DNAT_ID);
	put_chain(&t, "prerouting", "nat", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST, "dstnat");
	put_chain(&t, "output", "nat", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST, "-100");
	put_chain(&t, "postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC, "srcnat");
	put_chain(&t, "forward", "filter", NF_INET_FORWARD, NF_IP_PRI_FILTER, "filter");
	rules_prerouting(&t, IPPROTO_TCP);
	rules_prerouting(&t, IPPROTO_UDP);
	rules_output(&t, IPPROTO_TCP);
	rules_output(&t, IPPROTO_UDP);
	rules_postrouting(&t, sn, net, bridge);
	rules_forward(&t, sn, net);
	if (t.full)
		return husk_error(err, ENOBUFS, "nftables: creating table ip " NFT_TABLE);
	int r = nft_batch_send(&t.b);
	if (r < 0)
		return husk_error(err, -r, "nftables: creating table ip " NFT_TABLE);
	explain_batch(start, &t);
	return 0;
}

bool nft_table_exists(void)
{
	return nft_table_get(NFT_TABLE) == 0;
}
