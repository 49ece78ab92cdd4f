/* husk's own nftables table, `ip husk`, created with one nf_tables netlink batch:
 * masquerade for the bridge subnet, forwarding to and from it, and two DNAT maps
 * (tcp_dnat, udp_dnat) keyed by host address . host port. A container publishes a
 * port by adding one map element and withdraws it by deleting that element
 * (nft_dnat.c), so no rule handle has to be remembered and a dead husk's ports are
 * found in its lease. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "linux/net/ipam.h"

#define NFT_TABLE "husk"

/* Replaces any table of that name, atomically, with a fresh one for this subnet. */
int nft_table_create(const struct subnet *sn, const char *bridge, struct husk_err *err);
/* Whether the table exists (for husk check). */
bool nft_table_exists(void);
