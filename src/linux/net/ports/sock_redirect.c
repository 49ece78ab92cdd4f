/* The published ports' eBPF redirect for the host's loopback (see sock_redirect.h).
 *
 * One program per hook, generated for this container's ports:
 *
 *   if netns_cookie(ctx) != husk's: return 1       # other namespaces: untouched
 *   for each port:                                  # connect4 / sendmsg4
 *     if protocol == P && port == HOSTPORT && ip in 127.0.0.0/8 (or == the -p IP):
 *       ip, port = CONTAINER, CTRPORT; return 1
 *   return 1
 *
 * recvmsg4 (UDP) does the reverse on the source of a reply. Returning 1 lets the call
 * go on; a program never refuses anything. */
#include "linux/net/ports/sock_redirect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/ebpf.h"
#include "util/cleanup.h"
#include "util/explain.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CTX(f) ((short)offsetof(struct bpf_sock_addr, f))
#define MAX_HOOKS 3


struct sock_redirect {
	int links[MAX_HOOKS];
	size_t n;
};

static const char *const cgroup2_roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

static const char *cgroup2_root(void)
{
	struct statfs fs;
	for (size_t i = 0; i < ARRAY_SIZE(cgroup2_roots); i++)
		if (statfs(cgroup2_roots[i], &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
			return cgroup2_roots[i];
	return NULL;
}

/* The cookie of husk's network namespace (Linux 5.14), 0 if the kernel has none. */
static uint64_t netns_cookie(void)
{
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint64_t cookie = 0;
	socklen_t len = sizeof cookie;
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
		return 0;
	return cookie;
}

bool sock_redirect_supported(char *why, size_t len)
{
	const char *root = cgroup2_root();
	const char *msg = !root ? "no cgroup2 mount to attach to"
			  : !netns_cookie() ? "the kernel has no network-namespace cookies (Linux < 5.14)"
					    : NULL;
	if (why)
		snprintf(why, len, "%s", msg ? msg : root);
	return !msg;
}

/* The loopback address a -p serves, in network order: 0 = all of 127.0.0.0/8,
 * or the one given; -1 if the redirect has nothing to do for it. */
static int64_t loopback_of(const struct port_map *p)
{
	struct in_addr a;
	if (!p->host_ip[0] || !strcmp(p->host_ip, "0.0.0.0") || !strcmp(p->host_ip, "::"))
		return 0;
	if (inet_pton(AF_INET, p->host_ip, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127)
		return a.s_addr;
	return -1;
}

/* r6 = ctx; a namespace other than husk's returns at once; r2 = protocol,
 * r3 = ip, r4 = port (both network order, as the ctx holds them). */
static void prologue(struct ebpf_prog *p, uint64_t cookie)
{
	ebpf_block(p, 7);
	ebpf_emit(p, EBPF_MOV64_REG(BPF_REG_6, BPF_REG_1));
	ebpf_emit(p, EBPF_CALL(BPF_FUNC_get_netns_cookie));
	ebpf_emit(p, EBPF_LD_IMM64_LO(BPF_REG_1, cookie));
	ebpf_emit(p, EBPF_LD_IMM64_HI(cookie));
	ebpf_emit(p, EBPF_INSN(BPF_JMP | BPF_JEQ | BPF_X, BPF_REG_0, BPF_REG_1, 2, 0));
	ebpf_emit(p, EBPF_MOV64_IMM(BPF_REG_0, 1));
	ebpf_emit(p, EBPF_EXIT());
	ebpf_block(p, 3);
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_2, BPF_REG_6, CTX(protocol)));
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_3, BPF_REG_6, CTX(user_ip4)));
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_4, BPF_REG_6, CTX(user_port)));
}

/* ctx's address and port = ip, port (network order); return 1 */
static void rewrite(struct ebpf_prog *p, uint32_t ip, uint16_t port)
{
	ebpf_emit(p, EBPF_MOV64_IMM(BPF_REG_5, (int)ip));
	ebpf_emit(p, EBPF_STX_W(BPF_REG_6, BPF_REG_5, CTX(user_ip4)));
	ebpf_emit(p, EBPF_MOV64_IMM(BPF_REG_5, (int)port));
	ebpf_emit(p, EBPF_STX_W(BPF_REG_6, BPF_REG_5, CTX(user_port)));
	ebpf_emit(p, EBPF_MOV64_IMM(BPF_REG_0, 1));
	ebpf_emit(p, EBPF_EXIT());
}

/* connect4, sendmsg4: the host's loopback:HOSTPORT -> the container */
static void to_container(struct ebpf_prog *p, const struct port_map *m, int64_t lo, uint32_t ctr)
{
	ebpf_block(p, 2 + (lo ? 1 : 3) + 6);
	ebpf_emit(p, EBPF_JNE32_IMM(BPF_REG_2, m->proto, 0));
	ebpf_emit(p, EBPF_JNE32_IMM(BPF_REG_4, htons(m->host_port), 0));
	if (lo) {
		ebpf_emit(p, EBPF_JNE32_IMM(BPF_REG_3, (uint32_t)lo, 0));
	} else {
		ebpf_emit(p, EBPF_MOV64_REG(BPF_REG_5, BPF_REG_3));
		ebpf_emit(p, EBPF_ALU32_IMM(BPF_AND, BPF_REG_5, (int)htonl(0xff000000u)));
		ebpf_emit(p, EBPF_JNE32_IMM(BPF_REG_5, htonl(0x7f000000u), 0));
	}
	rewrite(p, ctr, htons(m->ctr_port));
}

/* recvmsg4: a reply from the container -> from the host's loopback:HOSTPORT */
static void from_container(struct ebpf_prog *p, const struct port_map *m, int64_t lo, uint32_t ctr)
{
	ebpf_block(p, 2 + 6);
	ebpf_emit(p, EBPF_JNE32_IMM(BPF_REG_3, ctr, 0));
	ebpf_emit(p, EBPF_JNE32_IMM(BPF_REG_4, htons(m->ctr_port), 0));
	rewrite(p, lo ? (uint32_t)lo : htonl(INADDR_LOOPBACK), htons(m->host_port));
}

static const struct hook {
	enum bpf_attach_type type;
	const char *name;
	bool udp_only;
	void (*rule)(struct ebpf_prog *, const struct port_map *, int64_t, uint32_t);
} hooks[MAX_HOOKS] = {
	{ BPF_CGROUP_INET4_CONNECT, "connect4", false, to_container },
	{ BPF_CGROUP_UDP4_SENDMSG, "sendmsg4", true, to_container },
	{ BPF_CGROUP_UDP4_RECVMSG, "recvmsg4", true, from_container },
};

/* The program for hook h, or 0 instructions if no port needs it. */
static void build(struct ebpf_prog *p, const struct hook *h, const struct husk_spec *s,
		  uint32_t ctr, uint64_t cookie)
{
	prologue(p, cookie);
	size_t body = p->n;
	for (size_t i = 0; i < s->n_ports; i++) {
		const struct port_map *m = &s->ports[i];
		int64_t lo = loopback_of(m);
		if (lo >= 0 && (!h->udp_only || m->proto == IPPROTO_UDP))
			h->rule(p, m, lo, ctr);
	}
	if (p->n == body) {
		p->n = 0;
		return;
	}
	ebpf_block(p, 2);
	ebpf_emit(p, EBPF_MOV64_IMM(BPF_REG_0, 1));
	ebpf_emit(p, EBPF_EXIT());
}

static void explain_hook(uint64_t t, const char *root, const struct hook *h,
			 const struct husk_spec *s, uint32_t ctr, size_t n)
{
	char list[512] = "", ip[INET_ADDRSTRLEN];
	size_t used = 0;
	struct in_addr a = { .s_addr = ctr };
	inet_ntop(AF_INET, &a, ip, sizeof ip);
	for (size_t i = 0; i < s->n_ports && used < sizeof list; i++) {
		const struct port_map *m = &s->ports[i];
		int64_t lo = loopback_of(m);
		if (lo < 0 || (h->udp_only && m->proto != IPPROTO_UDP))
			continue;
		char from[INET_ADDRSTRLEN] = "127.0.0.0/8";
		if (lo) {
			a.s_addr = (uint32_t)lo;
			inet_ntop(AF_INET, &a, from, sizeof from);
		}
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s:%u/%s -> %s:%u",
					 used ? ", " : "", from, m->host_port,
					 m->proto == IPPROTO_UDP ? "udp" : "tcp", ip, m->ctr_port);
	}
	explain_line(t, "bpftool cgroup attach %s %s <%zu-insn program: %s, in husk's network "
		     "namespace> multi   # held by husk's bpf_link; route_localnet stays 0",
		     root, h->name, n, list);
}

int sock_redirect_start(struct sock_redirect **out, const struct husk_spec *s,
			uint32_t ctr_addr, struct husk_err *err)
{
	EXPLAIN_START(t);
	const char *root = cgroup2_root();
	uint64_t cookie = netns_cookie();
	if (!root || !cookie) {
		char why[128];
		sock_redirect_supported(why, sizeof why);
		husk_error(err, 0, "%s", why);
		return 1;
	}
	cleanup_close int cg = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		husk_error(err, errno, "%s", root);
		return 1;
	}
	struct sock_redirect *r = calloc(1, sizeof *r);
	if (!r)
		return husk_error(err, ENOMEM, "--publish");
	*out = r;
	uint32_t ctr = htonl(ctr_addr);
	/* the prologue and end, and at most 11 instructions per port */
	size_t cap = 16 + 12 * s->n_ports;
	cleanup_free struct bpf_insn *insn = calloc(cap, sizeof *insn);
	if (!insn)
		return husk_error(err, ENOMEM, "--publish");
	for (size_t i = 0; i < MAX_HOOKS; i++) {
		const struct hook *h = &hooks[i];
		struct ebpf_prog p = { .insn = insn, .cap = cap };
		build(&p, h, s, ctr, cookie);
		if (!p.n)
			continue;
		char what[64];
		snprintf(what, sizeof what, "published ports: loading the eBPF %s program", h->name);
		cleanup_close int prog = ebpf_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, h->type,
						   "husk_ports", &p, what, err);
		if (prog < 0)
			return r->n ? -1 : 1; /* the first: the kernel cannot; later: a failure */
		union bpf_attr a;
		memset(&a, 0, sizeof a);
		a.link_create.prog_fd = (uint32_t)prog;
		a.link_create.target_fd = (uint32_t)cg;
		a.link_create.attach_type = h->type;
		int link = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof a);
		if (link < 0) {
			husk_error(err, errno, "published ports: attaching the eBPF %s program to %s",
				   h->name, root);
			return r->n ? -1 : 1;
		}
		r->links[r->n++] = link;
		if (explain_enabled)
			explain_hook(t, root, h, s, ctr, p.n);
		t = explain_now();
	}
	return 0;
}

void sock_redirect_stop(struct sock_redirect **rp)
{
	struct sock_redirect *r = *rp;
	if (!r)
		return;
	EXPLAIN_START(t);
	for (size_t i = 0; i < r->n; i++)
		close(r->links[i]);
	if (r->n)
		EXPLAIN(t, "close the %zu bpf_link(s)   # detaches the published ports' programs",
			r->n);
	free(r);
	*rp = NULL;
}
