#include "engine/start_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

static void gate_path(const char *dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" START_GATE_FILE, dir);
}

int start_gate_create(const char *dir, struct husk_err *err)
{
	char path[600];
	gate_path(dir, path, sizeof path);
	if (mkfifo(path, 0600) < 0)
		return husk_error(err, errno, "mkfifo %s", path);
	return 0;
}

int start_gate_open(const char *dir, struct husk_err *err)
{
	char path[600];
	gate_path(dir, path, sizeof path);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	return fd >= 0 ? fd : husk_error(err, errno, "open %s", path);
}

int start_gate_wait(int fd, struct husk_err *err)
{
	char b;
	ssize_t n;
	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : husk_error(err, n < 0 ? errno : EPIPE, "waiting for husk start");
}

bool start_gate_closed(const char *dir)
{
	char path[600];
	struct stat st;
	gate_path(dir, path, sizeof path);
	return lstat(path, &st) == 0 && S_ISFIFO(st.st_mode);
}

int start_gate_release(const char *dir, const char *name, struct husk_err *err)
{
	char path[600];
	gate_path(dir, path, sizeof path);
	cleanup_close int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && (errno == ENXIO || errno == ENOENT))
		return husk_error(err, 0, "cannot start container %s: its process is not waiting "
				  "(it was started already, or it died)", name);
	if (fd < 0)
		return husk_error(err, errno, "open %s", path);
	ssize_t n;
	do
		n = write(fd, "1", 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return husk_error(err, errno, "starting container %s: writing %s", name, path);
	/* the byte is read; the reader's close (on exec) shows as POLLERR */
	unlink(path);
	struct pollfd p = { .fd = fd, .events = 0 };
	int r;
	do
		r = poll(&p, 1, -1);
	while (r < 0 && errno == EINTR);
	return r < 0 ? husk_error(err, errno, "starting container %s: poll", name) : 0;
}
