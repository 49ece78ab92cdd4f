/* The container's root filesystem: private propagation, the bind of ROOTFS onto
 * itself, /proc, /sys, cgroup, volumes, then pivot_root (or chroot). Runs in the
 * child, inside its new mount namespace. */
#pragma once
#include "linux/cgroup/cgroup.h"
#include "linux/net/network.h"
#include "spec.h"

/* root_tree_fd: the root is attached and is the working directory already */
#define ROOTFS_AT_CWD (-2)

/* An image's idmapped overlay (the parent made it, linux/fs/overlay.h) attached at
 * s->rootfs, and the working directory there: before the child becomes root of its
 * user namespace, whose ids cannot enter husk's 0700 state dir. Then ROOTFS_AT_CWD
 * goes to the two below. */
int rootfs_attach_early(const struct husk_spec *s, int root_tree_fd, struct husk_err *err);
/* Steps before the root switch. root_tree_fd is the idmapped rootfs the parent made
 * for a user namespace, ROOTFS_AT_CWD, or -1. */
int rootfs_prepare(const struct husk_spec *s, const struct net_state *n,
		   enum cgroup_mode cgmode, int root_tree_fd, struct husk_err *err);
/* pivot_root(".", ".") and detach the old root, or chroot with --no-pivot;
 * then the read-only remount with --read-only. root_tree_fd as above. */
int rootfs_switch(const struct husk_spec *s, int root_tree_fd, struct husk_err *err);

/* mount(2) onto a path resolved inside root_fd (symlinks cannot escape the root) and
 * mounted by fd (linux/fs/resolve.h: a swapped symlink cannot redirect it); creates
 * the target (a directory, or a file when file_target) if it is missing. */
int mount_in_root(int root_fd, const char *src, const char *target, const char *fstype,
		  unsigned long flags, const char *data, int file_target, struct husk_err *err);
/* MS_REMOUNT|MS_BIND|MS_RDONLY of a path inside root_fd. */
int remount_ro_in_root(int root_fd, const char *target, struct husk_err *err);
