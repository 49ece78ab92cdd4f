/* husk's own nftables table, `ip husk`, through libnftables (no nft binary):
 * masquerade for the bridge subnet, forwarding to and from it, and two DNAT maps
 * (tcp_dnat, udp_dnat) keyed by host address . host port. A container publishes a
 * port by adding one map element and withdraws it by deleting that element, so no
 * rule handle has to be remembered and a dead husk's ports are found in its lease. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "linux/ipam.h"

#define NFT_TABLE "husk"

/* Replaces any table of that name, atomically, with a fresh one for this subnet. */
int nft_table_create(const struct subnet *sn, const char *bridge, struct husk_err *err);
/* nft delete table ip husk (absent: nothing to do) */
void nft_table_delete(void);
/* Whether the table exists (for husk check). */
bool nft_table_exists(void);
/* An element is "tcp|udp KEY : VALUE", e.g. "tcp 0.0.0.0/0 . 8080 : 10.89.0.2 . 80".
 * All of them in one transaction. */
int nft_elements_add(const char *const *elems, size_t n, struct husk_err *err);
/* Deletes those that exist. */
void nft_elements_delete(const char *const *elems, size_t n);
