/* probe: a small static program the security tests put into a container's rootfs.
 *
 *   probe syscalls     tries each syscall the default profile blocks, each in a child
 *                      process of its own, and prints "NAME: ERRNO" (or "NAME: ok").
 *                      The arguments are harmless: where the kernel would act if the
 *                      call went through, they are invalid (a bad reboot magic, a
 *                      nonexistent path, an out-of-range clock value), so running the
 *                      probe unconfined or privileged changes nothing either.
 *   probe breakout     the classic chroot escape: mkdir, chroot into it, chdir("..")
 *                      64 times, chroot("."), then prints the entries of "/".
 *   probe NAME         just the one syscall NAME.
 *
 * Built by tests/integration/security.bats with gcc -static. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

#define NONE "/husk-probe-nonexistent"

/* each returns the raw syscall result; a forked child runs it */
static long t_keyctl(void) { return syscall(SYS_keyctl, 0x7fff, 0, 0, 0, 0); }
static long t_add_key(void) { return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0); }
static long t_request_key(void) { return syscall(SYS_request_key, NULL, NULL, NULL, 0); }
static long t_userfaultfd(void) { return syscall(SYS_userfaultfd, ~0); }
static long t_kexec_load(void) { return syscall(SYS_kexec_load, 0, 0, NULL, ~0UL); }
static long t_kexec_file_load(void) { return syscall(SYS_kexec_file_load, -1, -1, 0, NULL, ~0UL); }
static long t_bpf(void) { return syscall(SYS_bpf, -1, NULL, 0); }
static long t_perf_event_open(void) { return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0); }
static long t_io_uring_setup(void) { return syscall(SYS_io_uring_setup, 0, NULL); }
static long t_io_uring_enter(void) { return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0); }
static long t_io_uring_register(void) { return syscall(SYS_io_uring_register, -1, 0, NULL, 0); }
static long t_open_by_handle_at(void) { return syscall(SYS_open_by_handle_at, -1, NULL, 0); }
static long t_init_module(void) { return syscall(SYS_init_module, NULL, 0, ""); }
static long t_finit_module(void) { return syscall(SYS_finit_module, -1, "", 0); }
static long t_delete_module(void) { return syscall(SYS_delete_module, "husk_probe_none", O_NONBLOCK); }
static long t_swapon(void) { return swapon(NONE, 0); }
static long t_swapoff(void) { return swapoff(NONE); }
static long t_reboot(void) { return syscall(SYS_reboot, 0, 0, 0, NULL); } /* bad magic */
static long t_acct(void) { return syscall(SYS_acct, NONE); }
static long t_settimeofday(void) { return syscall(SYS_settimeofday, NULL, NULL); } /* no-op */
static long t_clock_settime(void)
{
	struct timespec bad = { .tv_sec = 0, .tv_nsec = -1 };
	return syscall(SYS_clock_settime, CLOCK_REALTIME, &bad);
}
static long t_mount(void) { return mount("none", NONE, "tmpfs", 0, NULL); }
static long t_umount2(void) { return umount2(NONE, 0); }
static long t_pivot_root(void) { return syscall(SYS_pivot_root, NONE, NONE); }
static long t_fsopen(void) { return syscall(SYS_fsopen, "husk-probe-nofs", 0); }
static long t_open_tree(void) { return syscall(SYS_open_tree, AT_FDCWD, NONE, 0); }
static long t_move_mount(void) { return syscall(SYS_move_mount, -1, NONE, -1, NONE, 0); }
static long t_unshare_user(void) { return unshare(CLONE_NEWUSER); }
static long t_unshare_mount(void) { return unshare(CLONE_NEWNS); }
static long t_unshare_net(void) { return unshare(CLONE_NEWNET); }
static long t_setns(void) { return setns(-1, 0); }
static long t_syslog(void) { return syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0); }
static long t_quotactl(void) { return syscall(SYS_quotactl, 0, NONE, 0, NULL); }
static long t_personality(void) { return personality(READ_IMPLIES_EXEC); }
static long t_socket_vsock(void) { return socket(AF_VSOCK, SOCK_STREAM, 0); }
#ifdef SYS_iopl
static long t_iopl(void) { return syscall(SYS_iopl, 0); }
#endif

/* clone with a namespace flag: the new process (if any) exits at once */
static long t_clone_newuser(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid < 0 ? -1 : 0;
}

static long t_clone3(void)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid < 0 ? -1 : 0;
}

static const struct {
	const char *name;
	long (*fn)(void);
} tests[] = {
	{ "keyctl", t_keyctl },
	{ "add_key", t_add_key },
	{ "request_key", t_request_key },
	{ "userfaultfd", t_userfaultfd },
	{ "kexec_load", t_kexec_load },
	{ "kexec_file_load", t_kexec_file_load },
	{ "bpf", t_bpf },
	{ "perf_event_open", t_perf_event_open },
	{ "io_uring_setup", t_io_uring_setup },
	{ "io_uring_enter", t_io_uring_enter },
	{ "io_uring_register", t_io_uring_register },
	{ "open_by_handle_at", t_open_by_handle_at },
	{ "init_module", t_init_module },
	{ "finit_module", t_finit_module },
	{ "delete_module", t_delete_module },
	{ "swapon", t_swapon },
	{ "swapoff", t_swapoff },
	{ "reboot", t_reboot },
	{ "acct", t_acct },
	{ "settimeofday", t_settimeofday },
	{ "clock_settime", t_clock_settime },
	{ "mount", t_mount },
	{ "umount2", t_umount2 },
	{ "pivot_root", t_pivot_root },
	{ "fsopen", t_fsopen },
	{ "open_tree", t_open_tree },
	{ "move_mount", t_move_mount },
	{ "unshare(CLONE_NEWUSER)", t_unshare_user },
	{ "unshare(CLONE_NEWNS)", t_unshare_mount },
	{ "unshare(CLONE_NEWNET)", t_unshare_net },
	{ "setns", t_setns },
	{ "clone(CLONE_NEWUSER)", t_clone_newuser },
	{ "clone3", t_clone3 },
	{ "syslog", t_syslog },
	{ "quotactl", t_quotactl },
	{ "personality(READ_IMPLIES_EXEC)", t_personality },
	{ "socket(AF_VSOCK)", t_socket_vsock },
#ifdef SYS_iopl
	{ "iopl", t_iopl },
#endif
};

/* runs fn in a child: the probe itself stays as it was (no new namespace, ...) */
static void try(const char *name, long (*fn)(void))
{
	int pipefd[2];
	if (pipe(pipefd) < 0) {
		perror("pipe");
		exit(2);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		close(pipefd[0]);
		errno = 0;
		int e = fn() < 0 ? errno : 0;
		(void)!write(pipefd[1], &e, sizeof e);
		_exit(0);
	}
	close(pipefd[1]);
	int e = -1;
	ssize_t n = read(pipefd[0], &e, sizeof e);
	close(pipefd[0]);
	int status;
	waitpid(pid, &status, 0);
	if (n != (ssize_t)sizeof e)
		printf("%s: killed by signal %d\n", name, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	else if (e == 0)
		printf("%s: ok\n", name);
	else
		printf("%s: %s\n", name, strerrorname_np(e) ? strerrorname_np(e) : "?");
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int breakout(void)
{
	if (mkdir("/.husk-probe-breakout", 0700) < 0 && errno != EEXIST)
		printf("mkdir: %s\n", strerrorname_np(errno));
	if (chroot("/.husk-probe-breakout") < 0)
		printf("chroot: %s\n", strerrorname_np(errno));
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			break;
	if (chroot(".") < 0)
		printf("chroot(\".\"): %s\n", strerrorname_np(errno));
	rmdir("/.husk-probe-breakout"); /* back at the container's root (it is to be hoped) */
	DIR *d = opendir("/");
	if (!d) {
		printf("opendir /: %s\n", strerrorname_np(errno));
		return 1;
	}
	char *names[512];
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) && n < 512;)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	printf("/:");
	for (size_t i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "breakout"))
		return breakout();
	if (argc == 2 && strcmp(argv[1], "syscalls")) {
		for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
			if (!strcmp(tests[i].name, argv[1])) {
				try(tests[i].name, tests[i].fn);
				return 0;
			}
		fprintf(stderr, "probe: unknown test '%s'\n", argv[1]);
		return 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: probe syscalls | breakout | NAME\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		try(tests[i].name, tests[i].fn);
	return 0;
}
