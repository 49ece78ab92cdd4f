/* husk logs [-f] [--tail N] NAME: what a detached container wrote on stdout and
 * stderr, as its monitor stored it (container.log.1, then container.log). -f follows
 * new output (inotify) until the container's monitor ends. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "engine/monitor.h"
#include "engine/state.h"
#include "util/fs.h"
#include "util/cleanup.h"
#include "util/parse.h"
#include "util/path.h"

static void logs_usage(FILE *out)
{
	fputs("Usage: husk logs [-f] [--tail N] NAME\n\n"
	      "Print the output (stdout and stderr) of a detached container.\n\n"
	      "  -f, --follow    keep printing new output until the container stops\n"
	      "  -n, --tail N    only the last N lines\n"
	      "      --help      print this help\n",
	      out);
}

struct log_file {
	int fd;
	const char *data; /* mapped, or NULL when empty */
	size_t len;
};

static void map_file(const char *path, struct log_file *f)
{
	f->data = NULL;
	f->len = 0;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (f->fd < 0 || fstat(f->fd, &st) < 0 || st.st_size == 0)
		return;
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, f->fd, 0);
	if (p == MAP_FAILED)
		return;
	f->data = p;
	f->len = (size_t)st.st_size;
}

/* start[i]: where f[i] begins to be printed so that the last n lines of the two
 * files, read one after the other, come out (n < 0: everything). */
static void tail_starts(const struct log_file f[2], int64_t n, size_t start[2])
{
	start[0] = start[1] = 0;
	if (n < 0)
		return;
	start[0] = f[0].len;
	start[1] = f[1].len;
	bool trailing = true; /* the end of the last line is not a line of its own */
	for (int i = 1; i >= 0 && n > 0; i--) {
		size_t p = f[i].len;
		if (trailing && p) {
			if (f[i].data[p - 1] == '\n')
				p--;
			trailing = false;
		}
		while (p > 0 && !(f[i].data[p - 1] == '\n' && --n == 0))
			p--;
		start[i] = p;
	}
}

/* Prints the logs as they are now; leaves the current log's fd at its end. */
static int print_snapshot(const char *log, int64_t tail, int *fd_out)
{
	char old[PATH_MAX];
	if (!path_fits(old, sizeof old, "%s.1", log))
		old[0] = '\0'; /* cannot be: log is a state dir's file */
	struct log_file f[2];
	map_file(old, &f[0]);
	map_file(log, &f[1]);
	size_t start[2];
	tail_starts(f, tail, start);
	for (int i = 0; i < 2; i++) {
		if (f[i].data) {
			write_all(STDOUT_FILENO, f[i].data + start[i], f[i].len - start[i]);
			munmap((void *)f[i].data, f[i].len);
		}
	}
	if (f[0].fd >= 0)
		close(f[0].fd);
	*fd_out = f[1].fd;
	if (f[1].fd >= 0)
		lseek(f[1].fd, (off_t)f[1].len, SEEK_SET);
	return f[1].fd >= 0 ? 0 : -1;
}

static void copy_new(int fd)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			write_all(STDOUT_FILENO, buf, (size_t)n);
}

/* Prints what was added, following the monitor's rotation to a new file. */
static void catch_up(const char *log, int *fd)
{
	copy_new(*fd);
	struct stat now, mine;
	if (stat(log, &now) < 0 || fstat(*fd, &mine) < 0 || now.st_ino == mine.st_ino)
		return;
	int nfd = open(log, O_RDONLY | O_CLOEXEC);
	if (nfd < 0)
		return;
	close(*fd);
	*fd = nfd;
	copy_new(*fd);
}

static int follow(const struct ctr_record *c, const char *log, int fd)
{
	cleanup_close int owner = ctr_owner_fd(c);
	cleanup_close int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (owner < 0 || in < 0 ||
	    inotify_add_watch(in, c->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0)
		return 0; /* stopped already (or no inotify): the snapshot was all */
	catch_up(log, &fd); /* what came between the snapshot and the watch */
	for (;;) {
		struct pollfd p[2] = { { .fd = in, .events = POLLIN }, { .fd = owner, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		char ev[4096];
		while (read(in, ev, sizeof ev) > 0)
			;
		catch_up(log, &fd);
		if (p[1].revents)
			break; /* the monitor ended: the log is complete */
	}
	catch_up(log, &fd);
	close(fd);
	return 0;
}

struct logs_opts {
	bool follow;
	int64_t tail; /* -1: all */
};

static int logs_option(int c, const char *arg, void *ctx)
{
	struct logs_opts *o = ctx;
	if (c == 'f') {
		o->follow = true;
	} else if (!strcmp(arg, "all")) {
		o->tail = -1;
	} else if (parse_int(arg, 0, INT64_MAX, &o->tail)) {
		husk_warn("invalid --tail '%s': expected a number of lines, or all", arg);
		return HUSK_EXIT_FAILURE;
	}
	return 0;
}

int cmd_logs(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const struct cli_opts cmd = { "logs", "+fn:", opts, logs_usage };
	struct logs_opts o = { .tail = -1 };
	int r = cli_options(&cmd, argc, argv, logs_option, &o);
	if (r >= 0)
		return r;
	bool fol = o.follow;
	int64_t tail = o.tail;
	if (optind != argc - 1) {
		husk_warn("expected one container name (usage: husk logs [-f] [--tail N] NAME)");
		return HUSK_EXIT_FAILURE;
	}
	struct ctr_record ct;
	if (ctr_open(g, argv[optind], &ct) < 0)
		return 1;
	char log[420];
	snprintf(log, sizeof log, "%s/" MONITOR_LOG_NAME, ct.dir);
	int fd = -1, rc = 0;
	if (!ct.detached) {
		husk_warn("container %s has no log: it runs in the foreground, its output goes to its terminal",
			  ct.name);
		rc = 1;
	} else if (print_snapshot(log, tail, &fd) == 0 && fol) {
		follow(&ct, log, fd);
	} else if (fd >= 0) {
		close(fd);
	}
	ctr_close(&ct);
	return rc;
}
