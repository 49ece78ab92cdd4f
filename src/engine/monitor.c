/* The monitor of a detached container: see monitor.h. Its life, in order:
 * fork from `husk run -d` -> new session -> state dir and lock -> start the container
 * -> tell `husk run -d` (which prints the name and exits) -> event loop (PID 1's exit,
 * log pipes, stop/kill requests) -> record the exit -> restart after a back-off, or
 * end: remove everything (--rm) or leave the stopped container's record. */
#include "engine/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/container.h"
#include "engine/state.h"
#include "engine/wait.h"
#include "util/fs.h"
#include "util/cleanup.h"

struct monitor {
	struct husk_spec *s;
	const struct husk_plan *plan;
	struct monitor_opts o;
	struct container c;
	sigset_t saved_mask;
	char dir[300];
	int lock_fd;
	int notify_fd; /* to `husk run -d` until the first start; then -1 */
	int log_fd;
	int64_t log_size;
	int sfd, tfd, ep;
	bool running;  /* PID 1 runs (c.pid) */
	bool stopping; /* a stop was asked for: no restart */
	int restarts;
	uint64_t started_ms;
};

/* What the monitor tells `husk run -d`: code 0 = running, else why not. */
struct notify_msg {
	int32_t code;
	char msg[sizeof ((struct husk_err *)0)->msg]; /* a whole husk_err message */
};

int monitor_parse_restart(const char *arg, struct monitor_opts *o, struct husk_err *err)
{
	o->max_retries = 0;
	if (!strcmp(arg, "no")) {
		o->restart = RESTART_NO;
		return 0;
	}
	if (!strcmp(arg, "always")) {
		o->restart = RESTART_ALWAYS;
		return 0;
	}
	if (!strncmp(arg, "on-failure", 10) && (arg[10] == '\0' || arg[10] == ':')) {
		o->restart = RESTART_ON_FAILURE;
		if (arg[10] == '\0')
			return 0;
		char *end;
		errno = 0;
		long n = strtol(arg + 11, &end, 10);
		if (arg[11] && !*end && !errno && n >= 0 && n <= INT_MAX) {
			o->max_retries = (int)n;
			return 0;
		}
	}
	return husk_error(err, 0, "invalid --restart '%s': expected no, on-failure[:N] or always", arg);
}

static void monitor_restart_name(const struct monitor_opts *o, char *buf, size_t len)
{
	if (o->restart == RESTART_ALWAYS)
		snprintf(buf, len, "always");
	else if (o->restart == RESTART_ON_FAILURE && o->max_retries)
		snprintf(buf, len, "on-failure:%d", o->max_retries);
	else if (o->restart == RESTART_ON_FAILURE)
		snprintf(buf, len, "on-failure");
	else
		snprintf(buf, len, "no");
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void notify(struct monitor *m, const struct husk_err *err)
{
	if (m->notify_fd < 0)
		return;
	struct notify_msg msg = { 0 };
	if (err) {
		msg.code = err->exit_code ? err->exit_code : HUSK_EXIT_FAILURE;
		snprintf(msg.msg, sizeof msg.msg, "%s", err->msg);
	}
	write_all(m->notify_fd, (const char *)&msg, sizeof msg);
	close(m->notify_fd);
	m->notify_fd = -1;
}

/* ---- the log: container.log, rotated to container.log.1 past log_max ---- */

static int log_open(struct monitor *m)
{
	char path[400];
	snprintf(path, sizeof path, "%s/" MONITOR_LOG_NAME, m->dir);
	m->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	m->log_size = 0;
	return m->log_fd;
}

static void log_rotate(struct monitor *m)
{
	char from[400], to[400];
	snprintf(from, sizeof from, "%s/" MONITOR_LOG_NAME, m->dir);
	snprintf(to, sizeof to, "%s/" MONITOR_LOG_NAME ".1", m->dir);
	int old = m->log_fd;
	if (rename(from, to) < 0 || log_open(m) < 0) {
		/* cannot rotate: start the file over rather than grow without bound */
		m->log_fd = old;
		(void)!ftruncate(old, 0);
		m->log_size = 0;
		return;
	}
	close(old);
	if (m->notify_fd < 0)
		dup2(m->log_fd, STDERR_FILENO); /* the monitor's own warnings go there too */
}

/* Never more than log_max in a file: what does not fit goes to a fresh one, cut
 * after the last whole line that fits (a longer line is cut where the file is full). */
static void log_append(struct monitor *m, const char *buf, size_t n)
{
	if (m->c.io.log_fd >= 0) /* --log-file: a copy, not capped */
		write_all(m->c.io.log_fd, buf, n);
	while (n > 0) {
		size_t room = m->log_size < m->o.log_max ? (size_t)(m->o.log_max - m->log_size) : 0;
		size_t k = n;
		if (k > room) {
			const char *nl = room ? memrchr(buf, '\n', room) : NULL;
			k = nl ? (size_t)(nl - buf) + 1 : m->log_size ? 0 : room;
		}
		if (k == 0) {
			log_rotate(m);
			continue;
		}
		write_all(m->log_fd, buf, k);
		m->log_size += (int64_t)k;
		buf += k;
		n -= k;
	}
}

/* -1 once fd is at EOF (or broken). */
static int pump(struct monitor *m, int fd)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	log_append(m, buf, (size_t)n);
	return 0;
}

/* ---- requests and signals ---- */

static void arm_timer(struct monitor *m, uint64_t ms)
{
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ms / 1000),
						.tv_nsec = (long)(ms % 1000) * 1000000 + 1 } };
	timerfd_settime(m->tfd, 0, &its, NULL);
}

static void disarm_timer(struct monitor *m)
{
	struct itimerspec its = { 0 };
	uint64_t x;
	(void)!read(m->tfd, &x, sizeof x); /* non-blocking: clears a pending expiry */
	timerfd_settime(m->tfd, 0, &its, NULL);
}

static void request_stop(struct monitor *m, int grace)
{
	m->stopping = true;
	if (!m->running)
		return;
	if (grace < 0)
		grace = m->s->stop_timeout;
	if (grace == 0) {
		kill(m->c.pid, SIGKILL);
		return;
	}
	kill(m->c.pid, SIGTERM);
	arm_timer(m, (uint64_t)grace * 1000);
}

static void on_signal(struct monitor *m)
{
	struct signalfd_siginfo si;
	if (read(m->sfd, &si, sizeof si) != sizeof si)
		return;
	bool queued = si.ssi_code == SI_QUEUE;
	int sig = (int)si.ssi_signo;
	if (sig == SIGTERM || sig == SIGINT) {
		request_stop(m, queued ? si.ssi_int : -1);
	} else if (sig == MONITOR_SIG_KILL && queued && si.ssi_int > 0 && si.ssi_int < NSIG) {
		if (si.ssi_int == SIGKILL || si.ssi_int == SIGTERM || si.ssi_int == SIGINT)
			m->stopping = true;
		if (m->running)
			kill(m->c.pid, si.ssi_int);
	}
	/* SIGCHLD: waitpid in the loop; the rest (SIGHUP ...) means nothing here */
}

/* ---- one run of the container ---- */

static int add_fd(struct monitor *m, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return fd < 0 ? 0 : epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void drain(struct monitor *m, int fd)
{
	if (fd < 0)
		return;
	epoll_ctl(m->ep, EPOLL_CTL_DEL, fd, NULL);
	/* PID 1 is gone and with it its PID namespace: what is left ends at EOF (a pty
	 * may say EIO instead); non-blocking in case a write end lives on somewhere */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			log_append(m, buf, (size_t)n);
}

/* Until PID 1 exits: its exit code. */
static int monitor_wait(struct monitor *m)
{
	struct io *io = &m->c.io;
	int fds[] = { io->out_r, io->err_r, io->master };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		add_fd(m, fds[i]);
	int status = 0;
	for (;;) {
		pid_t r = waitpid(m->c.pid, &status, WNOHANG);
		if (r == m->c.pid || (r < 0 && errno == ECHILD))
			break;
		struct epoll_event evs[8];
		int n = epoll_wait(m->ep, evs, 8, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == m->sfd) {
				on_signal(m);
			} else if (fd == m->tfd) {
				disarm_timer(m);
				kill(m->c.pid, SIGKILL); /* the stop's grace period is over */
			} else if (pump(m, fd) < 0) {
				epoll_ctl(m->ep, EPOLL_CTL_DEL, fd, NULL);
			}
		}
	}
	m->running = false;
	m->c.pid = 0;
	disarm_timer(m);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		drain(m, fds[i]);
	return wait_exit_code(status);
}

static bool want_restart(const struct monitor *m, int code)
{
	if (m->stopping)
		return false;
	switch (m->o.restart) {
	case RESTART_ALWAYS:
		return true;
	case RESTART_ON_FAILURE:
		return code != 0 && (!m->o.max_retries || m->restarts < m->o.max_retries);
	default:
		return false;
	}
}

/* docker's back-off: 100 ms, doubled at each restart up to a minute, back to 100 ms
 * after a run of 10 s or more. False if a stop came meanwhile. */
static bool backoff(struct monitor *m, int *level)
{
	if (now_ms() - m->started_ms >= 10000)
		*level = 0;
	uint64_t ms = 100ULL << (*level < 10 ? *level : 10);
	if (ms > 60000)
		ms = 60000;
	(*level)++;
	arm_timer(m, ms);
	while (!m->stopping) {
		struct epoll_event ev;
		if (epoll_wait(m->ep, &ev, 1, -1) < 1)
			continue;
		if (ev.data.fd == m->sfd) {
			on_signal(m);
		} else if (ev.data.fd == m->tfd) {
			disarm_timer(m);
			return true;
		}
	}
	disarm_timer(m);
	return false;
}

/* Starts the container once; 0 when PID 1 runs. */
static int start_once(struct monitor *m, struct husk_err *err)
{
	struct container *c = &m->c;
	container_init(c, m->s, m->plan);
	c->keep_state = true;
	c->capture = true;
	c->lock_fd = m->lock_fd;
	c->saved_mask = m->saved_mask;
	snprintf(c->state_dir, sizeof c->state_dir, "%s", m->dir);
	if (container_launch(c, err))
		return -1;
	m->running = true;
	m->started_ms = now_ms();
	return 0;
}

/* ---- what the monitor adds to state.json ---- */

struct record_args {
	const struct monitor *m;
	int code;
	bool oom;
	const char *status;
	const char *error;
};

static void edit_created(json_object *o, void *arg)
{
	const struct record_args *a = arg;
	const struct monitor *m = a->m;
	char restart[32], log[400];
	monitor_restart_name(&m->o, restart, sizeof restart);
	snprintf(log, sizeof log, "%s/" MONITOR_LOG_NAME, m->dir);
	json_object_object_add(o, "name", json_object_new_string(m->s->name));
	json_object_object_add(o, "status", json_object_new_string("created"));
	json_object_object_add(o, "detached", json_object_new_boolean(1));
	json_object_object_add(o, "husk_pid", json_object_new_int(getpid()));
	json_object_object_add(o, "created", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "restart_policy", json_object_new_string(restart));
	json_object_object_add(o, "restart_count", json_object_new_int(0));
	json_object_object_add(o, "log_path", json_object_new_string(log));
	json_object_object_add(o, "log_max", json_object_new_int64(m->o.log_max));
	json_object_object_add(o, "config", state_config_json(m->s));
}

static void edit_exited(json_object *o, void *arg)
{
	const struct record_args *a = arg;
	json_object_object_add(o, "status", json_object_new_string(a->status));
	json_object_object_add(o, "pid", json_object_new_int(0));
	json_object_object_add(o, "exit_code", json_object_new_int(a->code));
	json_object_object_add(o, "oom_killed", json_object_new_boolean(a->oom));
	json_object_object_add(o, "finished_at", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "restart_count", json_object_new_int(a->m->restarts));
	if (a->error)
		json_object_object_add(o, "error", json_object_new_string(a->error));
}

static void edit_restarting(json_object *o, void *arg)
{
	const struct record_args *a = arg;
	json_object_object_add(o, "restart_count", json_object_new_int(a->m->restarts));
}

static void edit_final(json_object *o, void *arg)
{
	(void)arg;
	json_object_object_add(o, "status", json_object_new_string("exited"));
	json_object_object_add(o, "cleaned", json_object_new_boolean(1));
}

static void record(struct monitor *m, void (*edit)(json_object *, void *), int code,
		   const char *status, const char *error)
{
	struct record_args a = { m, code, m->c.oom, status, error };
	struct husk_err err = { 0 };
	if (state_update(m->dir, edit, &a, &err))
		husk_error_print(&err); /* into the log: the monitor has no terminal */
}

/* ---- the monitor process ---- */

static int setup_events(struct monitor *m, struct husk_err *err)
{
	sigset_t blocked;
	sigprocmask(SIG_BLOCK, NULL, &blocked);
	m->sfd = signalfd(-1, &blocked, SFD_CLOEXEC);
	m->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	m->ep = epoll_create1(EPOLL_CLOEXEC);
	if (m->sfd < 0 || m->tfd < 0 || m->ep < 0 || add_fd(m, m->sfd) < 0 || add_fd(m, m->tfd) < 0)
		return husk_error(err, errno, "monitor: event loop");
	return 0;
}

static int setup_state(struct monitor *m, struct husk_err *err)
{
	if (state_create(m->s, m->dir, sizeof m->dir, &m->lock_fd, err))
		return -1;
	if (log_open(m) < 0) {
		husk_error(err, errno, "%s/" MONITOR_LOG_NAME, m->dir);
		state_remove(m->dir, m->lock_fd);
		return -1;
	}
	struct record_args a = { .m = m };
	if (state_update(m->dir, edit_created, &a, err)) {
		state_remove(m->dir, m->lock_fd);
		return -1;
	}
	return 0;
}

/* A session of its own, no terminal, nothing of the caller's but fds 0-2 (kept until
 * the container runs, so --explain and errors still reach the user). */
static void detach_process(struct monitor *m)
{
	setsid();
	if (m->notify_fd < 3) {
		int fd = fcntl(m->notify_fd, F_DUPFD_CLOEXEC, 3);
		m->notify_fd = fd;
	}
	if (m->notify_fd > 3)
		syscall(SYS_close_range, 3, m->notify_fd - 1, 0);
	syscall(SYS_close_range, m->notify_fd + 1, ~0U, 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	if (chdir("/") < 0) {
		/* nothing: the monitor only uses absolute paths */
	}
}

/* Once the container runs: the caller's stdout and stderr go (so a `$(husk run -d)`
 * ends); the monitor's own warnings land in the container's log. */
static void leave_terminal(struct monitor *m)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	dup2(m->log_fd, STDERR_FILENO);
}

static void run_loop(struct monitor *m)
{
	int level = 0;
	for (;;) {
		struct husk_err err = { 0 };
		if (start_once(m, &err) < 0) {
			if (m->notify_fd >= 0) { /* the first start: undo all, say why */
				state_remove(m->dir, m->lock_fd);
				notify(m, &err);
				_exit(HUSK_EXIT_FAILURE);
			}
			record(m, edit_exited, err.exit_code ? err.exit_code : HUSK_EXIT_FAILURE,
			       "exited", err.msg);
			return;
		}
		if (m->notify_fd >= 0) {
			leave_terminal(m);
			notify(m, NULL);
		}
		int code = container_finish(&m->c, monitor_wait(m));
		bool again = want_restart(m, code);
		record(m, edit_exited, code, again ? "restarting" : "exited", NULL);
		if (!again || !backoff(m, &level))
			return;
		m->restarts++;
		record(m, edit_restarting, code, NULL, NULL);
	}
}

__attribute__((noreturn)) static void monitor_main(struct husk_spec *s,
						   const struct husk_plan *p,
						   const struct monitor_opts *o, int notify_fd)
{
	struct monitor m = { .s = s, .plan = p, .o = *o, .notify_fd = notify_fd, .lock_fd = -1,
			     .log_fd = -1, .sfd = -1, .tfd = -1, .ep = -1 };
	if (m.o.log_max <= 0)
		m.o.log_max = MONITOR_LOG_MAX_DEFAULT;
	detach_process(&m);
	container_block_signals(&m.saved_mask);
	struct husk_err err = { 0 };
	if (setup_events(&m, &err) || setup_state(&m, &err)) {
		notify(&m, &err);
		_exit(HUSK_EXIT_FAILURE);
	}
	run_loop(&m);
	if (s->remove)
		state_remove(m.dir, m.lock_fd);
	else {
		record(&m, edit_final, 0, NULL, NULL);
		state_mark_cleaned(m.dir);
	}
	_exit(0); /* drops the lock: the record now belongs to `husk rm` */
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int monitor_run_detached(struct husk_spec *s, const struct husk_plan *plan,
			 const struct monitor_opts *o, struct husk_err *err)
{
	/* the monitor works from /: a relative --log-file must not change meaning */
	if (s->log_file && s->log_file[0] != '/') {
		char *abs = realpath(".", NULL), *joined = NULL;
		if (!abs || asprintf(&joined, "%s/%s", abs, s->log_file) < 0) {
			free(abs);
			return husk_error(err, errno, "invalid --log-file '%s'", s->log_file);
		}
		free(abs);
		free(s->log_file);
		s->log_file = joined;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return husk_error(err, errno, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return husk_error(err, errno, "fork (the container's monitor)");
	}
	if (pid == 0) {
		close(p[0]);
		monitor_main(s, plan, o, p[1]);
	}
	close(p[1]);
	struct notify_msg msg;
	ssize_t n = read_full(p[0], &msg, sizeof msg);
	close(p[0]);
	if (n == (ssize_t)sizeof msg && msg.code == 0)
		return 0; /* the monitor lives on; `husk run -d` may go */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof msg)
		return husk_error_code(err, msg.code, 0, "%s", msg.msg);
	return husk_error(err, 0, "container %s: its monitor died while starting it", s->name);
}
