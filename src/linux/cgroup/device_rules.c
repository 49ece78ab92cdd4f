/* Device access: a node made with mknod inside the container (CAP_MKNOD is in the
 * default set) cannot be opened unless it is one of the standard ones. cgroup v1:
 * the devices controller's deny/allow lists. cgroup v2 has no such files: a small
 * eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, attached to the container's
 * cgroup, answers each access (as crun and runc do). */
#include "linux/cgroup/device_rules.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
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
struct dev_rule {
	char type;  /* 'c', 'b' or 'a' */
	int major, minor;
	int access; /* BPF_DEVCG_ACC_* */
	const char *v1;
	bool deny;  /* OCI rules only: a deny (husk's own list allows) */
};

static const struct dev_rule rules[] = {
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

/* "c 1:3 rwm" */
static void v1_text(const struct dev_rule *r, char *buf, size_t len)
{
	char maj[16] = "*", min[16] = "*", acc[4] = "";
	size_t n = 0;
	if (r->major != ANY)
		snprintf(maj, sizeof maj, "%d", r->major);
	if (r->minor != ANY)
		snprintf(min, sizeof min, "%d", r->minor);
	if (r->access & BPF_DEVCG_ACC_READ) acc[n++] = 'r';
	if (r->access & BPF_DEVCG_ACC_WRITE) acc[n++] = 'w';
	if (r->access & BPF_DEVCG_ACC_MKNOD) acc[n++] = 'm';
	acc[n] = '\0';
	if (r->type == 'a')
		snprintf(buf, len, "a");
	else
		snprintf(buf, len, "%c %s:%s %s", r->type, maj, min, acc);
}

/* Each rule, in order, to devices.allow or devices.deny (one rule per write);
 * deny_all first for husk's own list. */
static int v1_setup(struct cgroup *cg, const struct dev_rule *list, size_t n, bool deny_all,
		    struct husk_err *err)
{
	const char *dir = cgroup_v1_path(cg, "devices");
	if (!dir)
		return husk_error(err, 0, "device rules: the devices controller is not mounted "
				  "(use --privileged to run without device rules)");
	EXPLAIN_START(t);
	char path[PATH_MAX], text[64];
	snprintf(path, sizeof path, "%s/devices.deny", dir);
	cleanup_close int deny = open(path, O_WRONLY | O_CLOEXEC);
	if (deny < 0 || (deny_all && write(deny, "a", 1) != 1))
		return husk_error(err, errno, "device rules: writing 'a' to %s", path);
	snprintf(path, sizeof path, "%s/devices.allow", dir);
	cleanup_close int allow = open(path, O_WRONLY | O_CLOEXEC);
	if (allow < 0)
		return husk_error(err, errno, "device rules: %s", path);
	for (size_t i = 0; i < n; i++) {
		v1_text(&list[i], text, sizeof text);
		if (write(list[i].deny ? deny : allow, text, strlen(text)) < 0)
			return husk_error(err, errno, "device rules: writing '%s' to %s/devices.%s", text,
					  dir, list[i].deny ? "deny" : "allow");
	}
	EXPLAIN(t, "echo a > %s/devices.deny; echo 'c 1:3 rwm' > .../devices.allow  "
		   "# and zero full random urandom tty console ptmx pts/*, mknod of any", dir);
	return 0;
}

/* r2 = device type, r3 = access, r4 = major, r5 = minor; each rule is a block that
 * returns 1 (allow) or 0 (deny) if everything matches, or jumps to the next block;
 * `dflt` at the end. The last rule of the list decides (as the v1 files do), so the
 * blocks go in reverse order. A rule that matches every device (the deny-all that
 * every engine's config starts with) ends the program: the verifier refuses the
 * unreachable blocks after it (EINVAL, "processed 0 insns"). */
static void build_program(struct ebpf_prog *p, const struct dev_rule *list, size_t n, int dflt)
{
	ebpf_block(p, 6);
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_2, BPF_REG_1, 0));
	ebpf_emit(p, EBPF_ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff));
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_3, BPF_REG_1, 0));
	ebpf_emit(p, EBPF_ALU32_IMM(BPF_RSH, BPF_REG_3, 16));
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_4, BPF_REG_1, 4));
	ebpf_emit(p, EBPF_LDX_W(BPF_REG_5, BPF_REG_1, 8));
	for (size_t k = n; k-- > 0;) {
		const struct dev_rule *r = &list[k];
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
		ebpf_emit(p, EBPF_MOV64_IMM(BPF_REG_0, r->deny ? 0 : 1));
		ebpf_emit(p, EBPF_EXIT());
		if (!typed && !acc && !maj && !min)
			return; /* matches all: nothing after it is reached */
	}
	ebpf_block(p, 2);
	ebpf_emit(p, EBPF_MOV64_IMM(BPF_REG_0, dflt));
	ebpf_emit(p, EBPF_EXIT());
}

static int v2_setup(struct cgroup *cg, const struct dev_rule *list, size_t n, int dflt,
		    struct husk_err *err)
{
	if (cg->v2_fd < 0)
		return husk_error(err, EBADF, "device rules: no cgroup v2 directory");
	EXPLAIN_START(t);
	cleanup_free struct bpf_insn *insn = calloc(8 + n * 9, sizeof *insn);
	if (!insn)
		return husk_error(err, ENOMEM, "device rules");
	struct ebpf_prog prog = { .insn = insn, .cap = 8 + n * 9 };
	build_program(&prog, list, n, dflt);
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

static struct dev_rule oci_rule(const struct oci_dev_rule *o)
{
	struct dev_rule r = { .type = o->type, .deny = !o->allow,
			      .major = o->major < 0 ? ANY : (int)o->major,
			      .minor = o->minor < 0 ? ANY : (int)o->minor };
	for (const char *a = o->access; *a; a++)
		r.access |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE
								 : BPF_DEVCG_ACC_MKNOD;
	if (r.type == 'a')
		r.major = r.minor = ANY;
	return r;
}

/* A bundle's linux.resources.devices in its order, then an allow for each node of
 * linux.devices and the standard nodes husk makes (as runc appends them). */
static int oci_setup(struct cgroup *cg, const struct husk_oci *o, struct husk_err *err)
{
	size_t n = o->res.n_devices + o->n_devices + ARRAY_SIZE(rules), k = 0;
	cleanup_free struct dev_rule *list = calloc(n, sizeof *list);
	if (!list)
		return husk_error(err, ENOMEM, "device rules");
	for (size_t i = 0; i < o->res.n_devices; i++)
		list[k++] = oci_rule(&o->res.devices[i]);
	for (size_t i = 0; i < o->n_devices; i++) {
		const struct oci_device *d = &o->devices[i];
		if (d->type == 'p')
			continue;
		list[k++] = (struct dev_rule){ .type = d->type == 'b' ? 'b' : 'c',
					       .major = (int)d->major, .minor = (int)d->minor,
					       .access = ACC_ALL };
	}
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		list[k++] = rules[i];
	/* nothing matched: what the parent cgroup allows, which is everything */
	return cg->mode == CGROUP_V2 ? v2_setup(cg, list, k, 1, err) : v1_setup(cg, list, k, false, err);
}

int devices_setup(struct cgroup *cg, const struct husk_spec *s, struct husk_err *err)
{
	if (s->oci.active)
		return oci_setup(cg, &s->oci, err);
	if (s->sec.privileged)
		return 0;
	return cg->mode == CGROUP_V2 ? v2_setup(cg, rules, ARRAY_SIZE(rules), 0, err)
				     : v1_setup(cg, rules, ARRAY_SIZE(rules), true, err);
}
