/* Paths of the container resolved on its side of the root, and mounts made on the
 * very inode that was resolved (CVE-2021-30465: a volume's destination swapped for a
 * symlink between the check and the mount; CVE-2025-31133/52565: a /dev node replaced).
 * Any side, any time; no explain output. */
#pragma once
#include "util/error.h"

/* openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) of PATH inside root_fd: a symlink,
 * absolute or "..", never leaves the root, /proc/self/fd-style magic links are refused.
 * Retries the kernel's EAGAIN (a rename raced the walk). -1 with errno set. */
int resolve_in_root(int root_fd, const char *path, int flags);

/* O_PATH fd on PATH inside root_fd, creating what is missing: directories, and the last
 * component as an empty file when file_target. Each component is created with
 * mkdirat/mknodat in its parent's fd, the parent itself resolved inside the root, so
 * a component swapped for a symlink meanwhile still lands inside the root. */
int resolve_create_in_root(int root_fd, const char *path, int file_target, struct husk_err *err);

/* mount(2) onto the inode target_fd holds (an fd from resolve_*): the target path is
 * "self/fd/N" resolved from a procfs verified with fstatfs, never a path the container
 * could swap. src_fd >= 0: a bind whose source is that fd (verified by the caller);
 * otherwise src is the source string (a host path, or "tmpfs", "proc" ...). */
int mount_on_fd(const char *src, int src_fd, int target_fd, const char *fstype,
		unsigned long flags, const char *data);
