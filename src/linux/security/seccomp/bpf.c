/* The default profile as a BPF program written directly, in microseconds: libseccomp
 * needs tens of milliseconds to build and export the same ~350-rule filter for
 * three architectures, over the start-up budget of a container many times.
 * libseccomp still names the syscalls (its tables know every architecture) and
 * still builds custom JSON profiles; tests/unit/test_seccomp.c runs both programs
 * over every syscall number and checks that they decide the same.
 *
 * Layout:
 *   load arch; one "jeq TOKEN / ja SECTION" pair per architecture; else kill
 *   SECTION: load nr; [x86_64: nr >= 0x40000000 (x32) -> kill]
 *            clone, clone3, personality, socket: a small block each (arguments)
 *            allowed numbers as sorted ranges, in groups of 16 ranges whose header
 *            skips the group when nr is above it: about 20 steps for any nr
 *            (a number between two ranges: EPERM)
 *            ret ENOSYS (a number above every allowed one: a newer syscall) */
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "linux/security/seccomp/profile.h"
#include "util/cleanup.h"

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_EPERM (SECCOMP_RET_ERRNO | EPERM)
#define RET_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)
#define RET_KILL SECCOMP_RET_KILL_PROCESS
#define X32_BIT 0x40000000u
#define GROUP 16
#define MAX_NRS 1024

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#else
#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i) + 4))
#endif

struct prog {
	struct sock_filter f[BPF_MAXINSNS];
	size_t n;
	bool full;
};

static size_t put(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (p->n >= BPF_MAXINSNS) {
		p->full = true;
		return p->n;
	}
	p->f[p->n] = (struct sock_filter){ code, jt, jf, k };
	return p->n++;
}

#define LD(p, off) put(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, off)
#define RET(p, v) put(p, BPF_RET | BPF_K, 0, 0, v)
#define JEQ(p, k, t, f) put(p, BPF_JMP | BPF_JEQ | BPF_K, t, f, k)
#define JGT(p, k, t, f) put(p, BPF_JMP | BPF_JGT | BPF_K, t, f, k)
#define JGE(p, k, t, f) put(p, BPF_JMP | BPF_JGE | BPF_K, t, f, k)
#define JSET(p, k, t, f) put(p, BPF_JMP | BPF_JSET | BPF_K, t, f, k)
#define JA(p) put(p, BPF_JMP | BPF_JA, 0, 0, 0)

/* ja at index `at` lands on the next instruction to be written */
static void land(struct prog *p, size_t at)
{
	if (at < p->n)
		p->f[at].k = (uint32_t)(p->n - at - 1);
}

struct arch {
	uint32_t scmp; /* SCMP_ARCH_* (= AUDIT_ARCH_* token) */
};

/* i386 has direct socket and SysV IPC syscalls since Linux 4.3 and 5.1 (libc uses
 * them first); libseccomp resolves their names to the multiplexers (socketcall, ipc)
 * there, but allows these numbers too: so do we */
static const struct { const char *name; int nr; } i386_direct[] = {
	{ "socket", 359 },      { "socketpair", 360 }, { "bind", 361 },      { "connect", 362 },
	{ "listen", 363 },      { "accept4", 364 },    { "getsockopt", 365 }, { "setsockopt", 366 },
	{ "getsockname", 367 }, { "getpeername", 368 }, { "sendto", 369 },   { "sendmsg", 370 },
	{ "recvfrom", 371 },    { "recvmsg", 372 },    { "shutdown", 373 },  { "semget", 393 },
	{ "semctl", 394 },      { "shmget", 395 },     { "shmctl", 396 },    { "shmat", 397 },
	{ "shmdt", 398 },       { "msgget", 399 },     { "msgsnd", 400 },    { "msgrcv", 401 },
	{ "msgctl", 402 },      { "recvmmsg", 337 },   { "sendmmsg", 345 },
};

static int resolve(const struct arch *a, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(a->scmp, name);
	if (nr < 0 && a->scmp == SCMP_ARCH_X86)
		for (size_t i = 0; i < ARRAY_SIZE(i386_direct); i++)
			if (!strcmp(i386_direct[i].name, name))
				return i386_direct[i].nr;
	return nr; /* negative: not a syscall of this architecture */
}

/* allowed numbers of one architecture, as a bitmap (every number is < MAX_NRS) */
struct nr_set {
	const struct arch *arch;
	uint64_t bits[MAX_NRS / 64];
};

static void collect(const char *name, void *arg)
{
	struct nr_set *set = arg;
	int nr = resolve(set->arch, name);
	if (nr >= 0 && nr < MAX_NRS)
		set->bits[nr / 64] |= UINT64_C(1) << (nr % 64);
}

static bool has(const struct nr_set *set, int nr)
{
	return nr >= 0 && nr < MAX_NRS && (set->bits[nr / 64] >> (nr % 64)) & 1;
}

/* if nr == NR: the block of `len` instructions that follows; else skip it */
static bool special(struct prog *p, const struct arch *a, const char *name, size_t len)
{
	int nr = resolve(a, name);
	if (nr < 0)
		return false;
	JEQ(p, (uint32_t)nr, 0, (uint8_t)len);
	return true;
}

/* clone without namespace flags; clone3 -> ENOSYS (its flags live in memory BPF cannot
 * read, and libc falls back to clone); personality: docker's five values; socket:
 * every family but AF_VSOCK. Arguments are compared on their low 32 bits, which is
 * what the kernel reads for these int-sized parameters. */
static void emit_specials(struct prog *p, const struct arch *a, bool admin)
{
	static const uint32_t pers[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };
	const uint32_t ns = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
			    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
	if (!admin) {
		/* s390 passes clone's flags second */
		unsigned flags_arg = a->scmp == SCMP_ARCH_S390X || a->scmp == SCMP_ARCH_S390;
		if (special(p, a, "clone", 4)) {
			LD(p, ARG_LO(flags_arg));
			JSET(p, ns, 1, 0);
			RET(p, RET_ALLOW);
			RET(p, RET_EPERM);
		}
		if (special(p, a, "clone3", 1))
			RET(p, RET_ENOSYS);
	}
	if (special(p, a, "personality", ARRAY_SIZE(pers) + 3)) {
		LD(p, ARG_LO(0));
		for (size_t i = 0; i < ARRAY_SIZE(pers); i++)
			JEQ(p, pers[i], (uint8_t)(ARRAY_SIZE(pers) - i), 0);
		RET(p, RET_EPERM);
		RET(p, RET_ALLOW);
	}
	if (special(p, a, "socket", 4)) {
		LD(p, ARG_LO(0));
		JEQ(p, AF_VSOCK, 0, 1);
		RET(p, RET_EPERM);
		RET(p, RET_ALLOW);
	}
}

/* the allowed numbers as ranges [lo, hi], in groups the header can skip */
static void emit_ranges(struct prog *p, const struct nr_set *set)
{
	uint32_t lo[MAX_NRS / 2 + 1], hi[MAX_NRS / 2 + 1];
	size_t r = 0;
	for (int nr = 0; nr < MAX_NRS; nr++) {
		if (!has(set, nr))
			continue;
		if (r && (uint32_t)nr == hi[r - 1] + 1) {
			hi[r - 1] = (uint32_t)nr;
			continue;
		}
		lo[r] = hi[r] = (uint32_t)nr;
		r++;
	}
	for (size_t g = 0; g < r; g += GROUP) {
		size_t m = r - g < GROUP ? r - g : GROUP;
		/* nr above the group's last range: skip the group */
		JGT(p, hi[g + m - 1], (uint8_t)(2 * m + 2), 0);
		for (size_t i = 0; i < m; i++) {
			/* here nr > hi of the range before: in this range iff lo <= nr <= hi */
			JGT(p, hi[g + i], 1, 0);
			JGE(p, lo[g + i], (uint8_t)(2 * (m - i) - 2), (uint8_t)(2 * (m - i) - 1));
		}
		RET(p, RET_ALLOW);
		RET(p, RET_EPERM);
	}
	/* above every allowed number: a syscall newer than this profile. ENOSYS, as runc
	 * does, so that libc falls back to the older call (fchmodat2 -> fchmodat ...) */
	RET(p, RET_ENOSYS);
}

static const char *const special_names[] = { "clone", "clone3", "personality", "socket" };

static void emit_section(struct prog *p, const struct arch *a, uint64_t caps, bool admin)
{
	struct nr_set set_, *set = &set_;
	memset(set, 0, sizeof *set);
	set->arch = a;
	seccomp_default_names(caps, collect, set);
	/* the numbers handled by a special block leave the plain list (clone and
	 * clone3 have none with CAP_SYS_ADMIN) */
	for (size_t j = admin ? 2 : 0; j < ARRAY_SIZE(special_names); j++) {
		int nr = resolve(a, special_names[j]);
		if (has(set, nr))
			set->bits[nr / 64] &= ~(UINT64_C(1) << (nr % 64));
	}
	emit_specials(p, a, admin);
	emit_ranges(p, set);
}

int seccomp_default_bpf(uint64_t caps, struct sock_fprog *out, struct husk_err *err)
{
	uint32_t arches[4];
	size_t na = seccomp_default_arches(arches, ARRAY_SIZE(arches));
	bool admin = caps & (UINT64_C(1) << CAP_SYS_ADMIN);
	/* static: only the pages written are ever touched (calloc would clear 32 KiB) */
	static struct prog prog;
	struct prog *p = &prog;
	p->n = 0;
	p->full = false;

	size_t jump[ARRAY_SIZE(arches)];
	LD(p, offsetof(struct seccomp_data, arch));
	for (size_t i = 0; i < na; i++) {
		JEQ(p, arches[i], 0, 1);
		jump[i] = JA(p);
	}
	RET(p, RET_KILL);
	for (size_t i = 0; i < na; i++) {
		land(p, jump[i]);
		LD(p, offsetof(struct seccomp_data, nr));
		/* x32 syscalls carry bit 30 under x86_64's token: not an ABI we allow */
		if (arches[i] == SCMP_ARCH_X86_64) {
			JGE(p, X32_BIT, 0, 1);
			RET(p, RET_KILL);
		}
		emit_section(p, &(struct arch){ arches[i] }, caps, admin);
	}
	if (p->full)
		return husk_error(err, E2BIG, "seccomp: the default profile does not fit in %d "
				  "BPF instructions", BPF_MAXINSNS);
	out->filter = malloc(p->n * sizeof *p->f);
	if (!out->filter)
		return husk_error(err, ENOMEM, "seccomp: default profile");
	memcpy(out->filter, p->f, p->n * sizeof *p->f);
	out->len = (unsigned short)p->n;
	return 0;
}
