#include "engine/console.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"

int console_send(const char *socket_path, int master, struct husk_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(socket_path) >= sizeof sa.sun_path)
		return husk_error(err, ENAMETOOLONG, "invalid --console-socket '%s'", socket_path);
	strcpy(sa.sun_path, socket_path);
	cleanup_close int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		return husk_error(err, errno, "--console-socket '%s'", socket_path);
	char byte = '\0';
	ssize_t n = fd_send(s, &byte, 1, master);
	if (n != 1)
		return husk_error(err, n < 0 ? errno : EIO, "--console-socket '%s': sendmsg", socket_path);
	return 0;
}

int console_resize(int fd, unsigned height, unsigned width, struct husk_err *err)
{
	if (!height && !width)
		return 0;
	struct winsize ws = { .ws_row = (unsigned short)height, .ws_col = (unsigned short)width };
	if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
		return husk_error(err, errno, "process.consoleSize %ux%u", height, width);
	return 0;
}
