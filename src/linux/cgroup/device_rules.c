/* Device access: a node made with mknod inside the container (CAP_MKNOD is in the
 * default set) cannot be opened unless it is one of the standard ones. cgroup v1:
 * the devices controller's deny/allow lists. cgroup v2 has no such files: a small
 * eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, attached to the container's
 * cgroup, answers each access (as crun and runc do). */
#include "linux/cgroup/device_rules.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/ebpf.h"
#include "util/cleanup.h"
#include "util/explain.h"

#define ANY (-1)
#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

/* docker's list: mknod of anything (opening it is what is refused), and the
 * nodes husk puts in /dev, the console and the pseudo-terminals */
static const struct dev_rule {
	char type;  /* 'c', 'b' or 'a' */
	int major, minor;
	int access; /* BPF_DEVCG_ACC_* */
	const char *v1;
} rules[] = {
	{ 'c', ANY, ANY, BPF_DEVCG_ACC_MKNOD, "c *:* m" },
	{ 'b', ANY, ANY, BPF_DEVCG_ACC_MKNOD, "b *:* m" },
	{ 'c', 1, 3, ACC_ALL, "c 1:3 rwm" },   /* null */
	{ 'c', 1, 5, ACC_ALL, "c 1:5 rwm" },   /* zero */
	{ 'c', 1, 7, ACC_ALL, "c 1:7 rwm" },   /* full */
	{ 'c', 1, 8, ACC_ALL, "c 1:8 rwm" },   /* random */
	{ 'c', 1, 9, ACC_ALL, "c 1:9 rwm" },   /* urandom */
	{ 'c', 5, 0, ACC_ALL, "c 5:0 rwm" },   /* tty */
	{ 'c', 5, 1, ACC_ALL, "c 5:1 rwm" },   /* console */
	{ 'c', 5, 2, ACC_ALL, "c 5:2 rwm" },   /* ptmx */
	{ 'c', 136, ANY, ACC_ALL, "c 136:* rwm" }, /* /dev/pts/N */
};

static int v1_setup(struct cgroup *cg, struct husk_err *err)
{
	const char *dir = cgroup_v1_path(cg, "devices");
	if (!dir)
		return husk_error(err, 0, "device rules: the devices controller is not mounted "
				  "(use --privileged to run without device rules)");
	EXPLAIN_START(t);
	char path[300];
	snprintf(path, sizeof path, "%s/devices.deny", dir);
	cleanup_close int deny = open(path, O_WRONLY | O_CLOEXEC);
	if (deny < 0 || write(deny, "a", 1) != 1)
		return husk_error(err, errno, "device rules: writing 'a' to %s", path);
	snprintf(path, sizeof path, "%s/devices.allow", dir);
	cleanup_close int allow = open(path, O_WRONLY | O_CLOEXEC);
	if (allow < 0)
		return husk_error(err, errno, "device rules: %s", path);
	/* the file takes one rule per write */
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (write(allow, rules[i].v1, strlen(rules[i].v1)) < 0)
			return husk_error(err, errno, "device rules: writing '%s' to %s", rules[i].v1, path);
	EXPLAIN(t, "echo a > %s/devices.deny; echo 'c 1:3 rwm' > .../devices.allow  "
		   "# and zero full random urandom tty console ptmx pts/*, mknod of any", dir);
	return 0;
}

/* r2 = device type, r3 = access, r4 = major, r5 = minor; each rule is a block that
 * returns 1 (allow) if everything matches, or jumps to the next block; 0 at the end */
static void build_program(struct ebpf_prog *p)
{
	ebpf_block(p, 6);
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_2, BPF_REG_1, 0));
	ebpf_emit(p, EBPF_ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff));
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_3, BPF_REG_1, 0));
	ebpf_emit(p, EBPF_ALU32_IMM(BPF_RSH, BPF_REG_3, 16));
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_4, BPF_REG_1, 4));
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_5, BPF_REG_1, 8));
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct dev_rule *r = &rules[i];
		bool typed = r->type != 'a', acc = r->access != ACC_ALL;
		bool maj = r->major != ANY, min = r->minor != ANY;
		ebpf_block(p, typed + 3 * acc + maj + min + 2);
		if (typed)
			ebpf_emit(p, EBPF_JNE_IMM(BPF_REG_2, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0));
		if (acc) {
			/* an access bit outside the rule's: no match */
			ebpf_emit(p, EBPF_MOV64_REG(BPF_REG_1, BPF_REG_3));
			ebpf_emit(p, EBPF_ALU32_IMM(BPF_AND, BPF_REG_1, ~r->access & ACC_ALL));
			ebpf_emit(p, EBPF_JNE_IMM(BPF_REG_1, 0, 0));
		}
		if (maj)
			ebpf_emit(p, EBPF_JNE_IMM(BPF_REG_4, r->major, 0));
		if (min)
			ebpf_emit(p, EBPF_JNE_IMM(BPF_REG_5, r->minor, 0));
		ebpf_emit(p, EBPF_MOV64_IMM(BPF_REG_0, 1));
		ebpf_emit(p, EBPF_EXIT());
	}
	ebpf_block(p, 2);
	ebpf_emit(p, EBPF_MOV64_IMM(BPF_REG_0, 0));
	ebpf_emit(p, EBPF_EXIT());
}

static int v2_setup(struct cgroup *cg, struct husk_err *err)
{
	if (cg->v2_fd < 0)
		return husk_error(err, EBADF, "device rules: no cgroup v2 directory");
	EXPLAIN_START(t);
	struct bpf_insn insn[8 + ARRAY_SIZE(rules) * 9];
	struct ebpf_prog prog = { .insn = insn, .cap = ARRAY_SIZE(insn) };
	build_program(&prog);
	cleanup_close int fd = ebpf_load(BPF_PROG_TYPE_CGROUP_DEVICE, 0, "husk_devices", &prog,
					 "device rules: loading the eBPF device program", err);
	if (fd < 0)
		return -1;
	union bpf_attr attach = { 0 };
	attach.target_fd = (uint32_t)cg->v2_fd;
	attach.attach_bpf_fd = (uint32_t)fd;
	attach.attach_type = BPF_CGROUP_DEVICE;
	attach.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach) < 0)
		return husk_error(err, errno, "device rules: attaching the eBPF program to %s",
				  cg->v2_path);
	/* the cgroup holds the program now; it goes with the cgroup's rmdir */
	EXPLAIN(t, "bpftool cgroup attach %s device <%zu-insn program: null zero full random "
		   "urandom tty console ptmx pts/*, mknod of any> multi", cg->v2_path, prog.n);
	return 0;
}

int devices_setup(struct cgroup *cg, const struct husk_spec *s, struct husk_err *err)
{
	if (s->sec.privileged)
		return 0;
	return cg->mode == CGROUP_V2 ? v2_setup(cg, err) : v1_setup(cg, err);
}
