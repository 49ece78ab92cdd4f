/* eBPF programs written out as instructions (no compiler, no libbpf): the macros
 * the kernel's samples use, and loading with the verifier's reason on failure.
 * Users: device_rules.c (cgroup device rules) and redirect_progs.c (published ports). */
#pragma once
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define EBPF_INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define EBPF_LDX_W(d, s, o) EBPF_INSN(BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define EBPF_STX_W(d, s, o) EBPF_INSN(BPF_STX | BPF_W | BPF_MEM, d, s, o, 0)
#define EBPF_LDX_DW(d, s, o) EBPF_INSN(BPF_LDX | BPF_DW | BPF_MEM, d, s, o, 0)
#define EBPF_STX_DW(d, s, o) EBPF_INSN(BPF_STX | BPF_DW | BPF_MEM, d, s, o, 0)
#define EBPF_ST_W(d, o, i) EBPF_INSN(BPF_ST | BPF_W | BPF_MEM, d, 0, o, i)
#define EBPF_ST_B(d, o, i) EBPF_INSN(BPF_ST | BPF_B | BPF_MEM, d, 0, o, i)
#define EBPF_ALU64_IMM(op, d, i) EBPF_INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
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
/* d = the map of fd (two instructions: the kernel puts the map's address there) */
#define EBPF_LD_MAP_FD(d, fd) EBPF_INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd)

/* A program under construction, in blocks: a block is a test that either ends the
 * program or jumps ("skips") to the first instruction after the block. */
struct ebpf_prog {
	struct bpf_insn *insn;
	size_t n, cap;
	int left; /* instructions of the current block not yet written */
	/* forward jumps to labels (ebpf_jump), set when the label comes (ebpf_label) */
	size_t fix_at[32];
	int fix_label[32];
	size_t n_fix;
};

/* Starts a block of n instructions; emitted conditional jumps (JNE) with off 0
 * skip the rest of it. */
void ebpf_block(struct ebpf_prog *p, int n);
void ebpf_emit(struct ebpf_prog *p, struct bpf_insn i);
/* Emits the conditional or plain jump i to label (a small number), which a later
 * ebpf_label places; for programs that are easier to read with names than blocks. */
void ebpf_jump(struct ebpf_prog *p, struct bpf_insn i, int label);
void ebpf_label(struct ebpf_prog *p, int label);

/* BPF_PROG_LOAD; on failure the verifier's last line is in the error, after what. */
int ebpf_load(enum bpf_prog_type type, enum bpf_attach_type expected, const char *name,
	      const struct ebpf_prog *p, const char *what, struct husk_err *err);

/* BPF_MAP_CREATE (no preallocation for hash maps, so that a large max_entries costs
 * nothing until used); the fd, or -1 with errno. */
int ebpf_map_create(enum bpf_map_type type, const char *name, uint32_t key_size,
		    uint32_t value_size, uint32_t max_entries);
/* BPF_MAP_{UPDATE,LOOKUP,DELETE}_ELEM: 0, or -1 with errno. */
int ebpf_map_update(int map, const void *key, const void *value, uint64_t flags);
int ebpf_map_lookup(int map, const void *key, void *value);
int ebpf_map_delete(int map, const void *key);
/* BPF_{MAP,LINK}_GET_FD_BY_ID: the fd, or -1 with errno. */
int ebpf_map_by_id(uint32_t id);
int ebpf_link_by_id(uint32_t id);
/* BPF_OBJ_GET_INFO_BY_FD into info (len bytes, zeroed first): 0 or -1. */
int ebpf_obj_info(int fd, void *info, uint32_t len);
