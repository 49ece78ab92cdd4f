/* Container networking: none (loopback only), host (the host's namespace), bridge
 * (default: a veth pair on the husk0 bridge, an address from the IPAM, masquerade,
 * published ports). The pieces, one kernel facility per file: netlink.c (libmnl
 * requests), bridge.c (husk0, ip_forward), veth_pair.c, ipam.c (leases), nft.c and
 * nft_dnat.c (husk's nftables table), ports.c + forwarder.c (-p), netfiles.c (hosts,
 * resolv.conf).
 *
 * The subnet is 10.89.0.0/16, 65,533 containers (neither docker's 172.17.0.0/16 nor
 * podman's 10.88.0.0/16); HUSK_SUBNET=A.B.C.D/N in husk's environment picks another
 * while no bridge container runs (never in loopback, link-local or multicast);
 * without it a husk joins whatever subnet the running bridge serves. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "linux/net/ipam.h"
#include "linux/net/slirp.h"
#include "spec.h"

struct ports;

struct net_state {
	enum net_mode mode;
	char state_dir[HUSK_STATE_DIR_LEN];    /* /run/husk/<name> */
	char hosts_file[HUSK_STATE_FILE_LEN];  /* generated /etc/hosts to bind over the container's, or "" */
	char resolv_file[HUSK_STATE_FILE_LEN]; /* generated /etc/resolv.conf, or "" */
	char host_veth[16];    /* host end of the veth pair (its peer is eth0), or "" */
	char address[64];      /* container address (10.89.0.2), or "" */
	char gateway[64];      /* bridge address, or "" */
	struct subnet subnet;
	uint32_t addr;         /* the leased address (host byte order) */
	int lease_fd;          /* the lease (flock held while we live), if lease_taken */
	bool lease_taken;
	bool ipam_used;        /* took part in the IPAM: teardown checks for the last one */
	bool veth_created;
	struct ports *ports;   /* ports.c's state (DNAT elements, the forwarder) */
	struct slirp slirp;    /* --network slirp4netns: its process and API socket */
};

/* Parent, before anything is created (engine/plan.c): HUSK_SUBNET, and every -p host
 * port free now (bound with bind(2) and released). */
int net_check_host(const struct husk_spec *s, struct husk_err *err);
/* Parent, before clone: bridge, lease, hosts/resolv.conf files. */
int net_prepare(struct net_state *n, const struct husk_spec *s, const char *state_dir,
		struct husk_err *err);
/* Parent, once the child exists: the veth pair (eth0 born in the child's netns,
 * addressed, up and routed), then published ports. */
int net_attach(struct net_state *n, const struct husk_spec *s, pid_t pid, struct husk_err *err);
/* Child, inside the new netns: lo up. */
int net_child_setup(const struct net_state *n, struct husk_err *err);
/* Parent: undo net_attach and net_prepare, in reverse order. Idempotent. */
void net_teardown(struct net_state *n);
/* Removes what dead husks left (veths, leases, DNAT elements; the bridge and the
 * table if no bridge container is left). The leases tell by their flock which husks
 * are gone, so it reclaims every dead one. */
void net_cleanup_stale(void);
/* One line for `husk check`: the bridge, its subnet, husk's table, ip_forward,
 * route_localnet. Returns false if something is inconsistent. */
bool net_describe_host(char *buf, size_t len);
