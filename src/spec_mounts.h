/* The container's own mounts as husk run's -v and --tmpfs give them (struct
 * husk_spec holds arrays of these), and their parsers. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct volume {
	char *host;
	char *ctr;
	bool readonly;
};
/* "HOST:CTR[:ro|rw]"; HOST and CTR absolute. Fills *v with malloc'd strings. */
int parse_volume(const char *s, struct volume *v, struct husk_err *err);

struct tmpfs_mount {
	char *ctr;
	int64_t size; /* bytes, 0 = kernel default */
	unsigned mode;
};
/* "CTR[:size=64m[,mode=1777]]" */
int parse_tmpfs(const char *s, struct tmpfs_mount *t, struct husk_err *err);
