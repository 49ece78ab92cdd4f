/* forker N: try to create N processes that sleep, and report how many the kernel
 * allowed before fork failed ("forked K of N, then: <error>"). A bounded, countable
 * fork bomb: every child is killed and reaped before forker exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	pid_t *kids = calloc((size_t)n, sizeof *kids);
	int k = 0, err = 0;
	if (!kids)
		return 1;
	for (; k < n; k++) {
		pid_t p = fork();
		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0) {
			for (;;)
				pause();
		}
		kids[k] = p;
	}
	printf("forked %d of %d, then: %s\n", k, n, err ? strerror(err) : "no error");
	fflush(stdout);
	for (int i = 0; i < k; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < k; i++)
		waitpid(kids[i], NULL, 0);
	return 0;
}
