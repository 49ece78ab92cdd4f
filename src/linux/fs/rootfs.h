/* The container's root filesystem: private propagation, the bind of ROOTFS onto
 * itself, /proc, /sys, cgroup, volumes, then pivot_root (or chroot). Runs in the
 * child, inside its new mount namespace. */
#pragma once
#include "linux/cgroup/cgroup.h"
#include "linux/net/network.h"
#include "spec.h"

/* Steps before the root switch. root_tree_fd is the idmapped rootfs the parent made
 * for a user namespace, or -1. */
int rootfs_prepare(const struct husk_spec *s, const struct net_state *n,
		   enum cgroup_mode cgmode, int root_tree_fd, struct husk_err *err);
/* pivot_root(".", ".") and detach the old root, or chroot with --no-pivot;
 * then the read-only remount with --read-only. */
int rootfs_switch(const struct husk_spec *s, struct husk_err *err);

/* mount(2) onto a path resolved inside root_fd (symlinks cannot escape the root) and
 * mounted by fd (linux/fs/resolve.h: a swapped symlink cannot redirect it); creates
 * the target (a directory, or a file when file_target) if it is missing. */
int mount_in_root(int root_fd, const char *src, const char *target, const char *fstype,
		  unsigned long flags, const char *data, int file_target, struct husk_err *err);
/* MS_REMOUNT|MS_BIND|MS_RDONLY of a path inside root_fd. */
int remount_ro_in_root(int root_fd, const char *target, struct husk_err *err);
