/* husk's nftables table through libnftables. The commands are nft's own language,
 * so --explain prints exactly what runs.
 *
 * libnftables is opened with dlopen(3) when the first bridge container creates the
 * table: it and what it pulls in (libnftnl, libxtables, libjansson, libgmp) would
 * otherwise be mapped and relocated by every `husk run`, --network none included.
 * The per-container changes (map elements) and the table's removal do not need it:
 * nft_dnat.c writes those as netlink messages. */
#include "linux/nft.h"

#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>

#include "util/explain.h"

#define LIBNFTABLES "libnftables.so.1"

static struct {
	void *handle;
	__typeof__(nft_ctx_new) *ctx_new;
	__typeof__(nft_ctx_free) *ctx_free;
	__typeof__(nft_ctx_buffer_output) *buffer_output;
	__typeof__(nft_ctx_buffer_error) *buffer_error;
	__typeof__(nft_ctx_get_error_buffer) *get_error_buffer;
	__typeof__(nft_ctx_get_output_buffer) *get_output_buffer;
	__typeof__(nft_run_cmd_from_buffer) *run_cmd;
	struct nft_ctx *ctx; /* one per husk: making one costs a millisecond or more */
} lib;

static int load_libnftables(const char *what, struct husk_err *err)
{
	if (lib.handle)
		return 0;
	void *h = dlopen(LIBNFTABLES, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return what ? husk_error(err, 0, "nftables: %s: cannot load " LIBNFTABLES ": %s",
					 what, dlerror()) : -1;
	lib.ctx_new = (__typeof__(lib.ctx_new))dlsym(h, "nft_ctx_new");
	lib.ctx_free = (__typeof__(lib.ctx_free))dlsym(h, "nft_ctx_free");
	lib.buffer_output = (__typeof__(lib.buffer_output))dlsym(h, "nft_ctx_buffer_output");
	lib.buffer_error = (__typeof__(lib.buffer_error))dlsym(h, "nft_ctx_buffer_error");
	lib.get_error_buffer = (__typeof__(lib.get_error_buffer))dlsym(h, "nft_ctx_get_error_buffer");
	lib.get_output_buffer = (__typeof__(lib.get_output_buffer))dlsym(h, "nft_ctx_get_output_buffer");
	lib.run_cmd = (__typeof__(lib.run_cmd))dlsym(h, "nft_run_cmd_from_buffer");
	if (!lib.ctx_new || !lib.ctx_free || !lib.buffer_output || !lib.buffer_error ||
	    !lib.get_error_buffer || !lib.get_output_buffer || !lib.run_cmd) {
		dlclose(h);
		return what ? husk_error(err, 0, "nftables: %s: " LIBNFTABLES " lacks a function", what) : -1;
	}
	lib.handle = h;
	return 0;
}

/* Runs a batch of commands (one transaction). what == NULL: failures are quiet. */
static int nft_run(const char *cmds, const char *what, struct husk_err *err)
{
	if (load_libnftables(what, err))
		return -1;
	if (!lib.ctx) {
		lib.ctx = lib.ctx_new(NFT_CTX_DEFAULT);
		if (!lib.ctx)
			return what ? husk_error(err, ENOMEM, "nftables: %s", what) : -1;
		lib.buffer_output(lib.ctx);
		lib.buffer_error(lib.ctx);
	}
	int r = lib.run_cmd(lib.ctx, cmds);
	/* reading a buffer empties it for the next command */
	lib.get_output_buffer(lib.ctx);
	const char *e = lib.get_error_buffer(lib.ctx);
	if (r && what) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s", e && e[0] ? e : "failed");
		msg[strcspn(msg, "\n")] = '\0';
		const char *m = strncmp(msg, "Error: ", 7) ? msg : msg + 7;
		husk_error(err, 0, "nftables: %s: %s", what, m[0] ? m : "failed");
	}
	return r ? -1 : 0;
}

/* One explain line per command of the batch, the first with its duration. */
static void explain_batch(uint64_t t, const char *cmds)
{
	if (!explain_enabled)
		return;
	const char *p = cmds;
	while (*p) {
		size_t n = strcspn(p, "\n");
		explain_line(t, "nft '%.*s'", (int)n, p);
		t = explain_now();
		p += n + (p[n] == '\n');
	}
}

int nft_table_create(const struct subnet *sn, const char *bridge, struct husk_err *err)
{
	char net[40], cmds[3072];
	subnet_format(sn, net, sizeof net);
	/* add + delete + add: one transaction that also replaces a dead husk's table */
	snprintf(cmds, sizeof cmds,
		 "add table ip " NFT_TABLE "\n"
		 "delete table ip " NFT_TABLE "\n"
		 "add table ip " NFT_TABLE "\n"
		 "add map ip " NFT_TABLE " tcp_dnat { type ipv4_addr . inet_service : ipv4_addr . inet_service; flags interval; }\n"
		 "add map ip " NFT_TABLE " udp_dnat { type ipv4_addr . inet_service : ipv4_addr . inet_service; flags interval; }\n"
		 "add chain ip " NFT_TABLE " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
		 "add chain ip " NFT_TABLE " output { type nat hook output priority -100; policy accept; }\n"
		 "add chain ip " NFT_TABLE " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
		 "add chain ip " NFT_TABLE " forward { type filter hook forward priority filter; policy accept; }\n"
		 /* published ports, for packets from outside; never for 127.0.0.0/8 (that
		  * would need route_localnet=1, CVE-2020-8558): the forwarder serves those */
		 "add rule ip " NFT_TABLE " prerouting iifname != \"lo\" fib daddr type local dnat ip to ip daddr . tcp dport map @tcp_dnat\n"
		 "add rule ip " NFT_TABLE " prerouting iifname != \"lo\" fib daddr type local dnat ip to ip daddr . udp dport map @udp_dnat\n"
		 /* and from the host itself to one of its addresses other than loopback */
		 "add rule ip " NFT_TABLE " output ip daddr != 127.0.0.0/8 fib daddr type local dnat ip to ip daddr . tcp dport map @tcp_dnat\n"
		 "add rule ip " NFT_TABLE " output ip daddr != 127.0.0.0/8 fib daddr type local dnat ip to ip daddr . udp dport map @udp_dnat\n"
		 /* outbound NAT; and a container reaching another's published port through
		  * a host address must see the replies come back the same way */
		 "add rule ip " NFT_TABLE " postrouting ip saddr %s oifname != \"%s\" masquerade\n"
		 "add rule ip " NFT_TABLE " postrouting ip saddr %s ip daddr %s ct status dnat masquerade\n"
		 "add rule ip " NFT_TABLE " forward ip daddr %s ct state established,related accept\n"
		 "add rule ip " NFT_TABLE " forward ip daddr %s ct status dnat accept\n"
		 "add rule ip " NFT_TABLE " forward ip saddr %s accept",
		 net, bridge, net, net, net, net, net);
	EXPLAIN_START(t);
	if (nft_run(cmds, "creating table ip " NFT_TABLE, err))
		return -1;
	explain_batch(t, cmds);
	return 0;
}

bool nft_table_exists(void)
{
	return nft_run("list table ip " NFT_TABLE, NULL, NULL) == 0;
}
