/* --console-socket: the pty master of a container with a terminal goes to the
 * engine over an AF_UNIX socket, in one sendmsg with one data byte and exactly one
 * SCM_RIGHTS fd (go-runc checks oobn == CmsgSpace(4); conmon cmsg_len == CMSG_LEN(4)). */
#pragma once
#include "util/error.h"

int console_send(const char *socket_path, int master, struct husk_err *err);
/* TIOCSWINSZ on the pty (process.consoleSize); 0 x 0 leaves it alone. */
int console_resize(int fd, unsigned height, unsigned width, struct husk_err *err);
