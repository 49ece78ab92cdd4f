/* Container networking: none (loopback only), host (the host's namespace), bridge
 * (veth pair on the husk0 bridge, addresses from a small IPAM, NAT, published ports). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

struct net_state {
	enum net_mode mode;
	char state_dir[300];   /* /run/husk/<name> */
	char hosts_file[320];  /* generated /etc/hosts to bind over the container's, or "" */
	char resolv_file[320]; /* generated /etc/resolv.conf, or "" */
	char host_veth[16];    /* host end of the veth pair, or "" */
	char peer_veth[16];    /* container end before it is renamed eth0 */
	char address[64];      /* container address (CIDR), or "" */
	char gateway[64];      /* bridge address, or "" */
	bool lease_taken;
	void *ports;           /* ports.c's state (published ports, forwarders) */
};

/* Checks --network and -p (host ports free, etc.) before anything is created. */
int net_validate(struct husk_spec *s, struct husk_err *err);
/* Parent, before clone: bridge, lease, veth pair, hosts/resolv.conf files. */
int net_prepare(struct net_state *n, const struct husk_spec *s, const char *state_dir,
		struct husk_err *err);
/* Parent, once the child exists: move the veth end into its netns, publish ports. */
int net_attach(struct net_state *n, const struct husk_spec *s, pid_t pid, struct husk_err *err);
/* Child, inside the new netns: lo up; eth0 renamed, addressed and routed. */
int net_child_setup(const struct net_state *n, struct husk_err *err);
/* Parent: undo net_attach and net_prepare, in reverse order. Idempotent. */
void net_teardown(struct net_state *n);
/* Removes what a dead husk left for container `name` (veth, lease, rules). */
void net_cleanup_stale(const char *state_root, const char *name);
