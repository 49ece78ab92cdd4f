/* The container's standard streams: inherited as they are (the fast path), relayed
 * through pipes when --log-file copies them, or through a pty with -t. */
#pragma once
#include <stdbool.h>
#include <termios.h>

#include "spec.h"

struct io {
	int log_fd;               /* --log-file, or -1 */
	int out_r, out_w;         /* stdout pipe (relay mode), or -1 */
	int err_r, err_w;         /* stderr pipe (relay mode), or -1 */
	int master;               /* pty master (tty mode), or -1 */
	bool stdin_open;          /* relay our stdin to the master */
	bool raw;                 /* our terminal was put in raw mode */
	struct termios saved;
	int stdin_fd, stdout_fd, stderr_fd; /* where the relays write (husk's 0-2) */
};

void io_init(struct io *io);
/* Parent, before clone: the log file, and pipes for stdout/stderr when they are
 * copied to it or captured (a detached container's monitor reads them). */
int io_prepare(struct io *io, const struct husk_spec *s, bool capture, struct husk_err *err);
/* Child, after pivot_root: dup2 the streams into place (opens the pty with -t). */
int io_child_setup(struct io *io, const struct husk_spec *s, int sync_sock, struct husk_err *err);
/* Parent, after clone: closes the child's ends of the pipes. */
void io_parent_after_clone(struct io *io);
/* Parent: takes the pty master the child sent; raw mode on our terminal. */
void io_set_master(struct io *io, int master);
/* Registers the relay fds with epoll (data.fd = the fd). */
int io_register(struct io *io, int epfd);
/* Moves data for a readable fd. Returns 0, or -1 once that source reached EOF. */
int io_pump(struct io *io, int fd);
/* After PID 1 exited: drains what is left. */
void io_drain(struct io *io);
/* Resizes the pty to our terminal (SIGWINCH). */
void io_resize(struct io *io);
/* Restores the terminal and closes everything. */
void io_close(struct io *io);
