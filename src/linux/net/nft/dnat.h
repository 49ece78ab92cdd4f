/* The published ports' elements of husk's DNAT maps (tcp_dnat, udp_dnat in table
 * ip husk), added and deleted as nf_tables netlink messages over libmnl. This is the
 * per-container path: libnftables would parse and evaluate for milliseconds what is
 * here one small message. --explain still prints the nft command. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct dnat_elem {
	int proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t host_lo;   /* host addresses, network byte order: 0.0.0.0 .. */
	uint32_t host_hi;   /* .. 255.255.255.255 for all of them, or one address twice */
	uint16_t host_port;
	uint32_t ctr_addr;  /* network byte order */
	uint16_t ctr_port;
};

/* nft's own syntax, also what a lease records: "tcp 0.0.0.0/0 . 8080 : 10.89.0.2 . 80"
 * or "tcp 192.0.2.2 . 8080 : 10.89.0.2 . 80". */
void dnat_elem_format(const struct dnat_elem *e, char *buf, size_t len);
int dnat_elem_parse(const char *s, struct dnat_elem *e);

/* All of them in one transaction. */
int nft_dnat_add(const struct dnat_elem *e, size_t n, struct husk_err *err);
/* Deletes those that exist: 0 if none is left (one already gone is no failure),
 * else the first -errno the kernel gave. */
int nft_dnat_delete(const struct dnat_elem *e, size_t n);
/* nft delete table ip husk (a batch too) */
void nft_table_delete(void);
