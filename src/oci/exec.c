/* husk exec [OPTIONS] ID [COMMAND ARG...] (the OCI exec): a process in a running
 * container, joining its namespaces, cgroup and security profile (the config kept by
 * create), described by --process F.json or by the command line. --detach returns
 * once it exec'd (the engine, its subreaper, reaps it); otherwise husk waits and
 * exits with its status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec.h"
#include "oci/config.h"
#include "oci/oci.h"
#include "util/cleanup.h"
#include "util/parse.h"

struct exec_opts {
	const char *process, *cwd, *user, *pid_file, *console;
	char **env, **caps;
	size_t n_env, n_caps;
	bool tty, detach, no_new_privs;
	int64_t preserve_fds;
};

static void exec_usage(void)
{
	puts("Usage: husk exec [OPTIONS] ID [COMMAND [ARG...]]\n\n"
	     "Run a process in a running container (the OCI exec).\n\n"
	     "  -p, --process FILE        the process as config.json's \"process\" object\n"
	     "  -d, --detach              return once it runs (its parent is the caller's subreaper)\n"
	     "      --pid-file FILE       write its host pid there\n"
	     "      --console-socket SOCK send its pty master there (with --tty)\n"
	     "  -t, --tty                 give it a terminal\n"
	     "      --cwd DIR             working directory\n"
	     "  -e, --env KEY=VAL         set a variable (repeatable)\n"
	     "  -u, --user UID[:GID]      numeric ids\n"
	     "  -c, --cap CAP             add a capability (repeatable)\n"
	     "      --no-new-privs        set no_new_privs\n"
	     "      --preserve-fds N      pass fds 3 .. 3+N-1 on");
}

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof *nv);
	if (!nv)
		return -1;
	*v = nv;
	nv[(*n)++] = (char *)s;
	nv[*n] = NULL;
	return 0;
}

static int parse_exec(int argc, char **argv, struct exec_opts *o, struct husk_err *err)
{
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' }, { "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "console-socket", required_argument, NULL, 'C' }, { "tty", no_argument, NULL, 't' },
		{ "cwd", required_argument, NULL, 'w' }, { "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' }, { "cap", required_argument, NULL, 'c' },
		{ "no-new-privs", no_argument, NULL, 'N' },
		{ "preserve-fds", required_argument, NULL, 'f' },
		{ "process-label", required_argument, NULL, 'L' },
		{ "apparmor", required_argument, NULL, 'A' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:dtw:e:u:c:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': exec_usage(); return 1;
		case 'p': o->process = optarg; break;
		case 'd': o->detach = true; break;
		case 'P': o->pid_file = optarg; break;
		case 'C': o->console = optarg; break;
		case 't': o->tty = true; break;
		case 'w': o->cwd = optarg; break;
		case 'u': o->user = optarg; break;
		case 'N': o->no_new_privs = true; break;
		case 'L': case 'A': break; /* no LSM is applied by husk (oci/refuse.c) */
		case 'e':
			if (push(&o->env, &o->n_env, optarg))
				return husk_error(err, ENOMEM, "exec");
			break;
		case 'c':
			if (push(&o->caps, &o->n_caps, optarg))
				return husk_error(err, ENOMEM, "exec");
			break;
		case 'f':
			if (parse_int(optarg, 0, 1 << 20, &o->preserve_fds) < 0)
				return husk_error(err, 0, "invalid --preserve-fds '%s'", optarg);
			break;
		default:
			return husk_error(err, 0, "exec: unknown or incomplete option '%s' (see husk exec "
					  "--help)", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return husk_error(err, 0, "exec: no container ID (usage: husk exec [OPTIONS] ID "
				  "[COMMAND...])");
	if (!o->process && optind + 1 >= argc)
		return husk_error(err, 0, "exec: no command and no --process for %s", argv[optind]);
	return 0;
}

/* The command-line form over the container's own process. */
static int apply_argv(struct husk_spec *s, const struct exec_opts *o, char **args,
		      struct husk_err *err)
{
	size_t n = 0;
	while (args[n])
		n++;
	char **v = calloc(n + 1, sizeof *v);
	if (!v)
		return husk_error(err, ENOMEM, "exec");
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = strdup(args[i])))
			return husk_error(err, ENOMEM, "exec");
	oci_process_set_args(s, v, n);
	for (size_t i = 0; i < o->n_env; i++)
		if (oci_process_put_env(s, o->env[i], err))
			return -1;
	if (o->cwd && oci_process_set_cwd(s, o->cwd, err))
		return -1;
	if (o->user) {
		int64_t uid = -1, gid = -1;
		if (parse_numeric_user(o->user, &uid, &gid) != 1 || uid < 0 || uid >= UINT32_MAX)
			return husk_error(err, 0, "invalid --user '%s': expected UID[:GID] (numbers)", o->user);
		s->oci.uid = (uint32_t)uid;
		s->oci.gid = gid >= 0 ? (uint32_t)gid : s->oci.gid;
	}
	for (size_t i = 0; i < o->n_caps; i++)
		if (oci_process_add_cap(s, o->caps[i], err))
			return -1;
	s->tty = o->tty;
	if (o->no_new_privs)
		s->sec.no_new_privs = true;
	return 0;
}

static int build_spec(const struct oci_ctr *c, const struct exec_opts *o, char **args,
		      struct husk_spec *s, struct husk_err *err)
{
	if (oci_ctr_spec(c, s, err))
		return -1;
	if (o->process) {
		cleanup_free char *text = NULL;
		size_t len = 0;
		if (oci_read_file(o->process, "--process", &text, &len, err) ||
		    oci_process_replace(s, text, len, o->process, err))
			return -1;
		if (o->tty)
			s->tty = true;
	} else if (apply_argv(s, o, args, err)) {
		return -1;
	}
	s->oci.detach = o->detach;
	s->oci.preserve_fds = (int)o->preserve_fds;
	if ((o->pid_file && !(s->oci.pid_file = strdup(o->pid_file))) ||
	    (o->console && !(s->oci.console_socket = strdup(o->console))))
		return husk_error(err, ENOMEM, "exec");
	if (s->tty && o->detach && !o->console)
		return husk_error(err, 0, "exec --detach with a terminal needs --console-socket");
	return 0;
}

int cmd_oci_exec(struct husk_global *g, int argc, char **argv)
{
	struct husk_err err = { 0 };
	struct exec_opts o = { 0 };
	int r = parse_exec(argc, argv, &o, &err);
	if (r > 0)
		return 0;
	struct oci_ctr c = { 0 };
	struct husk_spec s;
	spec_init(&s);
	int code = -1;
	if (!r && !oci_ctr_open(g, argv[optind], &c, &err)) {
		if (c.status != OCI_RUNNING && c.status != OCI_CREATED)
			husk_error(&err, 0, "cannot exec in container %s: it is %s", c.id,
				   oci_status_name(c.status));
		else if (!build_spec(&c, &o, argv + optind + 1, &s, &err)) {
			cleanup_close int pfd = oci_ctr_pidfd(&c);
			struct exec_target t = { .name = c.id, .pid = c.pid, .pidfd = pfd, .rec = c.rec };
			code = pfd >= 0 ? exec_run(&s, &t, &err)
					: husk_error(&err, 0, "container %s is not running", c.id);
		}
	}
	spec_free(&s);
	oci_ctr_close(&c);
	free(o.env);
	free(o.caps);
	if (code < 0)
		return err.set ? (husk_error_print(&err), err.exit_code ? err.exit_code : 1) : 1;
	return code;
}
