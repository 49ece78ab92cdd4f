/* The OCI config's mount list, in its order, inside the container's new root (child
 * side, before the root switch). Every destination is resolved inside the root with
 * openat2(RESOLVE_IN_ROOT), so a symlink in the image cannot send a mount outside it;
 * missing destinations are created (a file for a bind of a file). */
#pragma once
#include "spec.h"

int mounts_apply(int root_fd, const struct husk_oci *o, struct husk_err *err);
/* mkdir -p of a directory inside root_fd, each component resolved inside it. */
int mkdir_in_root(int root_fd, const char *path, struct husk_err *err);
