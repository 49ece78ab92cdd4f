/* husk exec [-i] [-t] [-e KEY=VAL] [-w DIR] [-u USER] NAME CMD [ARG...]: runs a
 * command inside a running container, as runc exec does:
 *
 *   husk (stays on the host: relays the pty, forwards signals, reports the status)
 *    `- A: joins the container's cgroup, then setns(pidfd, every namespace it has)
 *          and chroot to its root (/proc/PID/root: right with --no-pivot too)
 *          `- B = clone(CLONE_PARENT): a child of husk, inside the PID namespace;
 *                 the container's user, workdir, capabilities, no_new_privs and
 *                 seccomp filter (rebuilt from its record), then execve
 *
 * The masked and read-only paths are mounts of the container's mount namespace, so
 * B, joining it, is under them already (mounting them again would stack copies). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "linux/userns/userns.h"
#include "engine/container.h"
#include "engine/state.h"
#include "engine/sync.h"
#include "linux/security/caps.h"
#include "linux/security/sealed_exe.h"
#include "linux/security/seccomp/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/passwd.h"

extern char **environ;

struct exec_ctx {
	struct ctr ct;
	struct husk_spec spec;
	struct container c; /* for container_wait: pid = B, io, grace period */
	int pidfd;          /* PID 1 */
	int root_fd;        /* /proc/PID1/root */
	int ns_flags;
	int sock[2];        /* the handshake with A and B (sync.h) */
	int pid_pipe[2];    /* A -> husk: B's pid */
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
	for (*n = 0; *n < len; (*n)++)
		if (!((*out)[*n] = strdup(json_object_get_string(json_object_array_get_idx(a, *n)))))
			return -1;
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
	size_t n = env ? json_object_array_length(env) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *kv = json_object_get_string(json_object_array_get_idx(env, i));
		char key[256];
		snprintf(key, sizeof key, "%.*s", (int)strcspn(kv, "="), kv);
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

/* The namespaces PID 1 has that we do not: those exec joins. */
static int ns_flags_of(pid_t pid)
{
	static const struct { const char *name; int flag; } ns[] = {
		{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },   { "uts", CLONE_NEWUTS },
		{ "ipc", CLONE_NEWIPC },   { "net", CLONE_NEWNET },  { "pid", CLONE_NEWPID },
		{ "cgroup", CLONE_NEWCGROUP },
	};
	int flags = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		char theirs[64], ours[64];
		struct stat a, b;
		snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, ns[i].name);
		snprintf(ours, sizeof ours, "/proc/self/ns/%s", ns[i].name);
		if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 &&
		    (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
			flags |= ns[i].flag;
	}
	return flags;
}

/* A: moves itself into every cgroup directory of the container. */
static int join_cgroup(json_object *rec, struct husk_err *err)
{
	json_object *cg = field(rec, "cgroup");
	json_object *paths = field(cg, "paths");
	const char *v2 = state_get_str(cg, "path", NULL);
	char file[400];
	if (v2) {
		snprintf(file, sizeof file, "%s/cgroup.procs", v2);
		return write_file(file, "0") < 0 ? husk_error(err, errno, "exec: joining %s", v2) : 0;
	}
	json_object_object_foreach(paths, key, val) {
		(void)key;
		snprintf(file, sizeof file, "%s/cgroup.procs", json_object_get_string(val));
		if (write_file(file, "0") < 0)
			return husk_error(err, errno, "exec: joining %s", json_object_get_string(val));
	}
	return 0;
}

__attribute__((noreturn)) static void fail(int sock, struct husk_err *err)
{
	sync_send_error(sock, err);
	_exit(err->exit_code ? err->exit_code : HUSK_EXIT_FAILURE);
}

/* B, as root still: TERM for a terminal, then the user as the container's process. */
static int become_user(struct husk_spec *s, struct husk_err *err)
{
	if (s->tty && !spec_getenv(s, "TERM") && spec_setenv(s, "TERM=xterm", err))
		return -1;
	return child_set_user(s, err);
}

/* B: inside every namespace; the same steps as the container's own process
 * (child.c), in the same order, then the command. */
__attribute__((noreturn)) static void exec_child(struct exec_ctx *x, int sock)
{
	struct husk_spec *s = &x->spec;
	struct husk_err err = { 0 };
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* ends with the husk exec that relays it */
	if (io_child_setup(&x->c.io, s, sock, &err) || become_user(s, &err))
		fail(sock, &err);
	if (child_enter_workdir(s, &err))
		fail(sock, &err);
	if (child_drop_privileges(s, &err))
		fail(sock, &err);
	child_reset_signals(); /* the command starts as the container's did */
	if (seccomp_apply(s, &err))
		fail(sock, &err);
	environ = s->env; /* execvp looks the command up in the container's PATH */
	execvp(s->argv[0], s->argv);
	if (errno == ENOENT)
		husk_error_code(&err, HUSK_EXIT_NOT_FOUND, 0,
				"command not found: '%s' (not in the container's PATH)", s->argv[0]);
	else
		husk_error_code(&err, HUSK_EXIT_CANNOT_EXEC, errno, "cannot execute '%s'", s->argv[0]);
	fail(sock, &err);
}

/* A: cgroup, namespaces, root; then B, a child of husk, and A is done. */
__attribute__((noreturn)) static void exec_joiner(struct exec_ctx *x)
{
	int sock = x->sock[1];
	struct husk_err err = { 0 };
	close(x->sock[0]);
	close(x->pid_pipe[0]);
	if (join_cgroup(x->ct.rec, &err))
		fail(sock, &err);
	if (setns(x->pidfd, x->ns_flags) < 0) {
		husk_error(&err, errno, "exec: setns into the namespaces of %s", x->ct.name);
		fail(sock, &err);
	}
	if (fchdir(x->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		husk_error(&err, errno, "exec: chroot into the root of %s", x->ct.name);
		fail(sock, &err);
	}
	/* in the container's user namespace we are still the host's uid 0 (unmapped
	 * there): become the namespace's root, as the container's own process did */
	if ((x->ns_flags & CLONE_NEWUSER) && userns_become_root(&err))
		fail(sock, &err);
	pid_t b = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
	if (b == 0)
		exec_child(x, sock);
	if (b < 0) {
		husk_error(&err, errno, "exec: clone in the container of %s", x->ct.name);
		fail(sock, &err);
	}
	(void)!write(x->pid_pipe[1], &b, sizeof b);
	_exit(0);
}

/* husk: B's pid from A, then B's messages until its execve closes the socket. */
static int exec_handshake(struct exec_ctx *x, pid_t a, struct husk_err *err)
{
	pid_t b = 0;
	ssize_t n = read(x->pid_pipe[0], &b, sizeof b);
	while (waitpid(a, NULL, 0) < 0 && errno == EINTR)
		;
	if (n == sizeof b)
		x->c.pid = b;
	for (;;) {
		struct sync_msg m;
		int fd = -1;
		int r = sync_recv(x->sock[0], &m, &fd);
		if (r == 0)
			return x->c.pid > 0 ? 0 : husk_error(err, 0, "exec: the command did not start");
		if (r < 0)
			return husk_error(err, errno, "exec: reading from the command's setup");
		if (m.type == SYNC_PTY_MASTER && fd >= 0) {
			io_set_master(&x->c.io, fd);
		} else if (m.type == SYNC_ERROR) {
			husk_error_code(err, m.exit_code ? m.exit_code : HUSK_EXIT_FAILURE, 0, "%s", m.msg);
			return -1;
		}
	}
}

static int exec_start(struct exec_ctx *x, struct husk_err *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sock) < 0 ||
	    pipe2(x->pid_pipe, O_CLOEXEC) < 0)
		return husk_error(err, errno, "exec: socketpair");
	pid_t a = fork();
	if (a < 0)
		return husk_error(err, errno, "exec: fork");
	if (a == 0)
		exec_joiner(x);
	close(x->sock[1]);
	close(x->pid_pipe[1]);
	int r = exec_handshake(x, a, err);
	close(x->sock[0]);
	close(x->pid_pipe[0]);
	if (r < 0 && x->c.pid > 0) { /* B failed: it has exited, or is about to */
		while (waitpid(x->c.pid, NULL, 0) < 0 && errno == EINTR)
			;
		x->c.pid = 0;
	}
	return r;
}

/* Everything before A forks: the container, its PID 1, its root, its profile. */
static int exec_prepare(struct exec_ctx *x, struct husk_err *err)
{
	if (x->ct.state != CTR_RUNNING || (x->pidfd = ctr_pid1_fd(&x->ct)) < 0) {
		husk_error_code(err, 1, 0, "container %s is not running (%s): cannot exec in it",
				x->ct.name, ctr_state_name(x->ct.state));
		return -1;
	}
	char root[64];
	snprintf(root, sizeof root, "/proc/%d/root", (int)x->ct.pid);
	x->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	x->ns_flags = ns_flags_of(x->ct.pid);
	/* checked again after the opens: still the same PID 1 */
	if (x->root_fd < 0 || state_pid_start(x->ct.pid) !=
			      (unsigned long long)state_get_int(x->ct.rec, "pid_start", 0))
		return husk_error_code(err, 1, 0, "container %s is not running", x->ct.name);
	if (spec_from_record(&x->spec, x->ct.rec, err) || caps_validate(&x->spec, err) ||
	    seccomp_validate(&x->spec, err))
		return -1;
	x->c.spec = &x->spec;
	x->c.io.stdin_open = x->spec.tty && x->spec.interactive;
	return 0;
}

int cmd_exec(struct husk_global *g, int argc, char **argv)
{
	struct exec_ctx x = { .pidfd = -1, .root_fd = -1 };
	struct husk_err err = { 0 };
	spec_init(&x.spec);
	container_init(&x.c, &x.spec);
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
	if (r == 0 && exec_prepare(&x, &err) == 0) {
		container_block_signals(&x.c.saved_mask);
		if (exec_start(&x, &err) == 0)
			code = container_wait(&x.c);
	}
	io_close(&x.c.io);
	if (x.pidfd >= 0)
		close(x.pidfd);
	if (x.root_fd >= 0)
		close(x.root_fd);
	ctr_close(&x.ct);
	spec_free(&x.spec);
	return code < 0 ? husk_error_print(&err) : code;
}
