#include "engine/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/fdpass.h"

static int send_msg(int sock, const struct sync_msg *m, int pass_fd)
{
	return fd_send(sock, m, sizeof *m, pass_fd) == (ssize_t)sizeof *m ? 0 : -1;
}

int sync_send(int sock, enum sync_type type, int pass_fd)
{
	struct sync_msg m = { .type = type };
	return send_msg(sock, &m, pass_fd);
}

static int sync_send_error(int sock, const struct husk_err *err)
{
	struct sync_msg m = { .type = SYNC_ERROR, .exit_code = err->exit_code,
			      .errnum = err->errnum };
	_Static_assert(sizeof m.msg == sizeof err->msg, "a sync message holds a husk_err's");
	memcpy(m.msg, err->msg, sizeof m.msg);
	return send_msg(sock, &m, -1);
}

int sync_recv(int sock, struct sync_msg *m, int *fd)
{
	int got;
	ssize_t n = fd_recv(sock, m, sizeof *m, &got);
	if (n <= 0)
		return n == 0 ? 0 : -1;
	if (n != (ssize_t)sizeof *m) {
		if (got >= 0)
			close(got);
		errno = EPROTO;
		return -1;
	}
	m->msg[sizeof m->msg - 1] = '\0';
	if (got >= 0 && fd)
		*fd = got;
	else if (got >= 0)
		close(got);
	return 1;
}

void sync_fail(int sock, const struct husk_err *err)
{
	sync_send_error(sock, err);
	_exit(err->exit_code ? err->exit_code : HUSK_EXIT_FAILURE);
}
