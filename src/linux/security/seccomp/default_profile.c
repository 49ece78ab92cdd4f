/* The default seccomp profile: moby's allowlist (profiles/seccomp/default.json),
 * everything else fails with EPERM. Stricter than that file where it costs nothing:
 * io_uring_* stay out (as in later moby releases and ChromeOS/Android), and so does
 * the x32 ABI. Syscalls that need a capability are allowed only when the container
 * holds it, as docker does.
 *
 * This file holds the profile as tables, and builds it with libseccomp: that filter
 * is the reference tests/unit/test_seccomp.c checks seccomp_bpf.c's against; husk
 * itself loads seccomp_bpf.c's, built in microseconds instead of milliseconds. */
#include <errno.h>
#include <seccomp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "linux/security/seccomp/profile.h"
#include "util/cleanup.h"

/* allowed for every container (names unknown on this architecture are skipped) */
static const char *const allowed[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
	"chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
	"clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
	"clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
	"copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
	"epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
	"faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
	"fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl",
	"fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
	"fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync",
	"ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait",
	"futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64",
	"getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
	"getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
	"getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
	"getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
	"get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
	"inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
	"ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
	"ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule",
	"landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr",
	"link", "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr",
	"lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
	"memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
	"mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
	"mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
	"mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
	"msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
	"newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
	"pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect",
	"poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
	"process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2",
	"read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
	"recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
	"renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
	"rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
	"sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
	"sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
	"sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
	"sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
	"semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
	"setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
	"setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
	"setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
	"setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area",
	"set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt",
	"shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
	"sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
	"statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
	"sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
	"timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
	"timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
	"timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask",
	"uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
	"vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
	/* ptrace is confined to the container's PID namespace since Linux 4.8 */
	"process_vm_readv", "process_vm_writev", "ptrace",
	/* architecture-specific ones (skipped where they do not exist) */
	"arch_prctl", "modify_ldt", "sync_file_range2", "swapcontext", "arm_fadvise64_64",
	"arm_sync_file_range", "breakpoint", "cacheflush", "set_tls", "s390_pci_mmio_read",
	"s390_pci_mmio_write", "s390_runtime_instr", "riscv_flush_icache",
};

/* allowed only with a capability */
static const struct {
	int cap;
	const char *names[24];
} with_cap[] = {
	{ CAP_SYS_ADMIN, { "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount",
			   "fsopen", "fspick", "lookup_dcookie", "mount", "mount_setattr",
			   "move_mount", "open_tree", "perf_event_open", "quotactl",
			   "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog",
			   "umount", "umount2", "unshare", "pivot_root" } },
	{ CAP_DAC_READ_SEARCH, { "open_by_handle_at" } },
	{ CAP_SYS_BOOT, { "reboot" } },
	{ CAP_SYS_CHROOT, { "chroot" } },
	{ CAP_SYS_MODULE, { "delete_module", "init_module", "finit_module" } },
	{ CAP_SYS_PACCT, { "acct" } },
	{ CAP_SYS_PTRACE, { "kcmp", "pidfd_getfd", "process_madvise" } },
	{ CAP_SYS_RAWIO, { "iopl", "ioperm" } },
	{ CAP_SYS_TIME, { "settimeofday", "stime", "clock_settime", "clock_settime64" } },
	{ CAP_SYS_TTY_CONFIG, { "vhangup" } },
	{ CAP_SYS_NICE, { "get_mempolicy", "mbind", "set_mempolicy",
			  "set_mempolicy_home_node" } },
	{ CAP_SYSLOG, { "syslog" } },
	{ CAP_BPF, { "bpf" } },
	{ CAP_PERFMON, { "perf_event_open" } },
};

/* personality(2) values docker allows: PER_LINUX, PER_LINUX32, UNAME26,
 * UNAME26|PER_LINUX32, and the query 0xffffffff */
static const uint64_t personalities[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

#define CLONE_NS_FLAGS \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
	 CLONE_NEWPID | CLONE_NEWNET)

size_t seccomp_default_arches(uint32_t *out, size_t max)
{
	uint32_t subs[4];
	size_t n = seccomp_sub_arches(seccomp_arch_native(), subs, ARRAY_SIZE(subs)), k = 0;
	if (max)
		out[k++] = seccomp_arch_native();
	for (size_t i = 0; i < n && k < max; i++)
		if (subs[i] != SCMP_ARCH_X32)
			out[k++] = subs[i];
	return k;
}

void seccomp_default_names(uint64_t caps, void (*fn)(const char *name, void *arg), void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		fn(allowed[i], arg);
	for (size_t i = 0; i < ARRAY_SIZE(with_cap); i++)
		for (size_t j = 0; j < ARRAY_SIZE(with_cap[i].names) && with_cap[i].names[j]; j++)
			if (caps & (UINT64_C(1) << with_cap[i].cap))
				fn(with_cap[i].names[j], arg);
}

static int allow(scmp_filter_ctx ctx, const char *name, struct husk_err *err)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* libseccomp does not know it */
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	/* -EDOM/-EINVAL: a syscall of another architecture only */
	if (r < 0 && r != -EDOM && r != -EINVAL && r != -EEXIST)
		return husk_error(err, -r, "seccomp: rule for %s", name);
	return 0;
}

static int add_conditional(scmp_filter_ctx ctx, uint64_t caps, struct husk_err *err)
{
	int r = 0;
	unsigned clone_arg = 0;
#ifdef SCMP_ARCH_S390X
	if (seccomp_arch_native() == SCMP_ARCH_S390X || seccomp_arch_native() == SCMP_ARCH_S390)
		clone_arg = 1; /* s390 swaps clone's first two arguments */
#endif
	bool admin = caps & (UINT64_C(1) << CAP_SYS_ADMIN);
	if (!admin) {
		/* threads and fork, but no new namespaces; clone3 hides its flags in
		 * memory BPF cannot read: ENOSYS makes libc fall back to clone */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_CMP(clone_arg, SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0));
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	}
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(personalities); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1,
				     SCMP_A0(SCMP_CMP_EQ, personalities[i]));
	/* sockets of every family but AF_VSOCK (a way out to the hypervisor) */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_NE, AF_VSOCK));
	if (r < 0)
		return husk_error(err, -r, "seccomp: conditional rules");
	return 0;
}

int seccomp_default_profile(uint64_t caps, scmp_filter_ctx *out, struct husk_err *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return husk_error(err, ENOMEM, "seccomp_init");
	uint32_t arches[4];
	size_t na = seccomp_default_arches(arches, ARRAY_SIZE(arches));
	for (size_t i = 1; i < na; i++) {
		int r = seccomp_arch_add(ctx, arches[i]);
		if (r < 0) {
			seccomp_release(ctx);
			return husk_error(err, -r, "seccomp: adding architectures");
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (allow(ctx, allowed[i], err))
			goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(with_cap); i++) {
		if (!(caps & (UINT64_C(1) << with_cap[i].cap)))
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(with_cap[i].names) && with_cap[i].names[j]; j++)
			if (allow(ctx, with_cap[i].names[j], err))
				goto fail;
	}
	if (add_conditional(ctx, caps, err))
		goto fail;
	*out = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return -1;
}
