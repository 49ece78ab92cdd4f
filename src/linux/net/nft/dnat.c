/* nf_tables netlink messages (batches, nft_batch.c) for husk's DNAT map elements
 * and for deleting its table. A map key is "address . port" with both ends given
 * (the maps are interval maps); each part takes 4 bytes, the port in the first two. */
#include "linux/net/nft/dnat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "linux/net/nft/table.h"
#include "linux/net/nft/batch.h"
#include "util/explain.h"

#define ELEM_BYTES 96 /* an element's attributes, with room to spare */

void dnat_elem_format(const struct dnat_elem *e, char *buf, size_t len)
{
	char lo[INET_ADDRSTRLEN], ctr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &e->host_lo, lo, sizeof lo);
	inet_ntop(AF_INET, &e->ctr_addr, ctr, sizeof ctr);
	bool all = e->host_lo == 0 && e->host_hi == 0xffffffffu;
	snprintf(buf, len, "%s %s . %u : %s . %u", e->proto == IPPROTO_UDP ? "udp" : "tcp",
		 all ? "0.0.0.0/0" : lo, e->host_port, ctr, e->ctr_port);
}

int dnat_elem_parse(const char *s, struct dnat_elem *e)
{
	char proto[8], host[64], ctr[64];
	unsigned hp, cp;
	if (sscanf(s, "%7s %63s . %u : %63s . %u", proto, host, &hp, ctr, &cp) != 5 ||
	    hp > 65535 || cp > 65535)
		return -1;
	memset(e, 0, sizeof *e);
	e->proto = !strcmp(proto, "udp") ? IPPROTO_UDP : IPPROTO_TCP;
	e->host_port = (uint16_t)hp;
	e->ctr_port = (uint16_t)cp;
	if (!strcmp(host, "0.0.0.0/0")) {
		e->host_hi = 0xffffffffu;
	} else {
		if (inet_pton(AF_INET, host, &e->host_lo) != 1)
			return -1;
		e->host_hi = e->host_lo;
	}
	return inet_pton(AF_INET, ctr, &e->ctr_addr) == 1 ? 0 : -1;
}

/* A nested nft_data value: ADDR . PORT, 4 bytes each. */
static void put_value(struct nlmsghdr *nlh, uint16_t type, uint32_t addr, uint16_t port)
{
	uint8_t v[8] = { 0 };
	uint16_t p = htons(port);
	memcpy(v, &addr, 4);
	memcpy(v + 4, &p, 2);
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, sizeof v, v);
	mnl_attr_nest_end(nlh, nest);
}

/* One NEWSETELEM/DELSETELEM message for the elements of one protocol. */
static void put_elems(struct nft_batch *b, bool add, int proto, const struct dnat_elem *e, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += e[i].proto == proto;
	if (!count)
		return;
	struct nlmsghdr *nlh = nft_batch_msg(b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
					     add ? NLM_F_CREATE : 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, proto == IPPROTO_UDP ? "udp_dnat" : "tcp_dnat");
	struct nlattr *list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (size_t i = 0; i < n; i++) {
		if (e[i].proto != proto)
			continue;
		struct nlattr *el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
		put_value(nlh, NFTA_SET_ELEM_KEY, e[i].host_lo, e[i].host_port);
		put_value(nlh, NFTA_SET_ELEM_KEY_END, e[i].host_hi, e[i].host_port);
		if (add)
			put_value(nlh, NFTA_SET_ELEM_DATA, e[i].ctr_addr, e[i].ctr_port);
		mnl_attr_nest_end(nlh, el);
	}
	mnl_attr_nest_end(nlh, list);
	nft_batch_close(b, nlh);
}

static void explain_elems(uint64_t t, bool add, const struct dnat_elem *e, size_t n)
{
	for (size_t i = 0; explain_enabled && i < n; i++) {
		char s[128];
		dnat_elem_format(&e[i], s, sizeof s);
		const char *map = e[i].proto == IPPROTO_UDP ? "udp_dnat" : "tcp_dnat";
		if (!add)
			s[strcspn(s, ":") - 1] = '\0'; /* the key only */
		explain_line(t, "nft '%s element ip " NFT_TABLE " %s { %s }'", add ? "add" : "delete",
			     map, s + 4);
		t = explain_now();
	}
}

static int dnat_batch(bool add, const struct dnat_elem *e, size_t n)
{
	static struct nft_batch b;
	if (n > (NFT_BATCH_BYTES - 256) / ELEM_BYTES)
		return -E2BIG;
	nft_batch_begin(&b);
	put_elems(&b, add, IPPROTO_TCP, e, n);
	put_elems(&b, add, IPPROTO_UDP, e, n);
	return nft_batch_send(&b);
}

int nft_dnat_add(const struct dnat_elem *e, size_t n, struct husk_err *err)
{
	if (!n)
		return 0;
	EXPLAIN_START(t);
	int r = dnat_batch(true, e, n);
	if (r < 0) {
		char s[128];
		dnat_elem_format(&e[0], s, sizeof s);
		return husk_error(err, -r, "nftables: publishing ports (%s%s) in table ip " NFT_TABLE, s,
				  n > 1 ? ", ..." : "");
	}
	explain_elems(t, true, e, n);
	return 0;
}

int nft_dnat_delete(const struct dnat_elem *e, size_t n)
{
	if (!n)
		return 0;
	EXPLAIN_START(t);
	int r = dnat_batch(false, e, n);
	if (r == 0) {
		explain_elems(t, false, e, n);
		return 0;
	}
	if (n == 1) /* ENOENT: the element, or the whole table, went already */
		return r == -ENOENT ? 0 : r;
	/* one was gone already (a transaction is all or nothing): one at a time */
	int first = 0;
	for (size_t i = 0; i < n; i++) {
		r = nft_dnat_delete(&e[i], 1);
		first = first ? first : r;
	}
	return first;
}

void nft_table_delete(void)
{
	static struct nft_batch b;
	nft_batch_begin(&b);
	struct nlmsghdr *nlh = nft_batch_msg(&b, NFT_MSG_DELTABLE, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, NFT_TABLE);
	nft_batch_close(&b, nlh);
	EXPLAIN_START(t);
	if (nft_batch_send(&b) == 0)
		EXPLAIN(t, "nft 'delete table ip " NFT_TABLE "'");
}
