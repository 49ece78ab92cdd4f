/* husk exec [-i] [-t] [-e KEY=VAL] [-w DIR] [-u USER] NAME CMD [ARG...]: runs a
 * command inside a running container. This file is the front-end: the options and
 * the container's process read back from its record; engine/exec.c joins the
 * container and starts the command. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "engine/exec.h"
#include "engine/state.h"
#include "linux/security/sealed_exe.h"
#include "util/cleanup.h"

struct exec_ctx {
	struct ctr_record ct;
	struct husk_spec spec;
	int pidfd; /* PID 1 */
};

static void exec_usage(FILE *out)
{
	fputs("Usage: husk exec [OPTIONS] NAME COMMAND [ARG...]\n\n"
	      "Run a command in a running container: its namespaces, cgroup, root, user,\n"
	      "capabilities and seccomp filter.\n\n"
	      "  -i, --interactive       keep stdin open\n"
	      "  -t, --tty               give the command a terminal (a pty of the container)\n"
	      "  -e, --env KEY=VAL       set a variable (on top of the container's)\n"
	      "  -w, --workdir DIR       working directory inside (default: the container's)\n"
	      "  -u, --user USER[:GROUP] uid[:gid] or names from the container's /etc/passwd\n"
	      "      --help              print this help\n\n"
	      "Exit status: the command's; 126 if it cannot be executed, 127 if it was not\n"
	      "found, 125 if husk failed, 1 if the container is not running.\n",
	      out);
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? strdup(v) : NULL;
	return v && !*dst ? -1 : 0;
}

static int strv_from_json(json_object *a, char ***out, size_t *n)
{
	size_t len = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	*out = calloc(len + 1, sizeof **out);
	if (!*out)
		return -1;
	*n = 0;
	for (size_t i = 0; i < len; i++) {
		/* a record husk did not write may hold anything: only strings are taken */
		json_object *e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_string))
			continue;
		if (!((*out)[*n] = strdup(json_object_get_string(e))))
			return -1;
		(*n)++;
	}
	return 0;
}

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The container's process as its record describes it: env, user, workdir, security. */
static int spec_from_record(struct husk_spec *s, json_object *rec, struct husk_err *err)
{
	json_object *cfg = field(rec, "config"), *sec = field(cfg, "security");
	snprintf(s->name, sizeof s->name, "%s", state_get_str(rec, "name", ""));
	snprintf(s->hostname, sizeof s->hostname, "%s", state_get_str(cfg, "hostname", s->name));
	s->stop_timeout = (int)state_get_int(cfg, "stop_timeout", 10);
	s->sec.privileged = state_get_bool(sec, "privileged");
	s->sec.no_new_privs = state_get_bool(sec, "no_new_privileges");
	s->sec.seccomp_unconfined = state_get_bool(sec, "seccomp_unconfined");
	/* exec's own -e, -u and -w (parsed already) win over the container's */
	json_object *env = field(cfg, "env");
	size_t n = json_object_is_type(env, json_type_array) ? json_object_array_length(env) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(env, i);
		if (!json_object_is_type(e, json_type_string))
			continue;
		const char *kv = json_object_get_string(e);
		cleanup_free char *key = strndup(kv, strcspn(kv, "="));
		if (!key)
			return husk_error(err, ENOMEM, "exec: reading the record of %s", s->name);
		if (!spec_getenv(s, key) && spec_setenv(s, kv, err))
			return -1;
	}
	if (set_str(&s->rootfs, state_get_str(rec, "rootfs", "/")) ||
	    (!s->workdir && set_str(&s->workdir, state_get_str(cfg, "workdir", NULL))) ||
	    (!s->user && set_str(&s->user, state_get_str(cfg, "user", NULL))) ||
	    set_str(&s->sec.seccomp_profile, state_get_str(sec, "seccomp_profile", NULL)) ||
	    strv_from_json(field(sec, "cap_add"), &s->sec.cap_add, &s->sec.n_cap_add) ||
	    strv_from_json(field(sec, "cap_drop"), &s->sec.cap_drop, &s->sec.n_cap_drop))
		return husk_error(err, ENOMEM, "exec: reading the record of %s", s->name);
	return 0;
}

static int parse_exec_args(struct exec_ctx *x, int argc, char **argv, struct husk_err *err)
{
	static const struct option opts[] = {
		{ "interactive", no_argument, NULL, 'i' }, { "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },   { "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },  { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct husk_spec *s = &x->spec;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+ite:w:u:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': exec_usage(stdout); return 1;
		case 'i': s->interactive = true; break;
		case 't': s->tty = true; break;
		case 'e': if (spec_setenv(s, optarg, err)) return -1; break;
		case 'w':
			if (optarg[0] != '/')
				return husk_error(err, 0, "invalid --workdir '%s': must be an absolute path", optarg);
			if (set_str(&s->workdir, optarg)) return husk_error(err, ENOMEM, "exec");
			break;
		case 'u': if (set_str(&s->user, optarg)) return husk_error(err, ENOMEM, "exec"); break;
		default:
			return husk_error(err, 0, "unknown or incomplete option '%s' (see husk exec --help)",
					  argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return husk_error(err, 0, "expected a container and a command (usage: husk exec [OPTIONS] NAME COMMAND [ARG...])");
	size_t n = (size_t)(argc - optind - 1);
	if (!(s->argv = calloc(n + 1, sizeof *s->argv)))
		return husk_error(err, ENOMEM, "exec");
	memcpy(s->argv, argv + optind + 1, n * sizeof *argv);
	return 0;
}

/* The container's PID 1, if it runs. */
static int exec_target_open(struct exec_ctx *x, struct husk_err *err)
{
	if (x->ct.state != CTR_RUNNING || (x->pidfd = ctr_pid1_fd(&x->ct)) < 0)
		return husk_error_code(err, 1, 0, "container %s is not running (%s): cannot exec in it",
				       x->ct.name, ctr_state_name(x->ct.state));
	return 0;
}

int cmd_exec(struct husk_global *g, int argc, char **argv)
{
	struct exec_ctx x = { .pidfd = -1 };
	struct husk_err err = { 0 };
	spec_init(&x.spec);
	int r = parse_exec_args(&x, argc, argv, &err), code = -1;
	if (r == 1) {
		spec_free(&x.spec);
		return 0;
	}
	/* husk code runs in the container's namespaces before the command (its /proc/PID/exe
	 * is reachable there): from a sealed copy, not the host's binary (CVE-2019-5736) */
	if (r == 0 && sealed_exe_reexec(&err))
		r = -1;
	if (r == 0 && ctr_open(g, argv[optind], &x.ct) < 0) {
		spec_free(&x.spec);
		return 1;
	}
	if (r == 0 && exec_target_open(&x, &err) == 0 &&
	    spec_from_record(&x.spec, x.ct.rec, &err) == 0) {
		struct exec_target t = { .name = x.ct.name, .pid = x.ct.pid, .pidfd = x.pidfd,
					 .rec = x.ct.rec };
		code = exec_run(&x.spec, &t, &err);
	}
	if (x.pidfd >= 0)
		close(x.pidfd);
	ctr_close(&x.ct);
	spec_free(&x.spec);
	return code < 0 ? husk_error_print(&err) : code;
}
