/* husk kill [--all] ID [SIGNAL]: the OCI kill (default SIGTERM). A stopped
 * container gives "container not running", which containerd maps to NotFound;
 * --all signals every process of the container's cgroup (engines use it when the
 * PID namespace is shared or absent). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>

#include "cli/record.h"
#include "oci/oci.h"
#include "util/cleanup.h"

static int kill_all(const struct oci_ctr *c, int sig, struct husk_err *err)
{
	static const char *const ctrls[] = { "pids", "freezer", "memory", "cpu", "devices" };
	char dir[300] = "", procs[340];
	for (size_t i = 0; i < ARRAY_SIZE(ctrls) && !dir[0]; i++)
		oci_ctr_cgroup_dir(c, ctrls[i], dir, sizeof dir);
	if (!dir[0])
		return husk_error(err, 0, "kill --all %s: the record names no cgroup", c->id);
	snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
	cleanup_fclose FILE *f = fopen(procs, "re");
	if (!f)
		return husk_error(err, errno, "kill --all %s: %s", c->id, procs);
	int pid, n = 0;
	while (fscanf(f, "%d", &pid) == 1)
		if (kill(pid, sig) == 0)
			n++;
	return n ? 0 : husk_error(err, 0, "container not running");
}

int cmd_oci_kill(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "signal", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct husk_err err = { 0 };
	bool all = false;
	const char *signame = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+as:", opts, NULL)) != -1) {
		if (c == 'h') {
			puts("Usage: husk kill [--all] ID [SIGNAL]\n\nSend SIGNAL (default TERM; "
			     "a name or a number) to the container's process, or with --all to\n"
			     "every process of its cgroup.");
			return 0;
		}
		if (c == 'a')
			all = true;
		else if (c == 's')
			signame = optarg;
		else
			return cli_bad_option("kill", argv);
	}
	if (optind >= argc || argc - optind > 2) {
		husk_error(&err, 0, "kill: expected ID [SIGNAL] (usage: husk kill [--all] ID [SIGNAL])");
		return oci_fail(&err);
	}
	if (optind + 1 < argc)
		signame = argv[optind + 1];
	int sig = signame ? parse_signal(signame) : SIGTERM;
	if (sig <= 0) {
		husk_error(&err, 0, "invalid signal '%s': expected a name such as TERM or KILL, or a "
			   "number from 1 to %d", signame, NSIG - 1);
		return oci_fail(&err);
	}
	struct oci_ctr ct;
	if (oci_ctr_open(g, argv[optind], &ct, &err))
		return oci_fail(&err);
	int r = 0;
	cleanup_close int pfd = oci_ctr_pidfd(&ct);
	if (ct.status == OCI_STOPPED || pfd < 0)
		r = husk_error(&err, 0, "container not running");
	else if (all)
		r = kill_all(&ct, sig, &err);
	else if (pidfd_send_signal(pfd, sig, NULL, 0) < 0)
		r = husk_error(&err, errno == ESRCH ? 0 : errno, "%s", errno == ESRCH ?
			       "container not running" : "kill");
	oci_ctr_close(&ct);
	return r ? oci_fail(&err) : 0;
}
