/* An fd passed over a unix socket (SCM_RIGHTS), with the bytes it comes with: one
 * int in the control message, cmsg_len == CMSG_LEN(sizeof(int)), as go-runc (oobn ==
 * CmsgSpace(4)) and conmon check for a console socket. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes of buf and, when fd >= 0, fd with them (MSG_NOSIGNAL; EINTR
 * retried). What sendmsg returns. */
ssize_t fd_send(int sock, const void *buf, size_t len, int fd);

/* Receives up to len bytes into buf (EINTR retried); *fd is the fd that came with
 * them (close-on-exec), or -1. fd NULL: one that came is closed. What recvmsg returns. */
ssize_t fd_recv(int sock, void *buf, size_t len, int *fd);
