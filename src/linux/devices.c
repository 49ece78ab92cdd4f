/* Device access: a node made with mknod inside the container (CAP_MKNOD is in the
 * default set) cannot be opened unless it is one of the standard ones. cgroup v1:
 * the devices controller's deny/allow lists. cgroup v2 has no such files: a small
 * eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, attached to the container's
 * cgroup, answers each access (as crun and runc do). */
#include "linux/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

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
	const char *dir = NULL;
	for (int i = 0; i < cg->n_v1 && !dir; i++) {
		char buf[64], *save = NULL;
		snprintf(buf, sizeof buf, "%s", cg->v1[i].controllers);
		for (char *c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save))
			if (!strcmp(c, "devices"))
				dir = cg->v1[i].path;
	}
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

/* eBPF instructions, written out as the kernel's samples do */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Appends one instruction of a block; a jump skips what is left of the block. */
struct block {
	struct bpf_insn *p;
	size_t n;
	int left; /* instructions of the current block not yet written */
};

static void emit(struct block *b, struct bpf_insn i)
{
	b->left--;
	if (BPF_CLASS(i.code) == BPF_JMP && BPF_OP(i.code) == BPF_JNE)
		i.off = (short)b->left;
	b->p[b->n++] = i;
}

/* r2 = device type, r3 = access, r4 = major, r5 = minor; each rule is a block that
 * returns 1 (allow) if everything matches, or jumps to the next block; 0 at the end */
static size_t build_program(struct bpf_insn *p)
{
	struct block b = { .p = p, .left = 6 };
	emit(&b, LDX_W(BPF_REG_2, BPF_REG_1, 0));
	emit(&b, ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff));
	emit(&b, LDX_W(BPF_REG_3, BPF_REG_1, 0));
	emit(&b, ALU32_IMM(BPF_RSH, BPF_REG_3, 16));
	emit(&b, LDX_W(BPF_REG_4, BPF_REG_1, 4));
	emit(&b, LDX_W(BPF_REG_5, BPF_REG_1, 8));
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct dev_rule *r = &rules[i];
		bool typed = r->type != 'a', acc = r->access != ACC_ALL;
		bool maj = r->major != ANY, min = r->minor != ANY;
		b.left = typed + 3 * acc + maj + min + 2;
		if (typed)
			emit(&b, JNE_IMM(BPF_REG_2, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0));
		if (acc) {
			/* an access bit outside the rule's: no match */
			emit(&b, MOV64_REG(BPF_REG_1, BPF_REG_3));
			emit(&b, ALU32_IMM(BPF_AND, BPF_REG_1, ~r->access & ACC_ALL));
			emit(&b, JNE_IMM(BPF_REG_1, 0, 0));
		}
		if (maj)
			emit(&b, JNE_IMM(BPF_REG_4, r->major, 0));
		if (min)
			emit(&b, JNE_IMM(BPF_REG_5, r->minor, 0));
		emit(&b, MOV64_IMM(BPF_REG_0, 1));
		emit(&b, EXIT());
	}
	b.left = 2;
	emit(&b, MOV64_IMM(BPF_REG_0, 0));
	emit(&b, EXIT());
	return b.n;
}

static int v2_setup(struct cgroup *cg, struct husk_err *err)
{
	if (cg->v2_fd < 0)
		return husk_error(err, EBADF, "device rules: no cgroup v2 directory");
	EXPLAIN_START(t);
	struct bpf_insn prog[8 + ARRAY_SIZE(rules) * 9];
	size_t n = build_program(prog);
	union bpf_attr load = { 0 };
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uint64_t)(uintptr_t)prog;
	load.insn_cnt = (uint32_t)n;
	load.license = (uint64_t)(uintptr_t)"Apache-2.0";
	cleanup_close int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
	if (fd < 0) {
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
		return husk_error(err, e, "device rules: loading the eBPF device program%s%s",
				  *last ? ": " : "", last);
	}
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
		   "urandom tty console ptmx pts/*, mknod of any> multi", cg->v2_path, n);
	return 0;
}

int devices_setup(struct cgroup *cg, const struct husk_spec *s, struct husk_err *err)
{
	if (s->sec.privileged)
		return 0;
	return cg->mode == CGROUP_V2 ? v2_setup(cg, err) : v1_setup(cg, err);
}
