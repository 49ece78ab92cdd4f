/* Loading hand-written eBPF programs (see ebpf.h). */
#include "linux/ebpf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void ebpf_block(struct ebpf_prog *p, int n)
{
	p->left = n;
}

void ebpf_emit(struct ebpf_prog *p, struct bpf_insn i)
{
	if (p->n == p->cap) {
		p->n++; /* counted, so that ebpf_load sees the overflow */
		return;
	}
	p->left--;
	if ((BPF_CLASS(i.code) == BPF_JMP || BPF_CLASS(i.code) == BPF_JMP32) &&
	    BPF_OP(i.code) == BPF_JNE && i.off == 0)
		i.off = (short)p->left;
	p->insn[p->n++] = i;
}

int ebpf_load(enum bpf_prog_type type, enum bpf_attach_type expected, const char *name,
	      const struct ebpf_prog *p, const char *what, struct husk_err *err)
{
	if (p->n > p->cap)
		return husk_error(err, E2BIG, "%s: program too long (%zu instructions)", what, p->n);
	union bpf_attr load;
	memset(&load, 0, sizeof load);
	load.prog_type = type;
	load.expected_attach_type = expected;
	load.insns = (uint64_t)(uintptr_t)p->insn;
	load.insn_cnt = (uint32_t)p->n;
	load.license = (uint64_t)(uintptr_t)"Apache-2.0";
	snprintf(load.prog_name, sizeof load.prog_name, "%s", name);
	int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
	if (fd >= 0)
		return fd;
	/* load again with the verifier's log: its last line says why */
	int e = errno;
	char log[16384] = "";
	load.log_buf = (uint64_t)(uintptr_t)log;
	load.log_size = sizeof log;
	load.log_level = 1;
	int fd2 = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
	if (fd2 >= 0)
		close(fd2);
	char *last = log, *nl;
	while ((nl = strchr(last, '\n')) && nl[1])
		last = nl + 1;
	last[strcspn(last, "\n")] = '\0';
	return husk_error(err, e, "%s%s%s", what, *last ? ": " : "", last);
}
