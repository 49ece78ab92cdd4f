/* husk check: can a rootless husk run images here? Its overlay is mounted inside a
 * user namespace with `userxattr` (kernel 5.11+), and its layers' opaque directories
 * carry user.overlay.opaque, which the store's filesystem must hold (tmpfs only from
 * Linux 6.6). The probe makes that overlay in a scratch dir of dir's filesystem, in
 * a child's new user and mount namespaces, and checks that an opaque dir hides the
 * layer below. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

bool rootless_overlay_supported(const char *dir, char *why, size_t len);
