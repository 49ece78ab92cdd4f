#include "linux/userns/mount_fallback.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "linux/fs/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"

int userns_bind_sysfs(int root_fd, const char *target, bool ro, struct husk_err *err)
{
	if (mount_in_root(root_fd, "/sys", target, NULL, MS_BIND | MS_REC, NULL, 0, err))
		return -1;
	if (!ro)
		return 0;
	cleanup_close int fd = openat_in_root(root_fd, target, O_PATH | O_CLOEXEC);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					       MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	if (fd < 0 || mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
		return husk_error(err, errno, "mount -o remount,ro (recursive) %s", target);
	return 0;
}

void userns_strip_gid(const char *data, char *out, size_t len)
{
	size_t o = 0;
	if (len)
		out[0] = '\0';
	for (const char *p = data; p && *p && o + 1 < len;) {
		size_t n = strcspn(p, ",");
		if (strncmp(p, "gid=", 4) != 0) {
			int w = snprintf(out + o, len - o, "%s%.*s", o ? "," : "", (int)n, p);
			if (w < 0 || (size_t)w >= len - o)
				break;
			o += (size_t)w;
		}
		p += n + (p[n] == ',');
	}
}
