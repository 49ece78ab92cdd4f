/* --init: a minimal PID 1 (as tini or docker --init). A PID 1 gets no signal it has
 * no handler for, so a plain command often ignores Ctrl-C; this init handles every
 * forwardable signal, passes it to the command, and reaps orphaned zombies. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/init.h"
#include "util/proctitle.h"

static void noop(int sig) { (void)sig; }

void init_main(pid_t child)
{
	static const int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
				   SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM };
	proctitle_set("husk-init");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	struct sigaction sa = { .sa_handler = noop };
	for (unsigned i = 0; i < sizeof fwd / sizeof fwd[0]; i++) {
		sigaddset(&set, fwd[i]);
		sigaction(fwd[i], &sa, NULL); /* a handler, so the kernel delivers it to PID 1 */
	}
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, &set, NULL);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		int status;
		pid_t p;
		while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
			if (p != child)
				continue; /* an orphan re-parented to us: reaped, nothing more */
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
	}
}
