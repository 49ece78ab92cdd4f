/* --userns auto: each running container gets its own block of 65536 host ids from a
 * pool, as podman's --userns=auto. One lease file per block, held with flock(2) by
 * the husk that owns the container, under a directory lock, as the IPAM leases
 * (linux/net/ipam.h): a lease whose husk died, even by SIGKILL, has lost its flock
 * and is reclaimed by the next allocation; the last lease out removes the directory.
 *   DIR/lock            flock: allocation, reclaim, removing the directory
 *   DIR/leases/START    one per container: its name */
#pragma once
#include <stdint.h>

#include "util/error.h"

#define USERNS_POOL_DIR "/run/husk/.userns"
#define USERNS_BLOCK 65536u
/* a pool past every /etc/subuid range useradd hands out (100000 + 65536 * users) */
#define USERNS_POOL_DEFAULT_START 2147483648u
#define USERNS_POOL_DEFAULT_COUNT 1073741824u

struct userns_pool {
	uint32_t start;
	uint32_t count; /* a multiple of USERNS_BLOCK */
	char source[64]; /* where it came from, for errors and husk check */
};

/* The pool: $HUSK_USERNS_POOL ("START:COUNT"), else the "husk" user's range in
 * /etc/subuid (podman reads "containers" the same way), else the default. */
int userns_pool_config(struct userns_pool *p, struct husk_err *err);

/* Takes the lowest free block; returns the lease fd (keep it open: it is the lease)
 * and the block's first host id in *start. dir is USERNS_POOL_DIR but for tests. */
int userns_pool_take(const char *dir, const struct userns_pool *p, const char *name,
		     uint32_t *start, struct husk_err *err);
/* Gives the block back (unlinks the lease, closes lease_fd, removes an empty dir). */
void userns_pool_release(const char *dir, uint32_t start, int lease_fd);
/* Leases held by a live husk; reclaims the dead ones (for husk check and tests). */
int userns_pool_held(const char *dir);
