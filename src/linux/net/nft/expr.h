/* nf_tables rule expressions as netlink attributes: each call appends one
 * expression (an NFTA_LIST_ELEM) to the NFTA_RULE_EXPRESSIONS nest being filled in
 * nlh. They are the expressions `nft --debug=netlink add rule ...` prints; the
 * registers are numbered as nft numbers them (NFT_REG_1: 16 bytes; NFT_REG32_01:
 * its second 4 bytes). */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* [ meta load KEY => reg DREG ] */
void nft_expr_meta(struct nlmsghdr *nlh, uint32_t key, uint32_t dreg);
/* [ cmp OP reg SREG DATA ] */
void nft_expr_cmp(struct nlmsghdr *nlh, uint32_t op, uint32_t sreg, const void *data, size_t len);
/* [ payload load LENb @ BASE header + OFFSET => reg DREG ] */
void nft_expr_payload(struct nlmsghdr *nlh, uint32_t base, uint32_t offset, uint32_t len,
		      uint32_t dreg);
/* [ bitwise reg DREG = ( reg SREG & MASK ) ^ XOR ] */
void nft_expr_bitwise(struct nlmsghdr *nlh, uint32_t sreg, uint32_t dreg, const void *mask,
		      const void *xor, size_t len);
/* [ fib FLAGS RESULT => reg DREG ] */
void nft_expr_fib(struct nlmsghdr *nlh, uint32_t flags, uint32_t result, uint32_t dreg);
/* [ ct load KEY => reg DREG ] */
void nft_expr_ct(struct nlmsghdr *nlh, uint32_t key, uint32_t dreg);
/* [ lookup reg SREG set SET dreg DREG ] (SET_ID: the set's id in this batch) */
void nft_expr_lookup(struct nlmsghdr *nlh, const char *set, uint32_t set_id, uint32_t sreg,
		     uint32_t dreg);
/* [ nat TYPE FAMILY addr_min reg ADDR proto_min reg PROTO ] */
void nft_expr_nat(struct nlmsghdr *nlh, uint32_t type, uint32_t family, uint32_t addr_reg,
		  uint32_t proto_reg);
/* [ masq ] */
void nft_expr_masq(struct nlmsghdr *nlh);
/* [ immediate reg 0 VERDICT ] (NF_ACCEPT, NF_DROP ...) */
void nft_expr_verdict(struct nlmsghdr *nlh, uint32_t verdict);
