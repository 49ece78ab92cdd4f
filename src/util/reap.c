#include "util/reap.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* Whether PID exits within MS ms: its pidfd polled, else waitpid(WNOHANG) each ms
 * (then it is reaped already: *reaped). */
static int exits_within(pid_t pid, int pidfd, int ms, int *status, int *reaped)
{
	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int r;
		do
			r = poll(&p, 1, ms);
		while (r < 0 && errno == EINTR);
		return r > 0;
	}
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
	if (!exits_within(pid, pidfd, ms, status, &reaped)) {
		kill(pid, SIGKILL);
		killed = 1;
	}
	if (pidfd >= 0)
		close(pidfd);
	if (!reaped && reap(pid, killed ? NULL : status) < 0)
		return -1;
	return killed;
}
