/* husk's own nftables table, `ip husk`, through libnftables (no nft binary):
 * masquerade for the bridge subnet, forwarding to and from it, and two DNAT maps
 * (tcp_dnat, udp_dnat) keyed by host address . host port. A container publishes a
 * port by adding one map element and withdraws it by deleting that element, so no
 * rule handle has to be remembered and a dead husk's ports are found in its lease. */
#pragma once
#include "linux/ipam.h"

#define NFT_TABLE "husk"

/* Replaces any table of that name, atomically, with a fresh one for this subnet. */
int nft_table_create(const struct subnet *sn, const char *bridge, struct husk_err *err);
/* nft delete table ip husk (absent: nothing to do) */
void nft_table_delete(void);
/* Whether the table exists (for husk check). */
bool nft_table_exists(void);
/* ELEM is "tcp|udp KEY : VALUE", e.g. "tcp 0.0.0.0/0 . 8080 : 10.89.0.2 . 80". */
int nft_element_add(const char *elem, struct husk_err *err);
void nft_element_delete(const char *elem);
