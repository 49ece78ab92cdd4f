/* --user against an image's /etc/passwd and /etc/group (src/util/passwd.c): the input
 * is "SPEC\n" then the passwd file, a NUL, then the group file. The files sit in a
 * scratch root under /dev/shm, removed at exit. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "util/passwd.h"

#include "fuzz_common.h"

static char root[64];
static int root_fd = -1;

static void remove_root(void)
{
	char p[96];
	snprintf(p, sizeof p, "%s/etc/passwd", root);
	unlink(p);
	snprintf(p, sizeof p, "%s/etc/group", root);
	unlink(p);
	snprintf(p, sizeof p, "%s/etc", root);
	rmdir(p);
	rmdir(root);
}

static void put(const char *name, const char *data, size_t len)
{
	char p[96];
	snprintf(p, sizeof p, "%s/etc/%s", root, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (root_fd < 0) {
		snprintf(root, sizeof root, "/dev/shm/husk-fuzz-passwd-XXXXXX");
		char etc[96];
		if (!mkdtemp(root))
			abort();
		snprintf(etc, sizeof etc, "%s/etc", root);
		if (mkdir(etc, 0755) < 0 || (root_fd = open(root, O_PATH | O_DIRECTORY)) < 0)
			abort();
		atexit(remove_root);
	}
	char *s = fuzz_str(data, size);
	char *nl = memchr(s, '\n', size);
	const char *files = nl ? nl + 1 : s + size;
	if (nl)
		*nl = '\0';
	size_t flen = size - (size_t)(files - s);
	const char *nul = memchr(files, '\0', flen);
	size_t plen = nul ? (size_t)(nul - files) : flen;
	put("passwd", files, plen);
	put("group", nul ? nul + 1 : "", nul ? flen - plen - 1 : 0);
	struct husk_user u;
	struct husk_err err = { 0 };
	if (passwd_resolve(root_fd, s, &u, &err) == 0) {
		if (u.ngroups < 0 || u.ngroups > (int)(sizeof u.groups / sizeof u.groups[0]) ||
		    !memchr(u.home, '\0', sizeof u.home))
			abort();
	} else if (!err.set) {
		abort();
	}
	free(s);
	return 0;
}
