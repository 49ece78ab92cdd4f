/* husk ps [--format table|json] ID [PS_ARGS...]: the processes of an OCI container,
 * read from its cgroup. json prints the host pids as one array (what containerd's
 * shim parses for `docker top` and `ctr task ps`); table runs ps(1) on the host
 * (PS_ARGS, default -ef) and keeps its header and the lines of those pids, as runc
 * does. A stopped container whose cgroup is gone has no processes: []. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/oci.h"
#include "oci/secondary.h"
#include "util/cleanup.h"

/* the controllers a container of either face joins, most telling first */
static const char *const ps_controllers[] = { "pids", "freezer", "memory", "cpu", "devices", NULL };

static int ctr_pids(const struct oci_ctr *c, pid_t **out, size_t *n, struct husk_err *err)
{
	char dir[300] = "", procs[340];
	*out = NULL;
	*n = 0;
	for (size_t i = 0; ps_controllers[i] && !dir[0]; i++)
		oci_ctr_cgroup_dir(c, ps_controllers[i], dir, sizeof dir);
	if (!dir[0])
		return husk_error(err, 0, "ps %s: the container's record names no cgroup", c->id);
	snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
	cleanup_fclose FILE *f = fopen(procs, "re");
	if (!f && errno == ENOENT)
		return 0; /* removed with the last process */
	if (!f)
		return husk_error(err, errno, "ps %s: cannot read %s", c->id, procs);
	size_t cap = 0;
	int pid;
	while (fscanf(f, "%d", &pid) == 1) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			pid_t *p = realloc(*out, cap * sizeof *p);
			if (!p) {
				free(*out);
				*out = NULL;
				return husk_error(err, ENOMEM, "ps %s", c->id);
			}
			*out = p;
		}
		(*out)[(*n)++] = pid;
	}
	return 0;
}

static bool listed(const pid_t *pids, size_t n, pid_t p)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == p)
			return true;
	return false;
}

/* the PID column of ps's header line, counted from 0; -1 if there is none */
static int pid_column(const char *header)
{
	char buf[1024], *save = NULL;
	snprintf(buf, sizeof buf, "%s", header);
	int col = 0;
	for (char *t = strtok_r(buf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
		if (!strcmp(t, "PID"))
			return col;
	return -1;
}

static pid_t field_pid(const char *line, int col)
{
	char buf[4096], *save = NULL;
	snprintf(buf, sizeof buf, "%s", line);
	char *t = strtok_r(buf, " \t\n", &save);
	for (int i = 0; t && i < col; i++)
		t = strtok_r(NULL, " \t\n", &save);
	return t ? (pid_t)strtol(t, NULL, 10) : 0;
}

/* ps(1) PS_ARGS | keep the header and the container's lines */
static int ps_table(const pid_t *pids, size_t n, char **ps_args, int n_args, struct husk_err *err)
{
	char *argv[64] = { "ps" };
	int k = 1;
	if (n_args == 0)
		argv[k++] = "-ef";
	for (int i = 0; i < n_args && k < 63; i++)
		argv[k++] = ps_args[i];
	argv[k] = NULL;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return husk_error(err, errno, "ps: pipe");
	pid_t child = fork();
	if (child < 0)
		return husk_error(err, errno, "ps: fork");
	if (child == 0) {
		dup2(fds[1], 1);
		execvp("ps", argv);
		fprintf(stderr, "husk: ps: cannot run ps(1): %s\n", strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	cleanup_fclose FILE *in = fdopen(fds[0], "r");
	cleanup_free char *line = NULL;
	size_t len = 0;
	int col = -1;
	for (bool first = true; in && getline(&line, &len, in) >= 0; first = false) {
		if (first)
			col = pid_column(line);
		if (first || (col >= 0 && listed(pids, n, field_pid(line, col))))
			fputs(line, stdout);
	}
	int status = 0;
	waitpid(child, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return husk_error(err, 0, "ps: ps(1) %s failed", argv[1]);
	if (col < 0)
		return husk_error(err, 0, "ps: ps(1) printed no PID column (give it -f or -o pid)");
	return 0;
}

static void ps_json(const pid_t *pids, size_t n)
{
	putchar('[');
	for (size_t i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", (int)pids[i]);
	puts("]");
}

int cmd_oci_ps(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct husk_err err = { 0 };
	bool json = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c == 'h') {
			puts("Usage: husk ps [--format table|json] ID [PS_ARGS...]\n\n"
			     "The processes of an OCI container: with json, their host pids as a JSON\n"
			     "array; with table (the default), ps(1)'s lines for them (PS_ARGS, default -ef).");
			return 0;
		}
		if (c != 'f')
			return cli_bad_option("ps", argv);
		if (!cli_format(optarg, &json))
			return HUSK_EXIT_FAILURE;
	}
	if (optind >= argc) {
		husk_error(&err, 0, "ps: no container ID (usage: husk ps [--format table|json] ID)");
		return oci_fail(&err);
	}
	struct oci_ctr ct;
	if (oci_ctr_open(g, argv[optind], &ct, &err))
		return oci_fail(&err);
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	int r = ctr_pids(&ct, &pids, &n, &err);
	oci_ctr_close(&ct);
	if (r == 0 && json)
		ps_json(pids, n);
	else if (r == 0)
		r = ps_table(pids, n, argv + optind + 1, argc - optind - 1, &err);
	return r ? oci_fail(&err) : 0;
}
