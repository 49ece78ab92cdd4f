/* The five published-port programs, one per hook, the same for every container: the
 * ports live in a hash map that each husk fills with its own entries, so a connect()
 * costs one or two lookups whatever the number of containers.
 *
 * connect4, sendmsg4 (and connect6 for ::ffff:127.x.y.z and [::1]):
 *   if netns_cookie(ctx) != husk's: return 1          # other namespaces: untouched
 *   if dst is not loopback: return 1
 *   if the socket's source is loopback: return 1       # it could not leave lo: left alone
 *   v = ports[proto, dst, port] or ports[proto, 127.0.0.0/8, port]; none: return 1
 *   UDP: revnat[socket cookie, v] = dst                # for the replies
 *   dst = v; return 1
 * recvmsg4, recvmsg6 (UDP replies):
 *   o = revnat[socket cookie, src]; if o: src = o      # this socket's own original
 * Returning 1 lets the call go on; a program never refuses anything. */
#include "linux/net/ports/redirect_progs.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>

#include "linux/ebpf.h"
#include "util/cleanup.h"

#define CTX(f) ((short)offsetof(struct bpf_sock_addr, f))
#define SK(f) ((short)offsetof(struct bpf_sock, f))
#define JEQ32_IMM(d, i) EBPF_INSN(BPF_JMP32 | BPF_JEQ | BPF_K, d, 0, 0, (int)(i))
#define JEQ_IMM(d, i) EBPF_INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, 0, i)
#define JNE_REG(d, s) EBPF_INSN(BPF_JMP | BPF_JNE | BPF_X, d, s, 0, 0)
#define JA() EBPF_INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0)

/* the stack: ports key at -8, revnat key at -24, revnat value at -40 */
#define KEY (-8)
#define RKEY (-24)
#define RVAL (-40)

enum label { OUT, FOUND, MAPPED, WRITE, SRC_OK, SRC_MAPPED, RESTORE6, PORT };
enum kind { TO_CONTAINER, FROM_CONTAINER };

static const uint32_t lo_mask = 0x000000ffu;  /* htonl(0xff000000) on little endian */
static const uint32_t lo_net = 0x0000007fu;   /* htonl(0x7f000000) */

static uint32_t be32(uint32_t v)
{
	return htonl(v);
}

struct ctx {
	struct ebpf_prog *p;
	int map, revnat;
	bool v6, sendmsg;
};

static void emit(struct ctx *c, struct bpf_insn i)
{
	ebpf_emit(c->p, i);
}

static void jump(struct ctx *c, struct bpf_insn i, enum label l)
{
	ebpf_jump(c->p, i, (int)l);
}

/* r6 = ctx; another network namespace than husk's goes straight out */
static void prologue(struct ctx *c, uint64_t cookie)
{
	emit(c, EBPF_MOV64_REG(BPF_REG_6, BPF_REG_1));
	emit(c, EBPF_CALL(BPF_FUNC_get_netns_cookie));
	emit(c, EBPF_LD_IMM64_LO(BPF_REG_1, cookie));
	emit(c, EBPF_LD_IMM64_HI(cookie));
	jump(c, JNE_REG(BPF_REG_0, BPF_REG_1), OUT);
}

static void epilogue(struct ctx *c)
{
	ebpf_label(c->p, OUT);
	emit(c, EBPF_MOV64_IMM(BPF_REG_0, 1));
	emit(c, EBPF_EXIT());
}

/* out unless reg (an IPv4 address) is in 127.0.0.0/8; reg is clobbered */
static void out_unless_loopback(struct ctx *c, int reg)
{
	emit(c, EBPF_ALU32_IMM(BPF_AND, reg, (int)lo_mask));
	jump(c, EBPF_JNE32_IMM(reg, lo_net, 0), OUT);
}

/* out if the IPv4 source at [base + off] is loopback (0 = not chosen yet) */
static void out_if_source4(struct ctx *c, int base, short off)
{
	emit(c, EBPF_LDX_W(BPF_REG_3, base, off));
	emit(c, EBPF_ALU32_IMM(BPF_AND, BPF_REG_3, (int)lo_mask));
	jump(c, JEQ32_IMM(BPF_REG_3, lo_net), OUT);
}

/* out if the IPv6 source at [base + off] is ::1 or ::ffff:127.x.y.z */
static void out_if_source6(struct ctx *c, int base, short off)
{
	emit(c, EBPF_LDX_W(BPF_REG_3, base, off));
	jump(c, EBPF_JNE32_IMM(BPF_REG_3, 0, 0), SRC_OK);
	emit(c, EBPF_LDX_W(BPF_REG_3, base, off + 4));
	jump(c, EBPF_JNE32_IMM(BPF_REG_3, 0, 0), SRC_OK);
	emit(c, EBPF_LDX_W(BPF_REG_4, base, off + 12));
	emit(c, EBPF_LDX_W(BPF_REG_3, base, off + 8));
	jump(c, JEQ32_IMM(BPF_REG_3, be32(0xffff)), SRC_MAPPED);
	jump(c, EBPF_JNE32_IMM(BPF_REG_3, 0, 0), SRC_OK);
	jump(c, JEQ32_IMM(BPF_REG_4, be32(1)), OUT);
	jump(c, JA(), SRC_OK);
	ebpf_label(c->p, SRC_MAPPED);
	emit(c, EBPF_ALU32_IMM(BPF_AND, BPF_REG_4, (int)lo_mask));
	jump(c, JEQ32_IMM(BPF_REG_4, lo_net), OUT);
	ebpf_label(c->p, SRC_OK);
}

/* the socket's bound source, and for sendmsg the one a cmsg asks for */
static void out_if_source_loopback(struct ctx *c)
{
	emit(c, EBPF_LDX_DW(BPF_REG_7, BPF_REG_6, CTX(sk)));
	if (c->v6) {
		out_if_source6(c, BPF_REG_7, SK(src_ip6));
		if (c->sendmsg)
			out_if_source6(c, BPF_REG_6, CTX(msg_src_ip6));
	} else {
		out_if_source4(c, BPF_REG_7, SK(src_ip4));
		if (c->sendmsg)
			out_if_source4(c, BPF_REG_6, CTX(msg_src_ip4));
	}
}

/* r0 = ports[key] with the key's ip = r2 (or the immediate 0 if r2 < 0) */
static void lookup(struct ctx *c, int map, short key)
{
	emit(c, EBPF_LD_MAP_FD(BPF_REG_1, map));
	emit(c, EBPF_LD_IMM64_HI(0));
	emit(c, EBPF_MOV64_REG(BPF_REG_2, BPF_REG_10));
	emit(c, EBPF_ALU64_IMM(BPF_ADD, BPF_REG_2, key));
	emit(c, EBPF_CALL(BPF_FUNC_map_lookup_elem));
}

/* the ports key from r2 (ip) and the ctx's port and protocol */
static void ports_key(struct ctx *c, int family)
{
	emit(c, EBPF_STX_W(BPF_REG_10, BPF_REG_2, KEY));
	emit(c, EBPF_LDX_W(BPF_REG_3, BPF_REG_6, CTX(user_port)));
	emit(c, EBPF_STX_W(BPF_REG_10, BPF_REG_3, KEY + 4));
	emit(c, EBPF_LDX_W(BPF_REG_3, BPF_REG_6, CTX(protocol)));
	emit(c, EBPF_INSN(BPF_STX | BPF_B | BPF_MEM, BPF_REG_10, BPF_REG_3, KEY + 6, 0));
	emit(c, EBPF_ST_B(BPF_REG_10, KEY + 7, family));
}

/* the exact address, then all of 127.0.0.0/8: found -> FOUND, else out */
static void lookup_v4(struct ctx *c)
{
	ports_key(c, 4);
	lookup(c, c->map, KEY);
	jump(c, EBPF_JNE_IMM(BPF_REG_0, 0, 0), FOUND);
	emit(c, EBPF_ST_W(BPF_REG_10, KEY, 0));
	lookup(c, c->map, KEY);
	jump(c, JEQ_IMM(BPF_REG_0, 0), OUT);
	jump(c, JA(), FOUND);
}

/* revnat[cookie, r7:r8] = the original destination (r9: its family) */
static void record(struct ctx *c)
{
	emit(c, EBPF_MOV64_REG(BPF_REG_1, BPF_REG_6));
	emit(c, EBPF_CALL(BPF_FUNC_get_socket_cookie));
	emit(c, EBPF_STX_DW(BPF_REG_10, BPF_REG_0, RKEY));
	emit(c, EBPF_STX_W(BPF_REG_10, BPF_REG_7, RKEY + 8));
	emit(c, EBPF_STX_W(BPF_REG_10, BPF_REG_8, RKEY + 12));
	emit(c, EBPF_LDX_W(BPF_REG_1, BPF_REG_6, c->v6 ? CTX(user_ip6[3]) : CTX(user_ip4)));
	emit(c, EBPF_STX_W(BPF_REG_10, BPF_REG_1, RVAL));
	emit(c, EBPF_LDX_W(BPF_REG_1, BPF_REG_6, CTX(user_port)));
	emit(c, EBPF_STX_W(BPF_REG_10, BPF_REG_1, RVAL + 4));
	emit(c, EBPF_STX_W(BPF_REG_10, BPF_REG_9, RVAL + 8));
	emit(c, EBPF_ST_W(BPF_REG_10, RVAL + 12, 0));
	emit(c, EBPF_LD_MAP_FD(BPF_REG_1, c->revnat));
	emit(c, EBPF_LD_IMM64_HI(0));
	emit(c, EBPF_MOV64_REG(BPF_REG_2, BPF_REG_10));
	emit(c, EBPF_ALU64_IMM(BPF_ADD, BPF_REG_2, RKEY));
	emit(c, EBPF_MOV64_REG(BPF_REG_3, BPF_REG_10));
	emit(c, EBPF_ALU64_IMM(BPF_ADD, BPF_REG_3, RVAL));
	emit(c, EBPF_MOV64_IMM(BPF_REG_4, BPF_ANY));
	emit(c, EBPF_CALL(BPF_FUNC_map_update_elem));
}

/* v6: [::1] -> key family 6; ::ffff:127.x.y.z -> as IPv4; anything else out */
static void classify_v6(struct ctx *c)
{
	emit(c, EBPF_LDX_W(BPF_REG_2, BPF_REG_6, CTX(user_ip6[0])));
	jump(c, EBPF_JNE32_IMM(BPF_REG_2, 0, 0), OUT);
	emit(c, EBPF_LDX_W(BPF_REG_2, BPF_REG_6, CTX(user_ip6[1])));
	jump(c, EBPF_JNE32_IMM(BPF_REG_2, 0, 0), OUT);
	emit(c, EBPF_LDX_W(BPF_REG_2, BPF_REG_6, CTX(user_ip6[2])));
	jump(c, JEQ32_IMM(BPF_REG_2, be32(0xffff)), MAPPED);
	jump(c, EBPF_JNE32_IMM(BPF_REG_2, 0, 0), OUT);
	emit(c, EBPF_LDX_W(BPF_REG_2, BPF_REG_6, CTX(user_ip6[3])));
	jump(c, EBPF_JNE32_IMM(BPF_REG_2, be32(1), 0), OUT);
	/* [::1] */
	out_if_source_loopback(c);
	emit(c, EBPF_MOV64_IMM(BPF_REG_2, 0));
	ports_key(c, 6);
	lookup(c, c->map, KEY);
	jump(c, JEQ_IMM(BPF_REG_0, 0), OUT);
	emit(c, EBPF_MOV64_IMM(BPF_REG_9, 6));
	jump(c, JA(), FOUND);
	ebpf_label(c->p, MAPPED);
	emit(c, EBPF_MOV64_IMM(BPF_REG_9, 4));
	emit(c, EBPF_LDX_W(BPF_REG_2, BPF_REG_6, CTX(user_ip6[3])));
}

/* connect and sendmsg: the published address -> the container */
static void to_container(struct ctx *c, bool udp_only)
{
	if (c->v6) {
		classify_v6(c);
	} else {
		emit(c, EBPF_MOV64_IMM(BPF_REG_9, 4));
		emit(c, EBPF_LDX_W(BPF_REG_2, BPF_REG_6, CTX(user_ip4)));
	}
	emit(c, EBPF_MOV64_REG(BPF_REG_3, BPF_REG_2));
	out_unless_loopback(c, BPF_REG_3);
	out_if_source_loopback(c);
	lookup_v4(c);
	ebpf_label(c->p, FOUND);
	emit(c, EBPF_LDX_W(BPF_REG_7, BPF_REG_0, 0));
	emit(c, EBPF_LDX_W(BPF_REG_8, BPF_REG_0, 4));
	if (!udp_only) {
		emit(c, EBPF_LDX_W(BPF_REG_3, BPF_REG_6, CTX(protocol)));
		jump(c, EBPF_JNE32_IMM(BPF_REG_3, IPPROTO_UDP, 0), WRITE);
	}
	record(c);
	ebpf_label(c->p, WRITE);
	if (c->v6) {
		emit(c, EBPF_MOV64_IMM(BPF_REG_1, 0));
		emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_1, CTX(user_ip6[0])));
		emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_1, CTX(user_ip6[1])));
		emit(c, EBPF_MOV64_IMM(BPF_REG_1, (int)be32(0xffff)));
		emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_1, CTX(user_ip6[2])));
		emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_7, CTX(user_ip6[3])));
	} else {
		emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_7, CTX(user_ip4)));
	}
	emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_8, CTX(user_port)));
}

/* recvmsg: a reply's source -> what this socket sent to */
static void from_container(struct ctx *c)
{
	if (c->v6) {
		emit(c, EBPF_LDX_W(BPF_REG_2, BPF_REG_6, CTX(user_ip6[2])));
		jump(c, EBPF_JNE32_IMM(BPF_REG_2, be32(0xffff), 0), OUT);
	}
	emit(c, EBPF_MOV64_REG(BPF_REG_1, BPF_REG_6));
	emit(c, EBPF_CALL(BPF_FUNC_get_socket_cookie));
	emit(c, EBPF_STX_DW(BPF_REG_10, BPF_REG_0, RKEY));
	emit(c, EBPF_LDX_W(BPF_REG_2, BPF_REG_6, c->v6 ? CTX(user_ip6[3]) : CTX(user_ip4)));
	emit(c, EBPF_STX_W(BPF_REG_10, BPF_REG_2, RKEY + 8));
	emit(c, EBPF_LDX_W(BPF_REG_2, BPF_REG_6, CTX(user_port)));
	emit(c, EBPF_STX_W(BPF_REG_10, BPF_REG_2, RKEY + 12));
	lookup(c, c->revnat, RKEY);
	jump(c, JEQ_IMM(BPF_REG_0, 0), OUT);
	emit(c, EBPF_LDX_W(BPF_REG_7, BPF_REG_0, 0));
	emit(c, EBPF_LDX_W(BPF_REG_8, BPF_REG_0, 4));
	if (c->v6) {
		emit(c, EBPF_LDX_W(BPF_REG_9, BPF_REG_0, 8));
		jump(c, JEQ32_IMM(BPF_REG_9, 6), RESTORE6);
		emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_7, CTX(user_ip6[3])));
		jump(c, JA(), PORT);
		ebpf_label(c->p, RESTORE6);
		emit(c, EBPF_MOV64_IMM(BPF_REG_1, 0));
		emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_1, CTX(user_ip6[2])));
		emit(c, EBPF_MOV64_IMM(BPF_REG_1, (int)be32(1)));
		emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_1, CTX(user_ip6[3])));
		ebpf_label(c->p, PORT);
	} else {
		emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_7, CTX(user_ip4)));
	}
	emit(c, EBPF_STX_W(BPF_REG_6, BPF_REG_8, CTX(user_port)));
}

const struct redirect_hook redirect_hooks[REDIRECT_HOOKS] = {
	{ BPF_CGROUP_INET4_CONNECT, "connect4" }, { BPF_CGROUP_UDP4_SENDMSG, "sendmsg4" },
	{ BPF_CGROUP_UDP4_RECVMSG, "recvmsg4" },  { BPF_CGROUP_INET6_CONNECT, "connect6" },
	{ BPF_CGROUP_UDP6_RECVMSG, "recvmsg6" },
};

int redirect_prog_load(size_t i, int map, int revnat, uint64_t cookie, struct husk_err *err)
{
	const struct redirect_hook *h = &redirect_hooks[i];
	struct bpf_insn insn[256];
	struct ebpf_prog p = { .insn = insn, .cap = ARRAY_SIZE(insn) };
	bool recv = h->type == BPF_CGROUP_UDP4_RECVMSG || h->type == BPF_CGROUP_UDP6_RECVMSG;
	bool send = h->type == BPF_CGROUP_UDP4_SENDMSG || h->type == BPF_CGROUP_UDP6_SENDMSG;
	struct ctx c = { .p = &p, .map = map, .revnat = revnat, .sendmsg = send,
			 .v6 = h->type == BPF_CGROUP_INET6_CONNECT ||
			       h->type == BPF_CGROUP_UDP6_SENDMSG ||
			       h->type == BPF_CGROUP_UDP6_RECVMSG };
	prologue(&c, cookie);
	if (recv)
		from_container(&c);
	else
		to_container(&c, send);
	epilogue(&c);
	char what[64];
	snprintf(what, sizeof what, "published ports: loading the eBPF %s program", h->name);
	return ebpf_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, h->type, REDIRECT_PROG_NAME, &p, what,
			 err);
}
