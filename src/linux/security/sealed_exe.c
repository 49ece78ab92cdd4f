#include "linux/security/sealed_exe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/explain.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static bool running_sealed(int exe_fd)
{
	int seals = fcntl(exe_fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

/* The original command line, from /proc/self/cmdline (NUL-separated). */
static char **read_cmdline(void)
{
	cleanup_close int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (ssize_t r; buf; len += (size_t)r) {
		if (len == cap) {
			char *bigger = realloc(buf, cap *= 2);
			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
		}
		if ((r = read(fd, buf + len, cap - len)) <= 0)
			break;
	}
	if (!buf || len == 0 || buf[len - 1] != '\0') {
		free(buf);
		return NULL;
	}
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\0';
	char **argv = calloc(n + 1, sizeof *argv);
	if (!argv) {
		free(buf);
		return NULL;
	}
	for (size_t i = 0, k = 0; k < n; i += strlen(buf + i) + 1)
		argv[k++] = buf + i;
	return argv;
}

static int sealed_copy(int exe_fd, struct husk_err *err)
{
	struct stat st;
	if (fstat(exe_fd, &st) < 0)
		return husk_error(err, errno, "sealed copy of husk: /proc/self/exe");
	int fd = memfd_create("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) /* a kernel before 6.3 knows no MFD_EXEC */
		fd = memfd_create("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return husk_error(err, errno, "sealed copy of husk: memfd_create");
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t r = sendfile(fd, exe_fd, &off, (size_t)(st.st_size - off));
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			close(fd);
			return husk_error(err, e, "sealed copy of husk: copying the binary");
		}
	}
	if (fcntl(fd, F_ADD_SEALS, SEALS) < 0) {
		int e = errno;
		close(fd);
		return husk_error(err, e, "sealed copy of husk: F_ADD_SEALS");
	}
	return fd;
}

int sealed_exe_reexec(struct husk_err *err)
{
	cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return husk_error(err, errno, "sealed copy of husk: /proc/self/exe");
	if (running_sealed(exe))
		return 0;
	EXPLAIN_START(t);
	cleanup_free char **argv = read_cmdline();
	if (!argv)
		return husk_error(err, errno ? errno : EINVAL, "sealed copy of husk: /proc/self/cmdline");
	cleanup_close int fd = sealed_copy(exe, err);
	if (fd < 0) {
		free(argv[0]);
		return -1;
	}
	EXPLAIN(t, "# --init: husk re-executes itself from a sealed memfd copy (CVE-2019-5736)");
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	int e = errno;
	free(argv[0]);
	return husk_error(err, e, "sealed copy of husk: execveat");
}
