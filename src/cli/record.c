#include "cli/record.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#include "engine/state.h"
#include "linux/userns/rootless.h"
#include "spec.h"
#include "util/error.h"
#include "util/parse.h"

const char *cli_root(const struct husk_global *g)
{
	/* root: /run/husk; a rootless husk: the user's own ($XDG_RUNTIME_DIR/husk) */
	static char root[256];
	if (g->state_root)
		return g->state_root;
	struct husk_err err = { 0 };
	if (!root[0] && rootless_state_root(root, sizeof root, &err) < 0) {
		husk_error_print(&err); /* every command needs it: nothing to go on with */
		exit(HUSK_EXIT_FAILURE);
	}
	return root;
}

static enum ctr_state derive_state(json_object *rec, bool owner_alive)
{
	const char *st = state_get_str(rec, "status", "created");
	/* a container of `husk create` has no husk process: its init alive is its state */
	if (!strcmp(state_get_str(rec, "face", ""), "oci") && !owner_alive) {
		pid_t pid = (pid_t)state_get_int(rec, "pid", 0);
		if (pid <= 0 || state_pid_start(pid) != (unsigned long long)state_get_int(rec, "pid_start", 0))
			return CTR_EXITED;
		return strcmp(st, "running") ? CTR_CREATED : CTR_RUNNING;
	}
	if (!strcmp(st, "exited"))
		return CTR_EXITED;
	if (!owner_alive)
		return CTR_MONITOR_DIED;
	if (!strcmp(st, "running"))
		return CTR_RUNNING;
	if (!strcmp(st, "restarting"))
		return CTR_RESTARTING;
	return CTR_CREATED;
}

/* 0, or -1 if there is no such directory. */
static int load(const char *root, const char *name, struct ctr_record *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	snprintf(c->dir, sizeof c->dir, "%s/%s", root, name);
	if (access(c->dir, F_OK) < 0)
		return -1;
	/* the owner first: a record read after it is at least as new as that answer */
	bool alive = state_owner_alive(c->dir);
	c->rec = state_read(c->dir);
	c->state = derive_state(c->rec, alive);
	c->detached = state_get_bool(c->rec, "detached");
	if (alive)
		c->owner = (pid_t)state_get_int(c->rec, "husk_pid", 0);
	if (c->state == CTR_RUNNING || c->state == CTR_MONITOR_DIED)
		c->pid = (pid_t)state_get_int(c->rec, "pid", 0);
	/* a PID 1 that outlived its monitor (an exec that cleared its parent-death
	 * signal: setuid, file capabilities) is shown, and stays killable */
	if (c->state == CTR_MONITOR_DIED && c->pid > 0 &&
	    state_pid_start(c->pid) != (unsigned long long)state_get_int(c->rec, "pid_start", 0))
		c->pid = 0;
	return 0;
}

int ctr_open(const struct husk_global *g, const char *name, struct ctr_record *c)
{
	/* a valid name cannot climb out of the state root */
	if (strlen(name) > 64 || !valid_name(name) || load(cli_root(g), name, c) < 0) {
		memset(c, 0, sizeof *c);
		husk_warn("no such container: %s", name);
		return -1;
	}
	return 0;
}

void ctr_close(struct ctr_record *c)
{
	if (c->rec)
		json_object_put(c->rec);
	c->rec = NULL;
}

static int by_created(const void *a, const void *b)
{
	const struct ctr_record *x = a, *y = b;
	int64_t tx = state_get_int(x->rec, "created", 0), ty = state_get_int(y->rec, "created", 0);
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(x->name, y->name);
}

int ctr_list(const struct husk_global *g, struct ctr_record **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(cli_root(g));
	if (!d)
		return errno == ENOENT ? 0 : -1;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR || strlen(de->d_name) > 64)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct ctr_record *v = realloc(*out, cap * sizeof *v);
			if (!v)
				break;
			*out = v;
		}
		if (load(cli_root(g), de->d_name, &(*out)[*n]) == 0)
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof **out, by_created);
	return 0;
}

void ctr_list_free(struct ctr_record *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctr_close(&v[i]);
	free(v);
}

bool ctr_is_active(const struct ctr_record *c)
{
	return c->state == CTR_CREATED || c->state == CTR_RUNNING || c->state == CTR_RESTARTING;
}

const char *ctr_state_name(enum ctr_state s)
{
	switch (s) {
	case CTR_CREATED: return "created";
	case CTR_RUNNING: return "running";
	case CTR_RESTARTING: return "restarting";
	case CTR_EXITED: return "exited";
	default: return "monitor died";
	}
}

void ctr_status_text(const struct ctr_record *c, char *buf, size_t len)
{
	char ago[64];
	switch (c->state) {
	case CTR_EXITED:
		format_ago(state_get_int(c->rec, "finished_at", 0), ago, sizeof ago);
		snprintf(buf, len, "exited (%lld) %s", (long long)state_get_int(c->rec, "exit_code", 0),
			 ago);
		break;
	case CTR_RESTARTING:
		snprintf(buf, len, "restarting (%lld)", (long long)state_get_int(c->rec, "exit_code", 0));
		break;
	default:
		snprintf(buf, len, "%s", ctr_state_name(c->state));
	}
}

void format_ago(int64_t when, char *buf, size_t len)
{
	static const struct { int64_t secs; const char *unit; } units[] = {
		{ 86400 * 365, "year" }, { 86400 * 30, "month" }, { 86400 * 7, "week" },
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" },
	};
	if (when <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	/* after the check: now - a positive time cannot overflow (INT64_MIN did) */
	int64_t d = (int64_t)time(NULL) - when;
	if (d < 1) {
		snprintf(buf, len, "less than a second ago");
		return;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (d >= units[i].secs) {
			long long k = (long long)(d / units[i].secs);
			snprintf(buf, len, "%lld %s%s ago", k, units[i].unit, k == 1 ? "" : "s");
			return;
		}
}

void format_time(int64_t when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;
	if (when <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}

void format_bytes(double b, char *buf, size_t len)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t i = 0;
	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.4g%s" : "%.0f%s", b, u[i]);
}

int ctr_pid1_fd(const struct ctr_record *c)
{
	return state_pidfd(c->pid, (unsigned long long)state_get_int(c->rec, "pid_start", 0));
}

int ctr_owner_fd(const struct ctr_record *c)
{
	if (c->owner <= 0)
		return -1;
	int fd = pidfd_open(c->owner, 0);
	/* the owner holds the lock as long as it lives, so while it still does, the pid
	 * recorded (and opened above) is the owner's */
	if (fd >= 0 && !state_owner_alive(c->dir)) {
		close(fd);
		return -1;
	}
	return fd;
}

int ctr_tell_monitor(int owner_fd, int sig, int value)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	return pidfd_send_signal(owner_fd, sig, &si, 0);
}

int parse_signal(const char *s)
{
	char *end;
	if (isdigit((unsigned char)s[0])) {
		long v = strtol(s, &end, 10);
		return !*end && v > 0 && v < NSIG ? (int)v : -1;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
		bool min = !strncasecmp(s, "RTMIN", 5);
		long off = 0;
		if (s[5] && ((s[5] != '+' && s[5] != '-') || (off = strtol(s + 5, &end, 10), *end)))
			return -1;
		if (off < -NSIG || off > NSIG) /* RTMIN+9223372036854775807 overflowed the sum */
			return -1;
		long v = (min ? SIGRTMIN : SIGRTMAX) + off;
		return v >= SIGRTMIN && v <= SIGRTMAX ? (int)v : -1;
	}
	for (int i = 1; i < SIGRTMIN; i++) {
		const char *abbrev = sigabbrev_np(i);
		if (abbrev && !strcasecmp(s, abbrev))
			return i;
	}
	return -1;
}

int ctr_not_running(const struct ctr_record *c)
{
	husk_warn("container %s is not running (%s)", c->name, ctr_state_name(c->state));
	return 1;
}
