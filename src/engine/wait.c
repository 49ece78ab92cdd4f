/* The parent's event loop while the container runs: forwards signals to PID 1,
 * enforces the stop grace period, relays I/O, and collects PID 1's status. */
#include "engine/wait.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/container.h"
#include "util/cleanup.h"
#include "util/explain.h"

/* Blocked in husk from before clone() on, so none is lost while the child sets up. */
const int husk_forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
const int husk_n_forwarded_signals = ARRAY_SIZE(husk_forwarded_signals);

static void arm_grace(int tfd, int seconds)
{
	struct itimerspec its = { .it_value = { .tv_sec = seconds, .tv_nsec = seconds ? 0 : 1 } };
	timerfd_settime(tfd, 0, &its, NULL);
}

int wait_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return HUSK_EXIT_FAILURE;
}

void wait_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGWINCH);
	for (int i = 0; i < husk_n_forwarded_signals; i++)
		sigaddset(set, husk_forwarded_signals[i]);
}

int container_wait(struct container *c)
{
	sigset_t set;
	wait_signal_set(&set);
	cleanup_close int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	cleanup_close int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	cleanup_close int ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0)
		goto fallback;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = sfd };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0)
		goto fallback;
	ev.data.fd = tfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0 || io_register(&c->io, ep) < 0)
		goto fallback;

	bool grace_armed = false;
	for (;;) {
		/* PID 1 may have exited before we began to listen */
		int status;
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			c->status = status;
			break;
		}
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, -1);
		if (n < 0 && errno != EINTR)
			goto fallback;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == sfd) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof si) != sizeof si)
					continue;
				int sig = (int)si.ssi_signo;
				if (sig == SIGCHLD)
					continue; /* waitpid above */
				if (sig == SIGWINCH) {
					io_resize(&c->io);
					continue;
				}
				kill(c->pid, sig);
				/* Ctrl-C always ends a container, as docker stop does: a PID 1
				 * without a handler never sees the signal */
				if ((sig == SIGINT || sig == SIGTERM) && !grace_armed) {
					arm_grace(tfd, c->spec->stop_timeout);
					grace_armed = true;
				}
			} else if (fd == tfd) {
				uint64_t x;
				(void)!read(tfd, &x, sizeof x);
				husk_warn("container %s did not stop within %d s: sending SIGKILL",
					  c->spec->name, c->spec->stop_timeout);
				kill(c->pid, SIGKILL);
			} else if (io_pump(&c->io, fd) < 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				if (fd == c->io.stdin_fd && c->io.master >= 0)
					(void)!write(c->io.master, "\x04", 1); /* EOF to the pty */
			}
		}
	}
	io_drain(&c->io);
	return wait_exit_code(c->status);

fallback:
	/* no event loop (fd exhaustion): still wait, so nothing is left running */
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	return wait_exit_code(c->status);
}
