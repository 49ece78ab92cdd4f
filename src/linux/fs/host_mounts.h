/* A bundle whose linux.namespaces has no mount namespace: the container inherits the
 * runtime's (runtime-spec, config-linux.md), so the bundle's mounts are made in the
 * host's namespace, below its root, and the root is entered with chroot (pivot_root
 * there would move the host's root). These find those mounts again: the ones at or
 * below ROOT that were not there before create, unmounted at delete or when create
 * fails. Nothing else of the host is touched. */
#ifndef HUSK_LINUX_FS_HOST_MOUNTS_H
#define HUSK_LINUX_FS_HOST_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "spec.h"
#include "util/error.h"

/* The mount IDs at or below a root before husk made any (kept at the end). */
struct host_mounts {
	char *root; /* the root's real path */
	int *keep;
	size_t n_keep;
};

/* Whether the bundle has no mount namespace of its own (the OCI face only). */
bool host_mounts_wanted(const struct husk_spec *s);
/* Records ROOT's real path and the mounts at or below it now. */
int host_mounts_snapshot(const char *root, struct host_mounts *m, struct husk_err *err);
/* Unmounts (lazily, the deepest and latest first) every mount at or below m->root
 * that m->keep does not list. Returns how many, or -1 (mountinfo unreadable). */
int host_mounts_undo(const struct host_mounts *m);
void host_mounts_free(struct host_mounts *m);

#endif
