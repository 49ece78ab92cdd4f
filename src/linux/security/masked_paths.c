/* Masked and read-only paths, as docker's defaults (and a little more): kernel
 * interfaces that leak host information or let root in the container poke the host
 * kernel. Files are hidden under /dev/null, directories under an empty read-only
 * tmpfs; the read-only ones are bound onto themselves and remounted read-only. */
#include "linux/security/masked_paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/fs/resolve.h"
#include "linux/fs/rootfs.h"
#include "util/cleanup.h"
#include "util/explain.h"

static const char *const masked[] = {
	"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
};

static const char *const readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* /dev/null must be the real null device before anything is hidden under it: a
 * container could otherwise turn the masks into binds of its own files
 * (CVE-2025-31133). Returns an O_PATH fd on it. */
static int open_dev_null(int root_fd, struct husk_err *err)
{
	int fd = resolve_in_root(root_fd, "/dev/null", O_PATH | O_NOFOLLOW);
	struct stat st;
	if (fd < 0)
		return husk_error(err, errno, "masking paths: /dev/null");
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
		close(fd);
		return husk_error(err, EPERM, "masking paths: /dev/null is not the null device "
				  "(character device 1:3)");
	}
	return fd;
}

static int mask_all(int root_fd, const char *const *list, size_t n, struct husk_err *err)
{
	cleanup_close int null_fd = -1;
	for (size_t i = 0; i < n; i++) {
		cleanup_close int fd = resolve_in_root(root_fd, list[i], O_PATH | O_NOFOLLOW);
		struct stat st;
		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
			continue; /* this kernel has no such file */
		if (fd < 0 || fstat(fd, &st) < 0)
			return husk_error(err, errno, "masking %s", list[i]);
		int r;
		if (S_ISDIR(st.st_mode)) {
			r = mount_on_fd("tmpfs", -1, fd, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				     "size=0,mode=555");
		} else {
			if (null_fd < 0 && (null_fd = open_dev_null(root_fd, err)) < 0)
				return -1;
			/* the bind's source is the fd that was verified, not a path */
			r = mount_on_fd(NULL, null_fd, fd, NULL, MS_BIND, NULL);
		}
		if (r < 0)
			return husk_error(err, errno, "masking %s", list[i]);
	}
	return 0;
}

static int readonly_all(int root_fd, const char *const *list, size_t n, struct husk_err *err)
{
	for (size_t i = 0; i < n; i++) {
		cleanup_close int fd = resolve_in_root(root_fd, list[i], O_PATH | O_NOFOLLOW);
		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
			continue; /* the config may name what this kernel lacks */
		if (fd < 0)
			return husk_error(err, errno, "read-only %s", list[i]);
		/* a remount needs a mount point of its own */
		if (mount_on_fd(NULL, fd, fd, NULL, MS_BIND | MS_REC, NULL) < 0)
			return husk_error(err, errno, "read-only %s: bind", list[i]);
		if (remount_ro_in_root(root_fd, list[i], err))
			return -1;
	}
	return 0;
}

/* a bundle's linux.maskedPaths and linux.readonlyPaths, as given (missing ones skipped) */
static int oci_lists(int root_fd, const struct husk_oci *o, struct husk_err *err)
{
	return mask_all(root_fd, (const char *const *)o->masked_paths, o->n_masked_paths, err) ||
	       readonly_all(root_fd, (const char *const *)o->readonly_paths, o->n_readonly_paths, err)
	       ? -1 : 0;
}

int masked_paths_apply(const struct husk_spec *s, struct husk_err *err)
{
	if (s->sec.privileged)
		return 0;
	cleanup_close int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return husk_error(err, errno, "masking paths: open /");
	if (s->oci.active)
		return oci_lists(root_fd, &s->oci, err);
	EXPLAIN_START(t);
	bool was = explain_enabled;
	explain_enabled = false; /* one line for the lot, not one per remount */
	int r = mask_all(root_fd, masked, ARRAY_SIZE(masked), err) ||
		readonly_all(root_fd, readonly, ARRAY_SIZE(readonly), err) ? -1 : 0;
	explain_enabled = was;
	if (r)
		return -1;
	EXPLAIN(t, "mount --bind /dev/null /proc/{kcore,keys,timer_list,interrupts,...}; "
		   "mount -t tmpfs -o ro,size=0 tmpfs /proc/{acpi,scsi,asound} /sys/firmware ...; "
		   "mount -o remount,bind,ro /proc/{bus,fs,irq,sys,sysrq-trigger}");
	return 0;
}
