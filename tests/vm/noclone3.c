/* noclone3 [--allow] CMD [ARG...]: run CMD with clone3(2) failing with ENOSYS, as on
 * a kernel older than 5.3, so husk falls back from clone3(CLONE_INTO_CGROUP) to
 * clone(2) + writing cgroup.procs. With --allow the same-sized seccomp filter lets
 * clone3 through, so both variants of a benchmark pay for one filter alike. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

int main(int argc, char **argv)
{
	int allow = argc > 1 && !strcmp(argv[1], "--allow");
	char **cmd = argv + 1 + allow;
	if (!*cmd) {
		fprintf(stderr, "usage: noclone3 [--allow] CMD [ARG...]\n");
		return 2;
	}
	/* --allow matches a syscall number that does not exist instead of clone3 */
	unsigned int nr = allow ? 0x7ffffu : __NR_clone3;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
	/* root (CAP_SYS_ADMIN) may install a filter without no_new_privs */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("noclone3: seccomp");
		return 125;
	}
	execvp(cmd[0], cmd);
	perror(cmd[0]);
	return 127;
}
