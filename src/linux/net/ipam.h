/* Addresses for bridge containers: one lease file per address, held with flock(2)
 * by the husk that owns it, under a directory lock, so that many husks can start
 * at once, and a lease whose husk died (its flock gone) is reclaimed.
 *
 * The bridge is one object for the whole host, so its leases are too: they live in
 * /run/husk/.net whatever --root says (two state roots must not hand out the same
 * address on the same bridge):
 *   .net/lock            flock: allocation, reclaim, creating and removing the bridge
 *   .net/subnet          the subnet husk0 serves while any lease exists
 *   .net/leases/A.B.C.D  one per container: "name", "dir", then "veth", "nft" lines */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec.h"

#define IPAM_DIR HUSK_DEFAULT_STATE_ROOT "/.net"
/* 65,533 addresses, as docker's bridge (172.17.0.0/16) */
#define HUSK_DEFAULT_SUBNET "10.89.0.0/16"

/* Addresses are in host byte order here. */
struct subnet {
	uint32_t net;
	int prefix;
};

/* "10.89.0.0/24" (prefix 16..29; host bits must be zero). -1 if malformed. */
int subnet_parse(const char *s, struct subnet *sn);
/* Why sn cannot be a bridge's subnet (it overlaps loopback, link-local, multicast,
 * 0.0.0.0/8 or the reserved 240.0.0.0/4), or NULL if it can. */
const char *subnet_refused(const struct subnet *sn);
void subnet_format(const struct subnet *sn, char *buf, size_t len);
static inline uint32_t subnet_gateway(const struct subnet *sn) { return sn->net + 1; }
bool subnet_contains(const struct subnet *sn, uint32_t addr);
void addr_format(uint32_t addr, char *buf, size_t len);

/* Takes the directory lock; returns its fd. create=false: -1 with ENOENT if no
 * lease directory exists (nothing to clean). */
int ipam_lock(bool create);
/* With the lock: drops the directory (the last live lease is gone; dead ones kept
 * by ipam_reclaim go too: their objects went with the table and the bridge). */
void ipam_remove_dir(int lock_fd);
void ipam_unlock(int lock_fd);

/* With the lock: reclaims the leases whose husk is gone (no flock on them), calling
 * fn with each record before the lease file goes; a lease whose fn failed (< 0) is
 * kept, its address not handed out, for the next reclaim to try again. Returns the
 * number still held by a live husk. */
int ipam_reclaim(int (*fn)(const char *record, void *arg), void *arg);

/* With the lock: small files of the directory ("subnet", "ip_forward"). */
int ipam_file_write(const char *name, const char *data);
ssize_t ipam_file_read(const char *name, char *buf, size_t len);
void ipam_file_remove(const char *name);

/* The number of lease files (for husk check; no lock). */
int ipam_count(void);

/* With the lock: the subnet in use, saved by the first container. -1 if none. */
int ipam_subnet_load(struct subnet *sn);
int ipam_subnet_save(const struct subnet *sn);

/* With the lock: the lowest free address, its lease created and held. Returns the
 * lease fd (keep it open: it is the lease) or -1. */
int ipam_take(const struct subnet *sn, const char *record, uint32_t *addr, struct husk_err *err);
/* Appends a line to a held lease (what to undo if this husk dies). */
int ipam_note(int lease_fd, const char *line);
/* With the lock: gives the address back. */
void ipam_release(uint32_t addr, int lease_fd);
