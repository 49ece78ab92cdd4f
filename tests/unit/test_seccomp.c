/* The default seccomp profile is built two ways: by hand (seccomp_bpf.c, what husk
 * loads) and by libseccomp from the same tables (seccomp_default.c, the reference).
 * A small classic-BPF interpreter runs both over every syscall number of every
 * architecture in the filter, with the argument values the conditional rules look
 * at, and the two must decide the same. Also: the JSON profile reader's errors. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/security/seccomp/profile.h"

#include "check.h"

/* classic BPF as seccomp accepts it (loads from seccomp_data, ALU, jumps, ret) */
static uint32_t run(const struct sock_fprog *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	for (size_t pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->filter[pc];
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;
		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (BPF_MODE(f->code) == BPF_ABS)
				memcpy(&a, (const char *)d + f->k, 4);
			else if (BPF_MODE(f->code) == BPF_MEM)
				a = mem[f->k];
			else if (BPF_MODE(f->code) == BPF_IMM)
				a = f->k;
			else
				return 0xdeadbeef;
			break;
		case BPF_LDX:
			x = BPF_MODE(f->code) == BPF_MEM ? mem[f->k] : f->k;
			break;
		case BPF_ST: mem[f->k] = a; break;
		case BPF_STX: mem[f->k] = x; break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_RSH: a >>= src; break;
			case BPF_LSH: a <<= src; break;
			default: return 0xdeadbeef;
			}
			break;
		case BPF_JMP: {
			bool t;
			switch (BPF_OP(f->code)) {
			case BPF_JA: pc += f->k; continue;
			case BPF_JEQ: t = a == src; break;
			case BPF_JGT: t = a > src; break;
			case BPF_JGE: t = a >= src; break;
			case BPF_JSET: t = (a & src) != 0; break;
			default: return 0xdeadbeef;
			}
			pc += t ? f->jt : f->jf;
			break;
		}
		case BPF_RET: return f->k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default: return 0xdeadbeef;
		}
	}
	return 0xdeadbeef; /* fell off the end */
}

static int reference_libseccomp(uint64_t caps, struct sock_fprog *out)
{
	struct husk_err err = { 0 };
	scmp_filter_ctx ctx;
	if (seccomp_default_profile(caps, &ctx, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	int fd = memfd_create("ref", 0);
	struct stat st;
	if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0 || fstat(fd, &st) < 0)
		return -1;
	out->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	out->filter = malloc((size_t)st.st_size);
	if (pread(fd, out->filter, (size_t)st.st_size, 0) != st.st_size)
		return -1;
	close(fd);
	seccomp_release(ctx);
	return 0;
}

/* The same profile written in docker's JSON format, compiled by husk's profile reader:
 * the tables as names, the conditional rules with args, includes and excludes. */
struct buf {
	char s[32768];
	size_t n;
};

static void add_name(const char *name, void *arg)
{
	struct buf *b = arg;
	b->n += (size_t)snprintf(b->s + b->n, sizeof b->s - b->n, "\"%s\", ", name);
}

static int reference_json(uint64_t caps, struct sock_fprog *out)
{
	static struct buf b;
	b.n = (size_t)snprintf(b.s, sizeof b.s,
		"{ \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,\n"
		"  \"archMap\": [ { \"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [ \"SCMP_ARCH_X86\" ] },\n"
		"               { \"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [ \"SCMP_ARCH_ARM\" ] } ],\n"
		"  \"syscalls\": [ { \"names\": [ ");
	seccomp_default_names(caps, add_name, &b);
	b.n += (size_t)snprintf(b.s + b.n, sizeof b.s - b.n,
		"\"no_such_syscall\" ], \"action\": \"SCMP_ACT_ALLOW\" },\n"
		"  { \"names\": [ \"clone\" ], \"action\": \"SCMP_ACT_ALLOW\",\n"
		"    \"args\": [ { \"index\": 0, \"value\": 2114060288, \"op\": \"SCMP_CMP_MASKED_EQ\" } ],\n"
		"    \"excludes\": { \"caps\": [ \"CAP_SYS_ADMIN\" ], \"arches\": [ \"s390\", \"s390x\" ] } },\n"
		"  { \"names\": [ \"clone3\" ], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38,\n"
		"    \"excludes\": { \"caps\": [ \"CAP_SYS_ADMIN\" ] } },\n"
		"  { \"names\": [ \"personality\" ], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [\n"
		"    { \"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\" },\n"
		"    { \"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\" },\n"
		"    { \"index\": 0, \"value\": 131072, \"op\": \"SCMP_CMP_EQ\" },\n"
		"    { \"index\": 0, \"value\": 131080, \"op\": \"SCMP_CMP_EQ\" },\n"
		"    { \"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\" } ] },\n"
		"  { \"names\": [ \"socket\" ], \"action\": \"SCMP_ACT_ALLOW\",\n"
		"    \"args\": [ { \"index\": 0, \"value\": 40, \"op\": \"SCMP_CMP_NE\" } ] },\n"
		"  { \"names\": [ \"keyctl\" ], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": { \"arches\": [ \"s390x\" ] } },\n"
		"  { \"names\": [ \"kexec_load\" ], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": { \"minKernel\": \"99.0\" } },\n"
		"  { \"names\": [ \"add_key\" ], \"action\": \"SCMP_ACT_ALLOW\",\n"
		"    \"includes\": { \"caps\": [ \"CAP_SYS_ADMIN\", \"CAP_SYS_MODULE\", \"CAP_MAC_ADMIN\" ] },\n"
		"    \"excludes\": { \"caps\": [ \"CAP_SYS_ADMIN\" ] } }\n"
		"] }\n");
	char path[] = "/tmp/husk-test-profile-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, b.s, b.n) != (ssize_t)b.n)
		return -1;
	close(fd);
	struct husk_err err = { 0 };
	unsigned flags;
	int r = seccomp_compile(path, caps, out, &flags, &err);
	unlink(path);
	if (r)
		fprintf(stderr, "%s\n", err.msg);
	return r;
}

/* arguments worth trying for each syscall: zero, and the values the rules test */
static const uint64_t probes[] = {
	0, 1, 2, 8, 10, 16, 40, 0x20000, 0x20008, 0xffffffff, 0x400000,
	CLONE_NEWUSER | SIGCHLD, CLONE_NEWNS, CLONE_NEWNET | CLONE_NEWPID,
	CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
		CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
};

static void compare(uint64_t caps, const char *what, int (*reference)(uint64_t, struct sock_fprog *))
{
	struct husk_err err = { 0 };
	struct sock_fprog mine = { 0 }, ref = { 0 };
	CHECKF(seccomp_default_bpf(caps, &mine, &err) == 0, "%s: %s", what, err.msg);
	int before = failed;
	CHECKF(reference(caps, &ref) == 0, "%s: reference", what);
	if (failed > before)
		return;
	struct { uint32_t token; uint32_t base; const char *name; } arches[] = {
		{ AUDIT_ARCH_X86_64, 0, "x86_64" },
		{ AUDIT_ARCH_I386, 0, "i386" },
		{ AUDIT_ARCH_X86_64, 0x40000000, "x32" },
	};
	int diffs = 0;
	for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++) {
		/* above the highest number libseccomp allows, husk answers ENOSYS (a newer
		 * syscall: libc falls back), libseccomp EPERM */
		uint32_t newest = 0;
		for (uint32_t nr = 0; nr < 1024; nr++) {
			struct seccomp_data d = { .nr = (int)(arches[a].base + nr), .arch = arches[a].token };
			if (run(&ref, &d) == SECCOMP_RET_ALLOW)
				newest = nr;
		}
		for (uint32_t nr = 0; nr < 1024; nr++)
			for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
				struct seccomp_data d = { .nr = (int)(arches[a].base + nr),
							  .arch = arches[a].token };
				for (int k = 0; k < 6; k++)
					d.args[k] = probes[i];
				uint32_t m = run(&mine, &d), r = run(&ref, &d);
				/* libseccomp kills the thread, husk the process */
				if (r == SECCOMP_RET_KILL_THREAD)
					r = SECCOMP_RET_KILL_PROCESS;
				if (nr > newest && r == (SECCOMP_RET_ERRNO | EPERM) && newest)
					r = SECCOMP_RET_ERRNO | ENOSYS;
				if (m != r && diffs++ < 10)
					fprintf(stderr, "%s: %s nr %u arg %#llx: husk %#x, libseccomp %#x\n",
						what, arches[a].name, nr, (unsigned long long)probes[i], m, r);
			}
	}
	CHECKF(diffs == 0, "%s: %d decisions differ", what, diffs);
	/* a foreign architecture is killed by both */
	struct seccomp_data d = { .nr = 0, .arch = AUDIT_ARCH_AARCH64 };
	CHECKF(run(&mine, &d) == SECCOMP_RET_KILL_PROCESS, "%s: foreign arch", what);
	printf("# %s: husk %u instructions, reference %u\n", what, mine.len, ref.len);
	free(mine.filter);
	free(ref.filter);
}

static const char *profile_error(const char *json)
{
	static struct husk_err err;
	char path[] = "/tmp/husk-test-profile-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, json, strlen(json)) != (ssize_t)strlen(json))
		return "cannot write the test profile";
	close(fd);
	memset(&err, 0, sizeof err);
	struct sock_fprog p = { 0 };
	unsigned flags;
	int r = seccomp_compile(path, 0xa80425fb, &p, &flags, &err);
	unlink(path);
	free(p.filter);
	return r == 0 ? "" : strstr(err.msg, "': ") ? strstr(err.msg, "': ") + 3 : err.msg;
}

static void json_errors(void)
{
	CHECKF(!strcmp(profile_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
				    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}"), ""),
	      "a good profile: %s", profile_error("{}"));
	CHECKF(!strncmp(profile_error("{\n\"defaultAction\": \"SCMP_ACT_ERRNO\",\n  nope\n}"), "line 3:", 7),
	      "syntax error: %s", profile_error("{\n\"defaultAction\": \"SCMP_ACT_ERRNO\",\n  nope\n}"));
	CHECKF(!strcmp(profile_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\""), "line 1: unexpected end of input"),
	      "truncated");
	CHECKF(!strcmp(profile_error("{}"), "defaultAction: missing"), "no defaultAction");
	CHECKF(!strcmp(profile_error("{\"defaultAction\": \"SCMP_ACT_NOPE\"}"),
		      "defaultAction: unknown action 'SCMP_ACT_NOPE'"), "bad action");
	CHECKF(!strcmp(profile_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
				    "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
				    "[{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_FOO\"}]}]}"),
		      "syscalls[0].args[0]: op: unknown operator 'SCMP_CMP_FOO'"), "bad op");
	CHECKF(!strcmp(profile_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}"),
		      "syscalls: expected an array"), "syscalls not an array");
	CHECKF(!strcmp(profile_error("[]"), "(top level): expected a JSON object"), "array profile");
}

int main(void)
{
	const uint64_t dflt = 0xa80425fb;
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		const uint64_t admin = dflt | (UINT64_C(1) << CAP_SYS_ADMIN);
		const uint64_t all = (UINT64_C(1) << (CAP_LAST_CAP + 1)) - 1;
		compare(dflt, "default capabilities", reference_libseccomp);
		compare(admin, "with CAP_SYS_ADMIN", reference_libseccomp);
		compare(all, "every capability", reference_libseccomp);
		compare(0, "no capability", reference_libseccomp);
		/* the JSON reader against the same profile in docker's format */
		compare(dflt, "JSON, default capabilities", reference_json);
		compare(admin, "JSON, with CAP_SYS_ADMIN", reference_json);
		compare(all, "JSON, every capability", reference_json);
	} else {
		printf("# not x86_64: the comparison with libseccomp is skipped\n");
	}
	json_errors();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
