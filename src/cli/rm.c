/* husk rm [-f] NAME...: removes stopped containers' records (and whatever their
 * monitor could not clean: a dead monitor's cgroups, network, processes). -f kills
 * a running container first. */
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
#include "engine/state.h"
#include "util/reap.h"

#define RM_WAIT_MS 10000

static void rm_usage(FILE *out)
{
	fputs("Usage: husk rm [-f] NAME...\n\n"
	      "Remove stopped containers: their state, log, cgroups and network.\n\n"
	      "  -f, --force   kill a running container (SIGKILL) and remove it\n"
	      "      --help    print this help\n",
	      out);
}

/* SIGKILL for PID 1 and waiting for its husk to finish; 0 once nothing runs. */
static int kill_and_wait(struct ctr_record *c)
{
	int fd = ctr_owner_fd(c);
	if (fd >= 0 && c->detached) {
		ctr_tell_monitor(fd, MONITOR_SIG_STOP, 0);
	} else {
		int pid1 = ctr_pid1_fd(c);
		if (pid1 >= 0) {
			pidfd_send_signal(pid1, SIGKILL, NULL, 0);
			if (fd < 0) /* nobody reaps it for us: wait for its death ourselves */
				fd = pid1;
			else
				close(pid1);
		}
	}
	if (fd < 0)
		return 0;
	if (wait_pidfds(&fd, 1, RM_WAIT_MS)) {
		close(fd);
		husk_warn("container %s did not stop within %d s", c->name, RM_WAIT_MS / 1000);
		return -1;
	}
	return 0;
}

static int rm_one(const struct husk_global *g, const char *name, bool force)
{
	struct ctr_record c;
	if (ctr_open(g, name, &c) < 0)
		return 1;
	bool busy = ctr_is_active(&c);
	if (!busy && c.state == CTR_MONITOR_DIED) {
		int fd = ctr_pid1_fd(&c); /* PID 1 outlived its monitor? */
		busy = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	if (!busy && c.owner > 0) {
		/* its monitor is writing the last of the record: let it finish */
		int fd = ctr_owner_fd(&c);
		if (fd >= 0 && wait_pidfds(&fd, 1, RM_WAIT_MS))
			close(fd);
	}
	int rc = 0;
	if (busy && !force) {
		husk_warn("container %s is %s: stop it first, or use husk rm -f", name,
			  c.state == CTR_MONITOR_DIED ? "still running (its monitor died)" :
							ctr_state_name(c.state));
		rc = 1;
	} else if (busy && kill_and_wait(&c) < 0) {
		rc = 1;
	} else {
		struct husk_err err = { 0 };
		/* a --rm container's monitor may have removed it already */
		if (state_remove_record(cli_root(g), name, &err) < 0 && !(busy && err.errnum == ENOENT))
			rc = husk_error_print(&err) == 0 ? 0 : 1;
		else
			printf("%s\n", name);
	}
	ctr_close(&c);
	return rc;
}

int cmd_rm(struct husk_global *g, int argc, char **argv)
{
	bool force;
	int r = cli_force_options("rm", rm_usage, argc, argv, &force);
	if (r >= 0)
		return r;
	if (optind >= argc) {
		husk_warn("no container named (usage: husk rm [-f] NAME...)");
		return HUSK_EXIT_FAILURE;
	}
	int rc = 0;
	for (int i = optind; i < argc; i++)
		rc |= rm_one(g, argv[i], force);
	return rc;
}
