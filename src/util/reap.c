#include "util/reap.h"

#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t wait_pidfds(int *fds, size_t n, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	for (;;) {
		struct pollfd p[n ? n : 1];
		size_t live = 0;
		for (size_t i = 0; i < n; i++)
			if (fds[i] >= 0)
				p[live++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		int64_t left = deadline - mono_ms();
		if (!live || left <= 0)
			return live;
		if (poll(p, live, (int)left) < 0 && errno != EINTR)
			return live;
		for (size_t j = 0; j < live; j++)
			if (p[j].revents)
				for (size_t i = 0; i < n; i++)
					if (fds[i] == p[j].fd) {
						close(fds[i]);
						fds[i] = -1;
					}
	}
}

static int reap(pid_t pid, int *status)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (status)
		*status = st;
	return 0;
}

/* Whether PID exits within MS ms: its pidfd polled (closed and -1 once it exited),
 * else waitpid(WNOHANG) each ms (then it is reaped already: *reaped). */
static int exits_within(pid_t pid, int *pidfd, int ms, int *status, int *reaped)
{
	if (*pidfd >= 0)
		return wait_pidfds(pidfd, 1, ms) == 0;
	for (int i = 0; i <= ms; i++) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (status)
				*status = st;
			*reaped = 1;
			return 1;
		}
		if (r < 0 && errno != EINTR)
			return 1; /* reap() says why */
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

int reap_within(pid_t pid, int ms, int *status)
{
	if (ms <= 0)
		return reap(pid, status);
	/* never a kill for a pid that is not our child (ECHILD) */
	int st;
	pid_t w = waitpid(pid, &st, WNOHANG);
	if (w < 0 && errno != EINTR)
		return -1;
	if (w == pid) {
		if (status)
			*status = st;
		return 0;
	}
	int pidfd = pidfd_open(pid, 0), reaped = 0, killed = 0;
	if (!exits_within(pid, &pidfd, ms, status, &reaped)) {
		kill(pid, SIGKILL);
		killed = 1;
	}
	if (pidfd >= 0)
		close(pidfd);
	if (!reaped && reap(pid, killed ? NULL : status) < 0)
		return -1;
	return killed;
}
