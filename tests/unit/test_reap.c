/* Unit tests for src/util/reap.c (reap_within) and state_pidfd: a child that exits
 * in time gives its status, one that does not is killed and reaped, nothing is left
 * to wait for; a pidfd names the process that started at the recorded time only. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/state.h"
#include "util/reap.h"

#include "check.h"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static pid_t child(int exit_code, int seconds)
{
	pid_t p = fork();
	if (p == 0) {
		if (seconds)
			sleep((unsigned)seconds);
		_exit(exit_code);
	}
	return p;
}

static void no_child_left(pid_t p)
{
	CHECK(waitpid(p, NULL, WNOHANG) < 0 && errno == ECHILD);
}

int main(void)
{
	int st = -1;
	/* exits in time: 0 and its status */
	pid_t p = child(3, 0);
	CHECK(reap_within(p, 5000, &st) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 3);
	no_child_left(p);
	/* no limit */
	p = child(4, 0);
	CHECK(reap_within(p, 0, &st) == 0 && WEXITSTATUS(st) == 4);
	no_child_left(p);
	/* too slow: killed after the limit (not before, not long after), reaped */
	p = child(0, 30);
	double t0 = now_ms();
	CHECK(reap_within(p, 100, NULL) == 1);
	double took = now_ms() - t0;
	CHECKF(took >= 99 && took < 5000, "took %.0f ms", took);
	no_child_left(p);
	/* not a child: waitpid's error */
	CHECK(reap_within(getpid(), 10, NULL) == -1 && errno == ECHILD);

	/* state_pidfd: our own process by its start time; not with another time */
	unsigned long long start = state_pid_start(getpid());
	CHECK(start > 0);
	int fd = state_pidfd(getpid(), start);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(state_pidfd(getpid(), start + 1) == -1);
	CHECK(state_pidfd(getpid(), 0) == -1);
	/* a zombie has ended: no pidfd for it */
	p = child(0, 0);
	while (state_pid_start(p) != 0) {
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	CHECK(state_pidfd(p, 1) == -1);
	CHECK(reap_within(p, 1000, &st) == 0);

	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
