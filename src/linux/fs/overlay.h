/* The copy-on-write root of a container of an image (or of `husk run --overlay
 * DIR`): an overlayfs whose lowerdirs are the image's layers (s->lower, top first)
 * and whose upper and work dirs are the container's own, next to the merged root
 * in its state dir (<state>/<name>/{upper,work,rootfs}). Mounted by the child in
 * its own mount namespace: the host never sees the mount, and it goes with the
 * container's last process; the upper dir goes with the state dir. */
#pragma once
#include <sys/types.h>

#include "spec.h"

/* Child side, instead of binding s->rootfs onto itself. */
int overlay_mount_root(const struct husk_spec *s, struct husk_err *err);

/* Host side, for a container in a user namespace (--userns auto): the same overlay,
 * each layer an idmapped tree through userns_fd (on-disk uid 0 is the container's
 * root) given to overlayfs by file descriptor (Linux 6.13), the upper dir owned by
 * root_uid:root_gid (the container's root on the host). A detached mount for the
 * child to attach at s->rootfs (idmapped_attach). */
int overlay_idmapped(const struct husk_spec *s, int userns_fd, uid_t root_uid, gid_t root_gid,
		     struct husk_err *err);

/* The "lowerdir=...:...,upperdir=...,workdir=..." option string for mount(2);
 * with `relative_to`, lower paths under it are given relative to it (the caller
 * chdirs there first, as containerd does when the string would not fit in a page).
 * Pure; -1 if it does not fit in len. */
int overlay_options(char *const *lower, size_t n, const char *upper, const char *work,
		    const char *relative_to, char *out, size_t len);
