#include "engine/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "engine/sync.h"
#include "util/fs.h"
#include "util/explain.h"

void io_init(struct io *io)
{
	memset(io, 0, sizeof *io);
	io->log_fd = io->out_r = io->out_w = io->err_r = io->err_w = io->master = -1;
	io->stdin_fd = STDIN_FILENO;
	io->stdout_fd = STDOUT_FILENO;
	io->stderr_fd = STDERR_FILENO;
}

int io_prepare(struct io *io, const struct husk_spec *s, bool capture, struct husk_err *err)
{
	if (s->log_file) {
		io->log_fd = open(s->log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (io->log_fd < 0)
			return husk_error(err, errno, "invalid --log-file '%s'", s->log_file);
	}
	io->stdin_open = s->tty && s->interactive;
	if (s->tty || (io->log_fd < 0 && !capture))
		return 0;
	int out[2], e[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return husk_error(err, errno, "pipe");
	if (pipe2(e, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return husk_error(err, errno, "pipe");
	}
	io->out_r = out[0];
	io->out_w = out[1];
	io->err_r = e[0];
	io->err_w = e[1];
	return 0;
}

/* the multiplexer is checked on the fd it gave (devpts' 5:2) and the slave opened from
 * the master itself (TIOCGPTPEER), never by a /dev/pts path (CVE-2025-52565) */
static int open_pty(int sync_sock, int *slave, struct husk_err *err)
{
	/* the pty lives in the container's own devpts instance, as docker's does */
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return husk_error(err, errno, "open /dev/ptmx");
	struct stat st;
	struct statfs sf;
	if (fstat(master, &st) < 0 || fstatfs(master, &sf) < 0 || !S_ISCHR(st.st_mode) ||
	    sf.f_type != DEVPTS_SUPER_MAGIC || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2) {
		close(master);
		return husk_error(err, EPERM, "/dev/ptmx is not devpts' multiplexer (5:2)");
	}
	if (unlockpt(master) < 0 ||
	    (*slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY)) < 0) {
		int saved = errno;
		close(master);
		return husk_error(err, saved, "pty");
	}
	int r = sync_send(sync_sock, SYNC_PTY_MASTER, master);
	close(master);
	return r < 0 ? husk_error(err, errno, "sending the pty to husk") : 0;
}

int io_child_setup(struct io *io, const struct husk_spec *s, int sync_sock, struct husk_err *err)
{
	int in = -1, out = -1, errfd = -1;
	if (s->tty) {
		int slave = -1;
		if (open_pty(sync_sock, &slave, err))
			return -1;
		/* the caller's window size, before the command can ask for it (set from
		 * the master once it reached husk, it came too late for a command's first
		 * `stty size`, 3 times in 40 here) */
		struct winsize ws;
		if (ioctl(io->stdin_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
			ioctl(slave, TIOCSWINSZ, &ws);
		/* a session of our own with the pty as controlling terminal */
		if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
			return husk_error(err, errno, "setsid/TIOCSCTTY");
		in = out = errfd = slave;
	} else {
		out = io->out_w;
		errfd = io->err_w;
	}
	if (!s->interactive && !s->tty) {
		in = open("/dev/null", O_RDONLY);
		if (in < 0)
			return husk_error(err, errno, "open /dev/null");
	}
	if ((in >= 0 && dup2(in, STDIN_FILENO) < 0) || (out >= 0 && dup2(out, STDOUT_FILENO) < 0) ||
	    (errfd >= 0 && dup2(errfd, STDERR_FILENO) < 0))
		return husk_error(err, errno, "dup2");
	return 0;
}

void io_parent_after_clone(struct io *io)
{
	if (io->out_w >= 0)
		close(io->out_w);
	if (io->err_w >= 0)
		close(io->err_w);
	io->out_w = io->err_w = -1;
}

void io_resize(struct io *io)
{
	struct winsize ws;
	if (io->master >= 0 && ioctl(io->stdin_fd, TIOCGWINSZ, &ws) == 0)
		ioctl(io->master, TIOCSWINSZ, &ws);
}

void io_set_master(struct io *io, int master)
{
	io->master = master;
	if (isatty(io->stdin_fd) && tcgetattr(io->stdin_fd, &io->saved) == 0) {
		struct termios raw = io->saved;
		cfmakeraw(&raw);
		raw.c_oflag = io->saved.c_oflag; /* the container's pty translates newlines */
		if (tcsetattr(io->stdin_fd, TCSANOW, &raw) == 0)
			io->raw = true;
	}
	/* the window size: set by the container on its side already (io_child_setup),
	 * and by io_resize at each SIGWINCH from here on */
}

static int add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int io_register(struct io *io, int epfd)
{
	if (io->master >= 0) {
		if (add(epfd, io->master) < 0)
			return -1;
		/* -t without -i: the container gets a terminal but none of our input */
		if (io->stdin_open && add(epfd, io->stdin_fd) < 0)
			return -1;
		return 0;
	}
	if (io->out_r >= 0 && add(epfd, io->out_r) < 0)
		return -1;
	if (io->err_r >= 0 && add(epfd, io->err_r) < 0)
		return -1;
	return 0;
}

int io_pump(struct io *io, int fd)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1; /* EOF, or EIO from a pty whose other side is gone */
	if (fd == io->stdin_fd) {
		write_all(io->master, buf, (size_t)n);
		return 0;
	}
	int dest = fd == io->err_r ? io->stderr_fd : io->stdout_fd;
	write_all(dest, buf, (size_t)n);
	if (io->log_fd >= 0)
		write_all(io->log_fd, buf, (size_t)n);
	return 0;
}

void io_drain(struct io *io)
{
	/* after PID 1 is gone the whole PID namespace is gone, so every write end is
	 * closed and these reads end at EOF */
	int fds[] = { io->master, io->out_r, io->err_r };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0) {
			int fl = fcntl(fds[i], F_GETFL);
			fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
			while (io_pump(io, fds[i]) == 0)
				;
		}
}

void io_close(struct io *io)
{
	if (io->raw)
		tcsetattr(io->stdin_fd, TCSADRAIN, &io->saved);
	io->raw = false;
	int *fds[] = { &io->log_fd, &io->out_r, &io->out_w, &io->err_r, &io->err_w, &io->master };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}
