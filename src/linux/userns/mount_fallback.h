/* Mounts a user namespace cannot make, handled as crun does: sysfs needs a network
 * namespace owned by the user namespace (else the host's /sys is bound, read-only
 * when asked), and devpts' gid= must name a mapped group (else it goes). Child side. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* mount --rbind /sys TARGET, then read-only (recursive) when ro. */
int userns_bind_sysfs(int root_fd, const char *target, bool ro, struct husk_err *err);
/* The mount options without "gid=N" (devpts in a namespace where N is unmapped). */
void userns_strip_gid(const char *data, char *out, size_t len);
