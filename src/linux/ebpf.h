/* eBPF programs written out as instructions (no compiler, no libbpf): the macros
 * the kernel's samples use, and loading with the verifier's reason on failure.
 * Users: devices.c (cgroup device rules) and sock_redirect.c (published ports). */
#pragma once
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define EBPF_INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define EBPF_LDX_W(d, s, o) EBPF_INSN(BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define EBPF_STX_W(d, s, o) EBPF_INSN(BPF_STX | BPF_W | BPF_MEM, d, s, o, 0)
#define EBPF_ALU32_IMM(op, d, i) EBPF_INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define EBPF_MOV64_REG(d, s) EBPF_INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define EBPF_MOV64_IMM(d, i) EBPF_INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define EBPF_JNE_IMM(d, i, o) EBPF_INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
/* the same on the low 32 bits: a u32 address must not be sign-extended */
#define EBPF_JNE32_IMM(d, i, o) EBPF_INSN(BPF_JMP32 | BPF_JNE | BPF_K, d, 0, o, (int)(i))
#define EBPF_CALL(f) EBPF_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EBPF_EXIT() EBPF_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* a 64-bit immediate takes two instructions */
#define EBPF_LD_IMM64_LO(d, v) EBPF_INSN(BPF_LD | BPF_DW | BPF_IMM, d, 0, 0, (int)(uint32_t)(v))
#define EBPF_LD_IMM64_HI(v) EBPF_INSN(0, 0, 0, 0, (int)(uint32_t)((uint64_t)(v) >> 32))

/* A program under construction, in blocks: a block is a test that either ends the
 * program or jumps ("skips") to the first instruction after the block. */
struct ebpf_prog {
	struct bpf_insn *insn;
	size_t n, cap;
	int left; /* instructions of the current block not yet written */
};

/* Starts a block of n instructions; emitted conditional jumps (JNE) with off 0
 * skip the rest of it. */
void ebpf_block(struct ebpf_prog *p, int n);
void ebpf_emit(struct ebpf_prog *p, struct bpf_insn i);

/* BPF_PROG_LOAD; on failure the verifier's last line is in the error, after what. */
int ebpf_load(enum bpf_prog_type type, enum bpf_attach_type expected, const char *name,
	      const struct ebpf_prog *p, const char *what, struct husk_err *err);
