/* husk stop [-t SECONDS] NAME...: SIGTERM to each PID 1, SIGKILL after the grace
 * period; returns once every container has stopped. A detached container's monitor
 * does the work (it is PID 1's parent, and it must not restart the container). All
 * the containers named are stopped at once, not one after the other. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "engine/monitor.h"
#include "engine/state.h"
#include "util/parse.h"
#include "util/reap.h"

/* what the monitor (or husk) still needs after the grace period to finish up */
#define STOP_MARGIN_MS 5000

static void stop_usage(FILE *out)
{
	fputs("Usage: husk stop [-t SECONDS] NAME...\n\n"
	      "Stop running containers: SIGTERM to the container's PID 1, then SIGKILL once the\n"
	      "grace period is over. A stopped container's record stays until husk rm.\n\n"
	      "  -t, --time SECONDS   grace period (default: the container's --stop-timeout, 10)\n"
	      "      --help           print this help\n",
	      out);
}

/* Asks for the stop; *owner_fd gets what to wait for (-1: nothing). */
static void request(struct ctr_record *c, int grace, int *owner_fd)
{
	*owner_fd = ctr_owner_fd(c);
	if (*owner_fd < 0) {
		/* no monitor: PID 1 died with it, unless something still holds it */
		int fd = ctr_pid1_fd(c);
		if (fd >= 0)
			pidfd_send_signal(fd, SIGKILL, NULL, 0);
		*owner_fd = fd;
		return;
	}
	if (c->detached) {
		if (ctr_tell_monitor(*owner_fd, MONITOR_SIG_STOP, grace) < 0 && errno == ESRCH) {
			close(*owner_fd);
			*owner_fd = -1;
		}
		return;
	}
	/* a foreground husk forwards SIGTERM to PID 1 and applies its own grace period */
	pidfd_send_signal(*owner_fd, SIGTERM, NULL, 0);
}

/* After the deadline: SIGKILL what is left ourselves, and wait a little more. */
static void force(struct ctr_record *v, int *fds, size_t n)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		int fd = ctr_pid1_fd(&v[i]);
		if (fd >= 0) {
			pidfd_send_signal(fd, SIGKILL, NULL, 0);
			close(fd);
		}
		any = true;
	}
	if (any)
		wait_pidfds(fds, n, STOP_MARGIN_MS);
}

static int stop_all(const struct husk_global *g, char **names, size_t n, int grace)
{
	struct ctr_record *v = calloc(n, sizeof *v);
	int *fds = calloc(n, sizeof *fds);
	bool *ok = calloc(n, sizeof *ok);
	if (!v || !fds || !ok) {
		free(v), free(fds), free(ok);
		husk_warn("stop: out of memory");
		return HUSK_EXIT_FAILURE;
	}
	int rc = 0, longest = 0;
	for (size_t i = 0; i < n; i++) {
		fds[i] = -1;
		if (ctr_open(g, names[i], &v[i]) < 0) {
			rc = 1;
			continue;
		}
		ok[i] = true;
		int t = grace >= 0 ? grace : (int)state_get_int(json_object_object_get(v[i].rec, "config"),
								 "stop_timeout", 10);
		longest = t > longest ? t : longest;
		if (v[i].state != CTR_EXITED) /* stopping a stopped container is no error */
			request(&v[i], grace, &fds[i]);
	}
	if (wait_pidfds(fds, n, longest * 1000 + 200))
		force(v, fds, n);
	for (size_t i = 0; i < n; i++) {
		if (ok[i] && fds[i] >= 0) {
			husk_warn("container %s did not stop", names[i]);
			close(fds[i]);
			rc = 1;
		} else if (ok[i]) {
			printf("%s\n", names[i]);
		}
		ctr_close(&v[i]);
	}
	free(v), free(fds), free(ok);
	return rc;
}

static int stop_option(int c, const char *arg, void *ctx)
{
	int64_t v;
	(void)c; /* -t is its only option */
	if (parse_int(arg, 0, 86400, &v) == 0) {
		*(int *)ctx = (int)v;
		return 0;
	}
	husk_warn("invalid --time '%s': expected seconds, 0..86400", arg);
	return HUSK_EXIT_FAILURE;
}

int cmd_stop(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const struct cli_opts cmd = { "stop", "+t:", opts, stop_usage };
	int grace = -1;
	int r = cli_options(&cmd, argc, argv, stop_option, &grace);
	if (r >= 0)
		return r;
	if (optind >= argc) {
		husk_warn("no container named (usage: husk stop [-t SECONDS] NAME...)");
		return HUSK_EXIT_FAILURE;
	}
	return stop_all(g, argv + optind, (size_t)(argc - optind), grace);
}
