/* nf_tables expressions: NFTA_EXPR_NAME and the expression's own attributes in
 * NFTA_EXPR_DATA, every number big-endian. */
#include "linux/net/nft/expr.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>

/* Opens NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA {; returns the outer nest. */
static struct nlattr *expr_begin(struct nlmsghdr *nlh, const char *name, struct nlattr **data)
{
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, name);
	*data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	return elem;
}

static void expr_end(struct nlmsghdr *nlh, struct nlattr *elem, struct nlattr *data)
{
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, elem);
}

static void put_be32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(nlh, type, htonl(v));
}

/* A nested nft_data value: TYPE { NFTA_DATA_VALUE } */
static void put_data(struct nlmsghdr *nlh, uint16_t type, const void *v, size_t len)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, v);
	mnl_attr_nest_end(nlh, nest);
}

void nft_expr_meta(struct nlmsghdr *nlh, uint32_t key, uint32_t dreg)
{
	struct nlattr *data, *e = expr_begin(nlh, "meta", &data);
	put_be32(nlh, NFTA_META_KEY, key);
	put_be32(nlh, NFTA_META_DREG, dreg);
	expr_end(nlh, e, data);
}

void nft_expr_cmp(struct nlmsghdr *nlh, uint32_t op, uint32_t sreg, const void *v, size_t len)
{
	struct nlattr *data, *e = expr_begin(nlh, "cmp", &data);
	put_be32(nlh, NFTA_CMP_SREG, sreg);
	put_be32(nlh, NFTA_CMP_OP, op);
	put_data(nlh, NFTA_CMP_DATA, v, len);
	expr_end(nlh, e, data);
}

void nft_expr_payload(struct nlmsghdr *nlh, uint32_t base, uint32_t offset, uint32_t len,
		      uint32_t dreg)
{
	struct nlattr *data, *e = expr_begin(nlh, "payload", &data);
	put_be32(nlh, NFTA_PAYLOAD_DREG, dreg);
	put_be32(nlh, NFTA_PAYLOAD_BASE, base);
	put_be32(nlh, NFTA_PAYLOAD_OFFSET, offset);
	put_be32(nlh, NFTA_PAYLOAD_LEN, len);
	expr_end(nlh, e, data);
}

void nft_expr_bitwise(struct nlmsghdr *nlh, uint32_t sreg, uint32_t dreg, const void *mask,
		      const void *xor, size_t len)
{
	struct nlattr *data, *e = expr_begin(nlh, "bitwise", &data);
	put_be32(nlh, NFTA_BITWISE_SREG, sreg);
	put_be32(nlh, NFTA_BITWISE_DREG, dreg);
	put_be32(nlh, NFTA_BITWISE_LEN, (uint32_t)len);
	put_data(nlh, NFTA_BITWISE_MASK, mask, len);
	put_data(nlh, NFTA_BITWISE_XOR, xor, len);
	expr_end(nlh, e, data);
}

void nft_expr_fib(struct nlmsghdr *nlh, uint32_t flags, uint32_t result, uint32_t dreg)
{
	struct nlattr *data, *e = expr_begin(nlh, "fib", &data);
	put_be32(nlh, NFTA_FIB_FLAGS, flags);
	put_be32(nlh, NFTA_FIB_RESULT, result);
	put_be32(nlh, NFTA_FIB_DREG, dreg);
	expr_end(nlh, e, data);
}

void nft_expr_ct(struct nlmsghdr *nlh, uint32_t key, uint32_t dreg)
{
	struct nlattr *data, *e = expr_begin(nlh, "ct", &data);
	put_be32(nlh, NFTA_CT_KEY, key);
	put_be32(nlh, NFTA_CT_DREG, dreg);
	expr_end(nlh, e, data);
}

void nft_expr_lookup(struct nlmsghdr *nlh, const char *set, uint32_t set_id, uint32_t sreg,
		     uint32_t dreg)
{
	struct nlattr *data, *e = expr_begin(nlh, "lookup", &data);
	put_be32(nlh, NFTA_LOOKUP_SREG, sreg);
	put_be32(nlh, NFTA_LOOKUP_DREG, dreg);
	mnl_attr_put_strz(nlh, NFTA_LOOKUP_SET, set);
	put_be32(nlh, NFTA_LOOKUP_SET_ID, set_id);
	expr_end(nlh, e, data);
}

void nft_expr_nat(struct nlmsghdr *nlh, uint32_t type, uint32_t family, uint32_t addr_reg,
		  uint32_t proto_reg)
{
	struct nlattr *data, *e = expr_begin(nlh, "nat", &data);
	put_be32(nlh, NFTA_NAT_TYPE, type);
	put_be32(nlh, NFTA_NAT_FAMILY, family);
	put_be32(nlh, NFTA_NAT_REG_ADDR_MIN, addr_reg);
	put_be32(nlh, NFTA_NAT_REG_PROTO_MIN, proto_reg);
	expr_end(nlh, e, data);
}

void nft_expr_masq(struct nlmsghdr *nlh)
{
	struct nlattr *data, *e = expr_begin(nlh, "masq", &data);
	expr_end(nlh, e, data);
}

void nft_expr_verdict(struct nlmsghdr *nlh, uint32_t verdict)
{
	struct nlattr *data, *e = expr_begin(nlh, "immediate", &data);
	put_be32(nlh, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	struct nlattr *imm = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
	struct nlattr *v = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
	put_be32(nlh, NFTA_VERDICT_CODE, verdict);
	mnl_attr_nest_end(nlh, v);
	mnl_attr_nest_end(nlh, imm);
	expr_end(nlh, e, data);
}
