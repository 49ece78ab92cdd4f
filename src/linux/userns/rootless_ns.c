#include "linux/userns/rootless_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/userns/idmap.h"
#include "linux/userns/rootless.h"
#include "util/fs.h"

/* The child: a new user namespace, told to the parent (0 or the errno), then its
 * maps awaited; never returns. */
static void child_run(int ready, int go, int (*fn)(void *), void *arg)
{
	int e = unshare(CLONE_NEWUSER) < 0 ? errno : 0;
	char c;
	if (write(ready, &e, sizeof e) != sizeof e || e || read(go, &c, 1) != 1)
		_exit(HUSK_EXIT_FAILURE);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		husk_warn("becoming root of the user namespace: %s", strerror(errno));
		_exit(HUSK_EXIT_FAILURE);
	}
	/* a husk killed meanwhile takes its child along (set after setresuid, which
	 * clears it; the read above saw the parent alive) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int r = fn(arg);
	fflush(NULL);
	_exit(r & 0xff);
}

static int maps_write(pid_t pid, struct husk_err *err)
{
	struct id_map uids, gids;
	bool helpers;
	if (rootless_maps(false, &uids, &gids, &helpers, err))
		return -1;
	/* without a range the user's own ids alone, written as the caller may */
	return helpers ? idmap_write_helpers(pid, &uids, &gids, err) :
			 idmap_write(pid, &uids, &gids, true, err);
}

static int wait_child(pid_t pid, struct husk_err *err)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return husk_error(err, errno, "waiting for the user namespace's child");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int rootless_in_userns(int (*fn)(void *arg), void *arg, struct husk_err *err)
{
	if (geteuid() == 0)
		return fn(arg);
	int ready[2], go[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return husk_error(err, errno, "pipe");
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return husk_error(err, errno, "pipe");
	}
	fflush(NULL); /* nothing buffered is written twice */
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		child_run(ready[1], go[0], fn, arg);
	}
	close(ready[1]);
	close(go[0]);
	int e = -1, r = -1;
	if (pid < 0)
		husk_error(err, errno, "fork");
	else if (read(ready[0], &e, sizeof e) != sizeof e || e)
		husk_error(err, e > 0 ? e : EIO, "unshare(CLONE_NEWUSER)");
	else if (maps_write(pid, err) == 0 && write(go[1], "g", 1) == 1)
		r = 0;
	close(ready[0]);
	close(go[1]); /* without "g" the child exits */
	if (pid < 0)
		return -1;
	int st = wait_child(pid, err);
	return r < 0 ? -1 : st;
}

static int remove_fn(void *path)
{
	return remove_tree(path) < 0 ? 1 : 0;
}

int rootless_remove_tree(const char *path)
{
	if (remove_tree(path) == 0)
		return 0;
	if (!rootless() || geteuid() == 0)
		return -1;
	int e = errno;
	struct husk_err err = { 0 };
	if (rootless_in_userns(remove_fn, (void *)path, &err) == 0)
		return 0;
	errno = e;
	return -1;
}
