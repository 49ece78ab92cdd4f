/* Loading hand-written eBPF programs (see ebpf.h). */
#include "linux/ebpf.h"

#include "util/cleanup.h"

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

void ebpf_jump(struct ebpf_prog *p, struct bpf_insn i, int label)
{
	if (p->n_fix < ARRAY_SIZE(p->fix_at)) {
		p->fix_at[p->n_fix] = p->n;
		p->fix_label[p->n_fix++] = label;
	} else {
		p->cap = 0; /* too many: ebpf_load refuses the program */
	}
	i.off = 0;
	ebpf_emit(p, i);
}

void ebpf_label(struct ebpf_prog *p, int label)
{
	size_t kept = 0;
	for (size_t i = 0; i < p->n_fix; i++) {
		if (p->fix_label[i] != label) {
			p->fix_at[kept] = p->fix_at[i];
			p->fix_label[kept++] = p->fix_label[i];
		} else if (p->fix_at[i] < p->n && p->fix_at[i] < p->cap) {
			p->insn[p->fix_at[i]].off = (short)(p->n - p->fix_at[i] - 1);
		}
	}
	p->n_fix = kept;
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

static long bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof *a);
}

int ebpf_map_create(enum bpf_map_type type, const char *name, uint32_t key_size,
		    uint32_t value_size, uint32_t max_entries)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = type;
	a.key_size = key_size;
	a.value_size = value_size;
	a.max_entries = max_entries;
	if (type == BPF_MAP_TYPE_HASH)
		a.map_flags = BPF_F_NO_PREALLOC;
	snprintf(a.map_name, sizeof a.map_name, "%s", name);
	return (int)bpf(BPF_MAP_CREATE, &a);
}

static int map_elem(int cmd, int map, const void *key, const void *value, uint64_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_fd = (uint32_t)map;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return bpf(cmd, &a) < 0 ? -1 : 0;
}

int ebpf_map_update(int map, const void *key, const void *value, uint64_t flags)
{
	return map_elem(BPF_MAP_UPDATE_ELEM, map, key, value, flags);
}

int ebpf_map_lookup(int map, const void *key, void *value)
{
	return map_elem(BPF_MAP_LOOKUP_ELEM, map, key, value, 0);
}

int ebpf_map_delete(int map, const void *key)
{
	return map_elem(BPF_MAP_DELETE_ELEM, map, key, NULL, 0);
}

int ebpf_map_by_id(uint32_t id)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_id = id;
	return (int)bpf(BPF_MAP_GET_FD_BY_ID, &a);
}

int ebpf_link_by_id(uint32_t id)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.link_id = id;
	return (int)bpf(BPF_LINK_GET_FD_BY_ID, &a);
}

int ebpf_obj_info(int fd, void *info, uint32_t len)
{
	union bpf_attr a;
	memset(info, 0, len);
	memset(&a, 0, sizeof a);
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = len;
	a.info.info = (uint64_t)(uintptr_t)info;
	return bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0 ? -1 : 0;
}
