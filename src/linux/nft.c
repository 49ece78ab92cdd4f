/* husk's nftables table through libnftables. The commands are nft's own language,
 * so --explain prints exactly what runs. */
#include "linux/nft.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>

#include "util/explain.h"

/* Runs a batch of commands (one transaction). what == NULL: failures are quiet. */
static int nft_run(const char *cmds, const char *what, struct husk_err *err)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return what ? husk_error(err, ENOMEM, "nftables: %s", what) : -1;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	int r = nft_run_cmd_from_buffer(ctx, cmds);
	if (r && what) {
		char msg[256];
		const char *e = nft_ctx_get_error_buffer(ctx);
		snprintf(msg, sizeof msg, "%s", e ? e : "failed");
		msg[strcspn(msg, "\n")] = '\0';
		const char *m = strncmp(msg, "Error: ", 7) ? msg : msg + 7;
		husk_error(err, 0, "nftables: %s: %s", what, m[0] ? m : "failed");
	}
	nft_ctx_free(ctx);
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
		 "add chain ip " NFT_TABLE " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
		 "add chain ip " NFT_TABLE " forward { type filter hook forward priority filter; policy accept; }\n"
		 /* published ports, for packets from outside; never for 127.0.0.0/8 (that
		  * would need route_localnet=1, CVE-2020-8558): the forwarder serves those */
		 "add rule ip " NFT_TABLE " prerouting iifname != \"lo\" fib daddr type local dnat ip to ip daddr . tcp dport map @tcp_dnat\n"
		 "add rule ip " NFT_TABLE " prerouting iifname != \"lo\" fib daddr type local dnat ip to ip daddr . udp dport map @udp_dnat\n"
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

void nft_table_delete(void)
{
	EXPLAIN_START(t);
	if (nft_run("delete table ip " NFT_TABLE, NULL, NULL) == 0)
		EXPLAIN(t, "nft 'delete table ip " NFT_TABLE "'");
}

bool nft_table_exists(void)
{
	return nft_run("list table ip " NFT_TABLE, NULL, NULL) == 0;
}

/* "tcp KEY : VALUE" -> the map's name and the rest */
static int split_elem(const char *elem, const char **map, const char **rest)
{
	if (!strncmp(elem, "tcp ", 4))
		*map = "tcp_dnat";
	else if (!strncmp(elem, "udp ", 4))
		*map = "udp_dnat";
	else
		return -1;
	*rest = elem + 4;
	return 0;
}

int nft_element_add(const char *elem, struct husk_err *err)
{
	const char *map, *rest;
	if (split_elem(elem, &map, &rest))
		return husk_error(err, EINVAL, "nftables: bad element '%s'", elem);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "add element ip " NFT_TABLE " %s { %s }", map, rest);
	EXPLAIN_START(t);
	if (nft_run(cmd, "publishing a port", err))
		return -1;
	EXPLAIN(t, "nft '%s'", cmd);
	return 0;
}

void nft_element_delete(const char *elem)
{
	const char *map, *rest;
	if (split_elem(elem, &map, &rest))
		return;
	char cmd[512];
	/* the key is what comes before " : " */
	const char *colon = strstr(rest, " : ");
	int klen = colon ? (int)(colon - rest) : (int)strlen(rest);
	snprintf(cmd, sizeof cmd, "delete element ip " NFT_TABLE " %s { %.*s }", map, klen, rest);
	EXPLAIN_START(t);
	if (nft_run(cmd, NULL, NULL) == 0)
		EXPLAIN(t, "nft '%s'", cmd);
}
