#include "engine/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int send_msg(int sock, const struct sync_msg *m, int pass_fd)
{
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof *m };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (pass_fd >= 0) {
		memset(&u, 0, sizeof u);
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof u.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof *m ? 0 : -1;
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
	struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof u.buf };
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? 0 : -1;
	if (n != (ssize_t)sizeof *m) {
		errno = EPROTO;
		return -1;
	}
	m->msg[sizeof m->msg - 1] = '\0';
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (fd && c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 1;
}

void sync_fail(int sock, const struct husk_err *err)
{
	sync_send_error(sock, err);
	_exit(err->exit_code ? err->exit_code : HUSK_EXIT_FAILURE);
}
