/* husk kill [-s SIGNAL] NAME...: sends a signal (default KILL) to each container's
 * PID 1 and returns at once, as docker kill does. A detached container's monitor
 * delivers it (KILL, TERM and INT also end its --restart policy). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "engine/monitor.h"
#include "util/cleanup.h"

static void kill_usage(FILE *out)
{
	fputs("Usage: husk kill [-s SIGNAL] NAME...\n\n"
	      "Send a signal to the PID 1 of running containers.\n\n"
	      "  -s, --signal SIGNAL  a name (KILL, SIGTERM, hup, RTMIN+1) or a number (default KILL)\n"
	      "      --help           print this help\n",
	      out);
}

static int kill_one(const struct husk_global *g, const char *name, int sig)
{
	struct ctr_record c;
	if (ctr_open(g, name, &c) < 0)
		return 1;
	int rc = 0;
	cleanup_close int owner = c.detached && ctr_is_active(&c) ? ctr_owner_fd(&c) : -1;
	cleanup_close int pid1 = owner < 0 ? ctr_pid1_fd(&c) : -1;
	int r = -1;
	if (owner >= 0)
		r = ctr_tell_monitor(owner, MONITOR_SIG_KILL, sig);
	else if (pid1 >= 0 && c.state != CTR_EXITED)
		r = pidfd_send_signal(pid1, sig, NULL, 0);
	if (r < 0 && (owner >= 0 || pid1 >= 0) && errno != ESRCH) {
		husk_warn("kill %s: %s", name, strerror(errno));
		rc = 1;
	} else if (r < 0) {
		rc = ctr_not_running(&c);
	} else {
		printf("%s\n", name);
	}
	ctr_close(&c);
	return rc;
}

static int kill_option(int c, const char *arg, void *ctx)
{
	int *sig = ctx;
	(void)c; /* -s is its only option */
	if ((*sig = parse_signal(arg)) > 0)
		return 0;
	husk_warn("invalid signal '%s': expected a name such as TERM, KILL or SIGHUP, "
		  "or a number from 1 to %d", arg, NSIG - 1);
	return HUSK_EXIT_FAILURE;
}

int cmd_kill(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "signal", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const struct cli_opts cmd = { "kill", "+s:", opts, kill_usage };
	int sig = SIGKILL;
	int r = cli_options(&cmd, argc, argv, kill_option, &sig);
	if (r >= 0)
		return r;
	if (optind >= argc) {
		husk_warn("no container named (usage: husk kill [-s SIGNAL] NAME...)");
		return HUSK_EXIT_FAILURE;
	}
	int rc = 0;
	for (int i = optind; i < argc; i++)
		rc |= kill_one(g, argv[i], sig);
	return rc;
}
