/* User and group look-ups in the container's /etc/passwd and /etc/group
 * (never the host's: the names mean what the image says they mean). */
#pragma once
#include <sys/types.h>

#include "util/error.h"

struct husk_user {
	uid_t uid;
	gid_t gid;
	char home[256];
	gid_t groups[32]; /* supplementary groups */
	int ngroups;
};

/* spec: "UID[:GID]" or "NAME[:GROUP]"; root_fd is the container's root directory. */
int passwd_resolve(int root_fd, const char *spec, struct husk_user *u, struct husk_err *err);
