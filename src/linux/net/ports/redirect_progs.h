/* The host's one set of published-port programs (sock_redirect.c's internals): the
 * maps they read and the five cgroup/sock_addr programs, built for this host's
 * network-namespace cookie. */
#pragma once
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* connect4, sendmsg4, recvmsg4, connect6, recvmsg6. No sendmsg6: a v4-mapped
 * destination takes the IPv4 path (sendmsg4), and the kernel refuses a sendmsg6
 * rewritten to a v4-mapped address (ENOTSUPP), so an unconnected UDP sendto([::1])
 * is not served (a connected one is: connect6). */
#define REDIRECT_HOOKS 5
#define REDIRECT_MAP_NAME "husk_ports"
#define REVNAT_MAP_NAME "husk_revnat"
#define REDIRECT_PROG_NAME "husk_ports"
/* far more than the ports of a host (and no memory until used: not preallocated) */
#define REDIRECT_MAX_ENTRIES 65536
/* UDP sockets that sent to a published port, least recently used first out */
#define REVNAT_MAX_ENTRIES 16384

/* The published address (all fields in network order, as struct bpf_sock_addr
 * holds them): family 4 with ip = one 127.x.y.z, or 0 for all of 127.0.0.0/8
 * (v4-mapped ::ffff:127.x.y.z included); family 6 with ip = 0 for [::1]. */
struct redirect_key {
	uint32_t ip;
	uint16_t port;
	uint8_t proto;
	uint8_t family;
};

/* Where it leads: the container's address and port (port in the low 16 bits). */
struct redirect_val {
	uint32_t ip;
	uint32_t port;
};

/* A UDP socket (its cookie) that sent to a published port, by the container address
 * it was sent to instead: replies from there get the original source back. */
struct revnat_key {
	uint64_t cookie;
	uint32_t ip;
	uint32_t port;
};

struct revnat_val {
	uint32_t ip;     /* family 4: the 127.x.y.z the socket sent to */
	uint32_t port;
	uint32_t family; /* 6: it sent to [::1] */
	uint32_t pad;
};

struct redirect_hook {
	enum bpf_attach_type type;
	const char *name;
};

extern const struct redirect_hook redirect_hooks[REDIRECT_HOOKS];

/* Loads the program for hook i reading map and revnat, for the network namespace
 * of cookie; its fd, or -1 (err). */
int redirect_prog_load(size_t i, int map, int revnat, uint64_t cookie, struct husk_err *err);
