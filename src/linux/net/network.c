/* Networking: the order of the steps, and what is undone on every path. The kernel
 * work is in rtnl.c, bridge.c, veth_pair.c, ipam.c, nft.c, nft_dnat.c, ports.c,
 * forwarder.c and netfiles.c.
 *
 *   net_prepare   lock the IPAM; reclaim dead husks' leases; first bridge container:
 *                 husk0 + table ip husk + iptables FORWARD accepts (when the host
 *                 has iptables' filter table) + ip_forward; take a lease; hosts and
 *                 resolv.conf
 *   net_attach    veth pair, its peer born as eth0 in the child's netns; eth0's
 *                 address, link and default route (from the host, through a netlink
 *                 socket opened in that netns); -p: forwarder, DNAT elements
 *   child         lo up
 *   net_teardown  forwarder, DNAT elements; then either (not the last) veth, lease,
 *                 or (the last bridge container) lease, FORWARD accepts, table, husk0
 *                 with the veth,
 *                 ip_forward, the IPAM directory */
#include "linux/net/network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux/net/bridge.h"
#include "linux/net/forward_filter.h"
#include "linux/net/netfiles.h"
#include "linux/net/rtnl.h"
#include "linux/net/nft/table.h"
#include "linux/net/nft/dnat.h"
#include "linux/net/ports/ports.h"
#include "linux/net/ports/sock_redirect.h"
#include "linux/net/veth_pair.h"
#include "util/explain.h"
#include "util/fs.h"

static int subnet_from_env(struct subnet *sn, struct husk_err *err)
{
	const char *e = getenv("HUSK_SUBNET");
	if (!e || !*e)
		e = HUSK_DEFAULT_SUBNET;
	if (subnet_parse(e, sn))
		return husk_error(err, 0, "invalid HUSK_SUBNET '%s': expected an IPv4 network "
				  "A.B.C.D/N, N in 16..29, host bits zero", e);
	const char *why = subnet_refused(sn);
	if (why)
		return husk_error(err, 0, "invalid HUSK_SUBNET '%s': it lies in %s, which is "
				  "no network for containers", e, why);
	return 0;
}

static bool subnet_explicit(void)
{
	const char *e = getenv("HUSK_SUBNET");
	return e && *e;
}

int net_check_host(const struct husk_spec *s, struct husk_err *err)
{
	struct subnet sn;
	if (s->net == NET_BRIDGE && subnet_from_env(&sn, err))
		return -1;
	return ports_validate(s, err);
}

/* A dead husk's lease: its veth, DNAT elements and redirect entries go with it.
 * -1 if a DNAT element could not be deleted: the lease is kept (its address then
 * is not handed out, so that no later container inherits the port). */
static int reclaim_record(const char *record, void *arg)
{
	struct nl *nl = arg;
	struct dnat_elem e;
	const char *p = record;
	int r = 0;
	while (*p) {
		size_t n = strcspn(p, "\n");
		char line[256];
		snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
		if (!strncmp(line, "veth ", 5) && nl->sk)
			veth_delete(nl, line + 5);
		else if (!strncmp(line, "nft ", 4) && dnat_elem_parse(line + 4, &e) == 0)
			r = nft_dnat_delete(&e, 1) < 0 ? -1 : r;
		else
			sock_redirect_reclaim(line);
		p += n + (p[n] == '\n');
	}
	return r;
}

/* With the IPAM lock and no lease left: the shared objects go. */
static void remove_shared(struct nl *nl, int lock_fd)
{
	forward_filter_remove();
	nft_table_delete();
	if (nl->sk)
		bridge_delete_all(nl);
	forward_restore();
	ipam_remove_dir(lock_fd);
}

/* The first bridge container sets up what they all share. */
static int create_shared(struct nl *nl, const struct subnet *sn, struct husk_err *err)
{
	if (bridge_create(nl, sn, err) || nft_table_create(sn, BRIDGE_NAME, err))
		return -1;
	forward_filter_allow(BRIDGE_NAME);
	if (forward_enable(err))
		return -1;
	if (ipam_subnet_save(sn) < 0)
		return husk_error(err, errno, "network: saving the subnet in %s", IPAM_DIR);
	return 0;
}

/* Without HUSK_SUBNET the running bridge's subnet is taken, whatever it is (the
 * default of an earlier husk, or another's HUSK_SUBNET); with it, it must match. */
static int check_subnet(struct subnet *want, struct husk_err *err)
{
	struct subnet cur;
	if (ipam_subnet_load(&cur) < 0)
		return husk_error(err, 0, "network: %s/subnet is missing or damaged", IPAM_DIR);
	if (!subnet_explicit())
		*want = cur;
	if (cur.net == want->net && cur.prefix == want->prefix)
		return 0;
	char a[40], b[40];
	subnet_format(want, a, sizeof a);
	subnet_format(&cur, b, sizeof b);
	return husk_error(err, 0, "network: HUSK_SUBNET %s differs from %s, which " BRIDGE_NAME
			  " serves to the running bridge containers", a, b);
}

/* Under the IPAM lock: shared objects if first, then our lease. */
static int join_bridge(struct net_state *n, const struct husk_spec *s, struct nl *nl,
		       struct husk_err *err)
{
	EXPLAIN_START(t);
	int lock = ipam_lock(true);
	if (lock < 0)
		return husk_error(err, errno, "network: locking %s/lock", IPAM_DIR);
	EXPLAIN(t, "flock %s/lock   # address allocation, one husk at a time", IPAM_DIR);
	n->ipam_used = true;
	int r = ipam_reclaim(reclaim_record, nl) == 0 ? create_shared(nl, &n->subnet, err)
						       : check_subnet(&n->subnet, err);
	if (r == 0) {
		char record[512];
		snprintf(record, sizeof record, "name %s\ndir %s\nveth %s\n", s->name, n->state_dir,
			 n->host_veth);
		t = explain_enabled ? explain_now() : 0;
		int fd = ipam_take(&n->subnet, record, &n->addr, err);
		if (fd < 0) {
			r = -1;
		} else {
			n->lease_fd = fd;
			n->lease_taken = true;
			addr_format(n->addr, n->address, sizeof n->address);
			EXPLAIN(t, "touch %s/leases/%s   # this container's address, held with flock",
				IPAM_DIR, n->address);
		}
	}
	ipam_unlock(lock);
	return r;
}

static int prepare_bridge(struct net_state *n, const struct husk_spec *s, struct husk_err *err)
{
	if (subnet_from_env(&n->subnet, err))
		return -1;
	veth_name(n->state_dir, n->host_veth);
	struct nl nl;
	int r = nl_open(&nl);
	if (r < 0)
		return husk_error(err, -r, "network: netlink socket");
	r = join_bridge(n, s, &nl, err);
	nl_close(&nl);
	if (r)
		return -1;
	char gw[INET_ADDRSTRLEN];
	addr_format(subnet_gateway(&n->subnet), gw, sizeof gw);
	snprintf(n->gateway, sizeof n->gateway, "%s", gw);
	if (netfiles_hosts(n->hosts_file, s->hostname, s->name, n->address, err) ||
	    netfiles_resolv(n->resolv_file, err))
		return -1;
	return 0;
}

int net_prepare(struct net_state *n, const struct husk_spec *s, const char *state_dir,
		struct husk_err *err)
{
	memset(n, 0, sizeof *n);
	n->mode = s->net;
	n->lease_fd = -1;
	slirp_init(&n->slirp);
	snprintf(n->state_dir, sizeof n->state_dir, "%s", state_dir);
	snprintf(n->hosts_file, sizeof n->hosts_file, "%s/hosts", state_dir);
	switch (n->mode) {
	case NET_HOST:
		snprintf(n->resolv_file, sizeof n->resolv_file, "%s/resolv.conf", state_dir);
		return netfiles_copy(n->hosts_file, "/etc/hosts", err) ||
		       netfiles_copy(n->resolv_file, "/etc/resolv.conf", err) ? -1 : 0;
	case NET_NONE:
		return netfiles_hosts(n->hosts_file, s->hostname, s->name, NULL, err);
	case NET_BRIDGE:
		snprintf(n->resolv_file, sizeof n->resolv_file, "%s/resolv.conf", state_dir);
		return prepare_bridge(n, s, err);
	case NET_SLIRP: {
		snprintf(n->resolv_file, sizeof n->resolv_file, "%s/resolv.conf", state_dir);
		snprintf(n->address, sizeof n->address, SLIRP_ADDR);
		if (netfiles_hosts(n->hosts_file, s->hostname, s->name, SLIRP_ADDR, err))
			return -1;
		/* slirp4netns answers DNS itself, with the host's resolver */
		FILE *f = fopen(n->resolv_file, "we");
		int bad = !f || fputs("nameserver " SLIRP_DNS "\n", f) < 0;
		if ((f && fclose(f) != 0) || bad)
			return husk_error(err, errno, "network: writing %s", n->resolv_file);
		return 0;
	}
	}
	return 0;
}

int net_attach(struct net_state *n, const struct husk_spec *s, pid_t pid, struct husk_err *err)
{
	if (n->mode == NET_SLIRP)
		return slirp_start(&n->slirp, s, pid, n->state_dir, err);
	if (n->mode != NET_BRIDGE)
		return 0;
	struct nl nl;
	int r = nl_open(&nl);
	if (r < 0)
		return husk_error(err, -r, "network: netlink socket");
	r = veth_create(&nl, n->host_veth, pid, n->addr, err);
	n->veth_created = r == 0;
	nl_close(&nl);
	/* eth0 answers before a port leads to it */
	if (r || veth_peer_setup(pid, n->addr, n->subnet.prefix, subnet_gateway(&n->subnet), err))
		return -1;
	return ports_publish(&n->ports, s, pid, n->addr, n->lease_fd, err);
}

/* ip link set lo up */
static int loopback_up(struct husk_err *err)
{
	EXPLAIN_START(t);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return husk_error(err, errno, "network: socket");
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	int ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (ret == 0) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	int saved = errno;
	close(fd);
	if (ret < 0)
		return husk_error(err, saved, "network: ip link set lo up");
	EXPLAIN(t, "ip link set lo up");
	return 0;
}

int net_child_setup(const struct net_state *n, struct husk_err *err)
{
	if (n->mode == NET_HOST)
		return 0;
	return loopback_up(err); /* eth0 was set up from the host (net_attach) */
}

static void release_lease(struct net_state *n)
{
	if (!n->lease_taken)
		return;
	ipam_release(n->addr, n->lease_fd);
	n->lease_taken = false;
	n->lease_fd = -1;
}

/* The last bridge container out: our veth goes with the bridge, in one request. */
static bool leave_last(struct net_state *n, struct nl *nl)
{
	int lock = ipam_lock(false);
	if (lock < 0)
		return false;
	bool last = ipam_reclaim(reclaim_record, nl) == (n->lease_taken ? 1 : 0);
	if (last) {
		release_lease(n);
		remove_shared(nl, lock);
		n->veth_created = false;
	}
	ipam_unlock(lock);
	return last;
}

/* Not the last: the veth goes before the address is given back (a reused address
 * has the same MAC, which must not be on two ports of the bridge at once). */
static void leave_bridge(struct net_state *n, struct nl *nl)
{
	if (n->veth_created && nl->sk)
		veth_delete(nl, n->host_veth);
	n->veth_created = false;
	int lock = ipam_lock(false);
	release_lease(n);
	if (lock < 0)
		return;
	if (ipam_reclaim(reclaim_record, nl) == 0) /* the others left meanwhile */
		remove_shared(nl, lock);
	ipam_unlock(lock);
}

void net_teardown(struct net_state *n)
{
	if (n->mode == NET_SLIRP)
		slirp_stop(&n->slirp);
	if (n->mode != NET_BRIDGE)
		return;
	ports_unpublish(&n->ports);
	struct nl nl = { 0 };
	nl_open(&nl); /* on failure nl.sk stays NULL: the netlink steps are skipped */
	if (n->ipam_used || n->lease_taken) {
		if (!leave_last(n, &nl))
			leave_bridge(n, &nl);
		n->ipam_used = false;
	} else if (n->veth_created && nl.sk) {
		veth_delete(&nl, n->host_veth);
		n->veth_created = false;
	}
	nl_close(&nl);
}

void net_cleanup_stale(void)
{
	int lock = ipam_lock(false);
	if (lock < 0)
		return; /* no bridge container anywhere */
	struct nl nl = { 0 };
	nl_open(&nl);
	if (ipam_reclaim(reclaim_record, &nl) == 0)
		remove_shared(&nl, lock);
	nl_close(&nl);
	ipam_unlock(lock);
}

static int read_knob(const char *path)
{
	char v[16];
	return read_file(path, v, sizeof v) < 0 ? -1 : atoi(v);
}

bool net_describe_host(char *buf, size_t len)
{
	struct subnet want, cur;
	char w[40] = "?", c[40];
	const char *env = getenv("HUSK_SUBNET");
	bool env_ok = subnet_parse(env && *env ? env : HUSK_DEFAULT_SUBNET, &want) == 0;
	if (env_ok)
		subnet_format(&want, w, sizeof w);
	bool bridge = if_nametoindex(BRIDGE_NAME) != 0;
	bool table = nft_table_exists();
	bool active = ipam_subnet_load(&cur) == 0;
	int fwd = read_knob("/proc/sys/net/ipv4/ip_forward");
	int localnet = read_knob("/proc/sys/net/ipv4/conf/all/route_localnet");
	if (!active) {
		snprintf(buf, len, "bridge " BRIDGE_NAME " %s, table ip " NFT_TABLE " %s; subnet %s%s; "
			 "route_localnet=%d", bridge ? "present (left over?)" : "created on demand",
			 table ? "present (left over?)" : "created on demand", env_ok ? w : env,
			 env_ok ? (env && *env ? " (HUSK_SUBNET)" : " (default)") : " is invalid", localnet);
		return env_ok && !bridge && !table && localnet == 0;
	}
	subnet_format(&cur, c, sizeof c);
	snprintf(buf, len, "bridge " BRIDGE_NAME " %s, subnet %s, %d container(s); table ip " NFT_TABLE
		 " %s%s; ip_forward=%d; route_localnet=%d", bridge ? "up" : "MISSING", c, ipam_count(),
		 table ? "present" : "MISSING",
		 forward_filter_active() ? "; iptables FORWARD accepts " BRIDGE_NAME : "", fwd, localnet);
	return bridge && table && localnet == 0;
}
