#include "util/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

int pid_file_write(const char *path, pid_t pid, struct husk_err *err)
{
	char tmp[PATH_MAX], val[32];
	const char *slash = strrchr(path, '/');
	int n = slash ? snprintf(tmp, sizeof tmp, "%.*s/.%s.husk-%d", (int)(slash - path), path,
				 slash + 1, (int)getpid())
		      : snprintf(tmp, sizeof tmp, ".%s.husk-%d", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp)
		return husk_error(err, ENAMETOOLONG, "invalid --pid-file '%s'", path);
	snprintf(val, sizeof val, "%d", (int)pid);
	cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return husk_error(err, errno, "--pid-file '%s'", path);
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val) || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return husk_error(err, e, "--pid-file '%s'", path);
	}
	return 0;
}
