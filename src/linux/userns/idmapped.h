/* Idmapped mounts (mount_setattr(2) with MOUNT_ATTR_IDMAP, kernel 5.12; overlayfs
 * 5.19): a tree whose files owned by on-disk uid N look owned by the id that N is
 * in a user namespace's map, so a rootfs owned by the host's root looks owned by
 * the container's root without a chown'd copy. Made by the privileged parent (the
 * filesystem's own user namespace must be its), attached by the child. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* A detached, idmapped copy of the tree at path (with its submounts), idmapped
 * through the user namespace userns_fd. Returns the mount fd for move_mount(2). */
int idmapped_tree(const char *path, int userns_fd, struct husk_err *err);

/* Idmaps a detached mount (an fsmount'ed overlay) in place. */
int idmapped_set(int mnt_fd, const char *what, int userns_fd, struct husk_err *err);

/* Attaches a tree from idmapped_tree() at target (in the caller's mount namespace). */
int idmapped_attach(int tree_fd, const char *target, struct husk_err *err);

/* For husk check: whether an idmapped mount of path can be made here; why says
 * the filesystem and the kernel's answer. */
bool idmapped_supported(const char *path, char *why, size_t len);
/* The same for an image's root under --userns (an overlay of idmapped layers,
 * linux/fs/overlay.h), tried on a throw-away overlay in /tmp. */
bool idmapped_overlay_supported(char *why, size_t len);
