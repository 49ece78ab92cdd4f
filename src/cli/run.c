/* husk run [OPTIONS] ROOTFS [COMMAND [ARG...]]: argv -> struct husk_spec -> engine. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run_image.h"
#include "cli/record.h"
#include "engine/container.h"
#include "engine/monitor.h"
#include "linux/userns/rootless.h"
#include "engine/plan.h"
#include "linux/userns/userns.h"
#include "linux/security/sealed_exe.h"
#include "spec.h"
#include "util/cleanup.h"
#include "util/explain.h"

enum {
	OPT_NAME = 256, OPT_HOSTNAME, OPT_ENV_FILE, OPT_TMPFS, OPT_MEMORY_SWAP, OPT_CPUS,
	OPT_CPU_PCT, OPT_PIDS, OPT_INIT, OPT_NO_PIVOT, OPT_STOP_TIMEOUT, OPT_LOG_FILE,
	OPT_EXPLAIN, OPT_NETWORK, OPT_READ_ONLY, OPT_CAP_ADD, OPT_CAP_DROP, OPT_PRIVILEGED,
	OPT_SECURITY_OPT, OPT_RM, OPT_HELP, OPT_RESTART, OPT_LOG_OPT, OPT_USERNS, OPT_ENTRYPOINT,
	OPT_OVERLAY,
};

static const struct option long_opts[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, OPT_ENV_FILE },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "memory", required_argument, NULL, 'm' },
	{ "mem", required_argument, NULL, 'm' },
	{ "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "cpu", required_argument, NULL, OPT_CPU_PCT },
	{ "pids-limit", required_argument, NULL, OPT_PIDS },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
	{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
	{ "log-file", required_argument, NULL, OPT_LOG_FILE },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "net", required_argument, NULL, OPT_NETWORK },
	{ "publish", required_argument, NULL, 'p' },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
	{ "cap-drop", required_argument, NULL, OPT_CAP_DROP },
	{ "privileged", no_argument, NULL, OPT_PRIVILEGED },
	{ "security-opt", required_argument, NULL, OPT_SECURITY_OPT },
	{ "userns", required_argument, NULL, OPT_USERNS },
	{ "detach", no_argument, NULL, 'd' },
	{ "rm", no_argument, NULL, OPT_RM },
	{ "restart", required_argument, NULL, OPT_RESTART },
	{ "log-opt", required_argument, NULL, OPT_LOG_OPT },
	{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
	{ "overlay", no_argument, NULL, OPT_OVERLAY },
	{ "help", no_argument, NULL, OPT_HELP },
	{ 0 },
};

/* --network was on the command line (a rootless run takes slirp4netns otherwise) */
static bool network_given;

static void run_usage(FILE *out)
{
	fputs("Usage: husk run [OPTIONS] ROOTFS|IMAGE [COMMAND [ARG...]]\n\n"
	      "Run COMMAND (default /bin/sh) in the directory ROOTFS as a container: new PID,\n"
	      "mount, UTS, IPC, network and cgroup namespaces, pivot_root into ROOTFS, cgroup limits.\n"
	      "An IMAGE (NAME[:TAG] or id of husk images) runs on an overlayfs of its layers with\n"
	      "an upper dir of the container's own; its Entrypoint, Cmd, Env, WorkingDir and\n"
	      "User apply unless --entrypoint, COMMAND, -e, -w or -u say otherwise.\n\n"
	      "Identity and process:\n"
	      "      --name NAME            container name (default: generated husk-<hex>)\n"
	      "      --hostname NAME        hostname inside (default: the name)\n"
	      "  -e, --env KEY[=VAL]        set a variable; KEY alone copies husk's value\n"
	      "      --env-file FILE        read KEY=VAL lines from FILE\n"
	      "  -w, --workdir DIR          working directory inside (absolute)\n"
	      "  -u, --user USER[:GROUP]    uid[:gid] or names from ROOTFS/etc/passwd and /etc/group\n"
	      "  -i, --interactive          keep stdin open (default: /dev/null)\n"
	      "  -t, --tty                  give the container a terminal (a pty of its own)\n"
	      "      --init                 run a tiny init as PID 1 (reaps zombies, forwards signals)\n"
	      "      --stop-timeout S       seconds from a forwarded SIGINT/SIGTERM to SIGKILL (default 10)\n"
	      "      --log-file PATH        also copy the container's stdout and stderr to PATH\n"
	      "  -d, --detach               run in the background and print the name\n"
	      "      --rm                   remove the container's record when it exits\n"
	      "      --restart POLICY       with -d: no (default), on-failure[:N] or always\n"
	      "      --log-opt max-size=S   with -d: rotate the container's log past S (default 10M)\n\n"
	      "Filesystem:\n"
	      "  -v, --volume HOST:CTR[:ro] bind-mount HOST (absolute, existing) at CTR; a missing\n"
	      "                             CTR is created in ROOTFS (as docker does), never with --read-only\n"
	      "      --tmpfs CTR[:size=N]   mount a tmpfs at CTR\n"
	      "      --read-only            mount the root filesystem read-only\n"
	      "      --overlay              run ROOTFS on a copy-on-write layer of its own (as an\n"
	      "                             image is): the directory is never written to\n"
	      "      --entrypoint CMD       run CMD (with COMMAND as its arguments) instead of the\n"
	      "                             image's Entrypoint and Cmd; \"\" clears the Entrypoint\n"
	      "      --no-pivot             chroot(2) into ROOTFS as the tutorials do, instead of\n"
	      "                             pivot_root(2); pivot_root is safer: it detaches the host's\n"
	      "                             root from the container's mount namespace, while a chroot\n"
	      "                             leaves it reachable to a process that can chroot again\n\n"
	      "Resources (cgroup v1, v2 or hybrid):\n"
	      "  -m, --memory SIZE          memory limit: 512k, 100M, 1g or bytes (alias --mem=SIZE)\n"
	      "      --memory-swap SIZE     memory plus swap limit; -1 for unlimited swap\n"
	      "      --cpus N               CPU quota in CPUs, e.g. 0.5 (alias --cpu=50%)\n"
	      "      --pids-limit N         maximum number of processes (alias --pids=N)\n\n"
	      "Network:\n"
	      "      --network MODE         none, host, bridge (default as root) or slirp4netns\n"
	      "                             (a user-mode network; the rootless default)\n"
	      "  -p, --publish [IP:]HOST:CTR[/tcp|/udp]  publish a container port on the host\n\n"
	      "Security:\n"
	      "      --cap-add CAP          add a capability (ALL for every one)\n"
	      "      --cap-drop CAP         drop a capability (ALL for every one)\n"
	      "      --privileged           all capabilities, no seccomp, no masked paths: DANGEROUS,\n"
	      "                             the container can take over the host\n"
	      "      --security-opt OPT     seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges\n"
	      "      --userns MODE          host (default): the container's root is the host's;\n"
	      "                             auto (or private): a user namespace, container ids\n"
	      "                             0-65535 mapped to a block of host ids of its own, the\n"
	      "                             rootfs shown owned by its root through an idmapped mount\n\n"
	      "Other:\n"
	      "      --explain              print each step as the equivalent shell command, with\n"
	      "                             its duration, on stderr\n"
	      "      --help                 print this help\n\n"
	      "Exit status: the command's; 125 if husk failed, 126 if the command cannot be\n"
	      "executed, 127 if it was not found, 128+N if it died of signal N (137: OOM kill).\n",
	      out);
}

static int push(void **arr, size_t *n, size_t size)
{
	void *p = realloc(*arr, (*n + 1) * size);
	if (!p)
		return -1;
	*arr = p;
	memset((char *)p + *n * size, 0, size);
	(*n)++;
	return 0;
}

static int push_str(char ***arr, size_t *n, const char *s)
{
	if (push((void **)arr, n, sizeof(char *)) < 0 || !((*arr)[*n - 1] = strdup(s)))
		return -1;
	return 0;
}

/* -e KEY=VAL, or -e KEY: copy husk's own value (skipped if unset, as docker does) */
static int add_env(struct husk_spec *s, const char *arg, struct husk_err *err)
{
	if (strchr(arg, '='))
		return spec_setenv(s, arg, err);
	if (!valid_env_name(arg, strlen(arg)))
		return husk_error(err, 0, "invalid --env '%s': expected KEY=VALUE or KEY", arg);
	const char *v = getenv(arg);
	if (!v)
		return 0;
	cleanup_free char *kv = NULL;
	if (asprintf(&kv, "%s=%s", arg, v) < 0)
		return husk_error(err, ENOMEM, "--env");
	return spec_setenv(s, kv, err);
}

static int read_env_file(struct husk_spec *s, const char *path, struct husk_err *err)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	if (!f)
		return husk_error(err, errno, "invalid --env-file '%s'", path);
	char line[8192];
	int lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		struct husk_err e2 = { 0 };
		if (add_env(s, p, &e2))
			return husk_error(err, 0, "invalid --env-file '%s' line %d: %s", path, lineno, e2.msg);
	}
	return 0;
}

static int parse_security_opt(struct husk_spec *s, const char *arg, struct husk_err *err)
{
	if (!strcmp(arg, "no-new-privileges") || !strcmp(arg, "no-new-privileges=true") ||
	    !strcmp(arg, "no-new-privileges:true")) {
		s->sec.no_new_privs = true;
		return 0;
	}
	if (!strcmp(arg, "seccomp=unconfined") || !strcmp(arg, "seccomp:unconfined")) {
		s->sec.seccomp_unconfined = true;
		return 0;
	}
	if (!strncmp(arg, "seccomp=", 8) || !strncmp(arg, "seccomp:", 8)) {
		free(s->sec.seccomp_profile);
		s->sec.seccomp_profile = strdup(arg + 8);
		return s->sec.seccomp_profile ? 0 : husk_error(err, ENOMEM, "--security-opt");
	}
	return husk_error(err, 0, "invalid --security-opt '%s': expected seccomp=unconfined, "
			  "seccomp=PROFILE.json or no-new-privileges", arg);
}

static int set_string(char **dst, const char *v, struct husk_err *err)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : husk_error(err, ENOMEM, "out of memory");
}

static int parse_option(struct husk_spec *s, int c, const char *arg, struct husk_err *err)
{
	int64_t v;
	switch (c) {
	case OPT_NAME:
		if (strlen(arg) >= sizeof s->name || !valid_name(arg))
			return husk_error(err, 0, "invalid --name '%s': use [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64 bytes", arg);
		strcpy(s->name, arg);
		return 0;
	case OPT_HOSTNAME:
		if (strlen(arg) >= sizeof s->hostname || !valid_hostname(arg))
			return husk_error(err, 0, "invalid --hostname '%s': use letters, digits, hyphens and dots (RFC 1123), at most 64 bytes", arg);
		strcpy(s->hostname, arg);
		return 0;
	case 'e': return add_env(s, arg, err);
	case OPT_ENV_FILE: return read_env_file(s, arg, err);
	case 'w': return set_string(&s->workdir, arg, err);
	case 'u': return set_string(&s->user, arg, err);
	case 'i': s->interactive = true; return 0;
	case 't': s->tty = true; return 0;
	case 'v':
		if (push((void **)&s->volumes, &s->n_volumes, sizeof *s->volumes) < 0)
			return husk_error(err, ENOMEM, "--volume");
		return parse_volume(arg, &s->volumes[s->n_volumes - 1], err);
	case OPT_TMPFS:
		if (push((void **)&s->tmpfs, &s->n_tmpfs, sizeof *s->tmpfs) < 0)
			return husk_error(err, ENOMEM, "--tmpfs");
		return parse_tmpfs(arg, &s->tmpfs[s->n_tmpfs - 1], err);
	case 'm':
		if (parse_size(arg, &s->res.memory))
			return husk_error(err, 0, "invalid --memory '%s': expected a size such as 512k, 100M or 1G", arg);
		return 0;
	case OPT_MEMORY_SWAP:
		if (!strcmp(arg, "-1")) {
			s->res.memory_swap = -1;
			return 0;
		}
		if (parse_size(arg, &s->res.memory_swap) || !s->res.memory_swap)
			return husk_error(err, 0, "invalid --memory-swap '%s': expected a size such as 512M, or -1", arg);
		return 0;
	case OPT_CPUS:
		if (parse_cpus(arg, &s->res.millicpus))
			return husk_error(err, 0, "invalid --cpus '%s': expected a number of CPUs > 0, such as 0.5 or 2", arg);
		return 0;
	case OPT_CPU_PCT:
		if (parse_cpu_percent(arg, &s->res.millicpus))
			return husk_error(err, 0, "invalid --cpu '%s': expected a percentage of one CPU, such as 50%%", arg);
		return 0;
	case OPT_PIDS:
		if (parse_int(arg, 1, INT32_MAX, &v))
			return husk_error(err, 0, "invalid --pids-limit '%s': expected a whole number >= 1", arg);
		s->res.pids = v;
		return 0;
	case OPT_INIT: s->init = true; return 0;
	case OPT_NO_PIVOT: s->no_pivot = true; return 0;
	case OPT_STOP_TIMEOUT:
		if (parse_int(arg, 0, 86400, &v))
			return husk_error(err, 0, "invalid --stop-timeout '%s': expected seconds, 0..86400", arg);
		s->stop_timeout = (int)v;
		return 0;
	case OPT_LOG_FILE: return set_string(&s->log_file, arg, err);
	case OPT_EXPLAIN: explain_enabled = true; return 0;
	case OPT_USERNS:
		return userns_parse_mode(arg, &s->userns, err);
	case OPT_NETWORK:
		network_given = true;
		if (!strcmp(arg, "none"))
			s->net = NET_NONE;
		else if (!strcmp(arg, "host"))
			s->net = NET_HOST;
		else if (!strcmp(arg, "bridge"))
			s->net = NET_BRIDGE;
		else if (!strcmp(arg, "slirp4netns"))
			s->net = NET_SLIRP;
		else
			return husk_error(err, 0, "invalid --network '%s': expected none, host, bridge or slirp4netns", arg);
		return 0;
	case 'p': {
		if (push((void **)&s->ports, &s->n_ports, sizeof *s->ports) < 0)
			return husk_error(err, ENOMEM, "--publish");
		struct port_map *p = &s->ports[s->n_ports - 1];
		return parse_publish(arg, p->host_ip, sizeof p->host_ip, &p->host_port, &p->ctr_port,
				     &p->proto, err);
	}
	case OPT_READ_ONLY: s->readonly_root = true; return 0;
	case OPT_CAP_ADD:
		return push_str(&s->sec.cap_add, &s->sec.n_cap_add, arg) ? husk_error(err, ENOMEM, "--cap-add") : 0;
	case OPT_CAP_DROP:
		return push_str(&s->sec.cap_drop, &s->sec.n_cap_drop, arg) ? husk_error(err, ENOMEM, "--cap-drop") : 0;
	case OPT_PRIVILEGED: s->sec.privileged = true; return 0;
	case OPT_SECURITY_OPT: return parse_security_opt(s, arg, err);
	case 'd': s->detach = true; return 0;
	case OPT_RM: s->remove = true; return 0;
	}
	return husk_error(err, 0, "unhandled option");
}

/* --restart and --log-opt: options of the monitor, not of the container */
static int parse_monitor_option(struct monitor_opts *mo, int c, const char *arg,
				struct husk_err *err)
{
	if (c == OPT_RESTART)
		return monitor_parse_restart(arg, mo, err);
	if (strncmp(arg, "max-size=", 9) || parse_size(arg + 9, &mo->log_max) || mo->log_max < 4096)
		return husk_error(err, 0, "invalid --log-opt '%s': expected max-size=SIZE, at least 4k", arg);
	return 0;
}

/* Fills s and mo from argv; 1 if --help was printed. */
static int parse_run_args(struct husk_spec *s, struct monitor_opts *mo, struct run_image_opts *io,
			  int argc, char **argv, struct husk_err *err)
{
	opterr = 0;
	optind = 1;
	int c;
	/* '+': options end at ROOTFS, so the command's own options are left alone */
	while ((c = getopt_long(argc, argv, "+e:w:u:itv:m:p:d", long_opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			run_usage(stdout);
			return 1;
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (optopt && c == '?' && strchr("ewuvmp", optopt))
				return husk_error(err, 0, "option '-%c' needs a value (see husk run --help)", optopt);
			if (optopt)
				return husk_error(err, 0, "unknown option '-%c' (see husk run --help)", optopt);
			return husk_error(err, 0, "unknown or incomplete option '%s' (see husk run --help)", bad);
		}
		if (c == OPT_ENTRYPOINT || c == OPT_OVERLAY) {
			io->overlay |= c == OPT_OVERLAY;
			io->has_entrypoint |= c == OPT_ENTRYPOINT;
			if (c == OPT_ENTRYPOINT)
				io->entrypoint = optarg;
			continue;
		}
		if (c == OPT_RESTART || c == OPT_LOG_OPT) {
			if (parse_monitor_option(mo, c, optarg, err))
				return -1;
			continue;
		}
		if (parse_option(s, c, optarg, err))
			return -1;
	}
	if (optind >= argc)
		return husk_error(err, 0, "no ROOTFS given (usage: husk run [OPTIONS] ROOTFS [COMMAND [ARG...]])");
	s->rootfs = strdup(argv[optind++]);
	static char *default_cmd[] = { "/bin/sh", NULL };
	char **cmd = optind < argc ? argv + optind : default_cmd;
	io->cmd_given = optind < argc;
	io->cmd = io->cmd_given ? argv + optind : NULL;
	size_t n = 0;
	while (cmd[n])
		n++;
	s->argv = calloc(n + 1, sizeof *s->argv);
	if (!s->rootfs || !s->argv)
		return husk_error(err, ENOMEM, "out of memory");
	memcpy(s->argv, cmd, n * sizeof *cmd);
	return 0;
}

/* A rootless run: the user-mode network stands in for the bridge; keep-id runs the
 * command as the caller's own uid and gid. */
static int rootless_defaults(struct husk_spec *s, struct husk_err *err)
{
	if (s->net == NET_BRIDGE && !network_given)
		s->net = NET_SLIRP;
	else if (s->net == NET_BRIDGE)
		return husk_error(err, 0, "--network bridge: a rootless container cannot join husk0 "
				  "(it needs root); use slirp4netns (the rootless default), none or host");
	if (s->userns == USERNS_KEEP_ID && !s->user) {
		char u[32];
		snprintf(u, sizeof u, "%u:%u", (unsigned)geteuid(), (unsigned)getegid());
		if (!(s->user = strdup(u)))
			return husk_error(err, ENOMEM, "out of memory");
	}
	return 0;
}

int cmd_run(struct husk_global *g, int argc, char **argv)
{
	struct husk_spec s;
	struct husk_err err = { 0 };
	spec_init(&s);
	snprintf(s.state_root, sizeof s.state_root, "%s", cli_root(g));
	s.rootless = rootless();
	struct monitor_opts mo = { 0 };
	struct run_image_opts io = { .g = g };
	int r = parse_run_args(&s, &mo, &io, argc, argv, &err);
	if (r == 0 && s.rootless)
		r = rootless_defaults(&s, &err);
	if (r == 1) {
		spec_free(&s);
		return 0;
	}
	/* --init keeps husk code in the container as PID 1: run from a sealed copy */
	if (r == 0 && s.init && sealed_exe_reexec(&err))
		r = -1;
	if (r == 0 && !s.detach && (mo.restart != RESTART_NO || mo.log_max))
		r = husk_error(&err, 0, "invalid --%s without -d: a foreground container has no monitor",
			       mo.log_max ? "log-opt" : "restart");
	if (r == 0 && s.remove && mo.restart != RESTART_NO)
		r = husk_error(&err, 0, "invalid --restart with --rm: a removed container cannot restart");
	int code = -1;
	struct husk_plan plan;
	plan_init(&plan);
	if (r == 0 && run_image_apply(&s, &io, &err) == 0 && spec_validate(&s, &err) == 0 &&
	    plan_prepare(&plan, &s, &err) == 0) {
		if (!s.detach)
			code = container_run(&s, &plan, &err);
		else if ((code = monitor_run_detached(&s, &plan, &mo, &err)) == 0)
			printf("%s\n", s.name);
	}
	plan_free(&plan);
	spec_free(&s);
	if (code < 0)
		return husk_error_print(&err);
	return code;
}
