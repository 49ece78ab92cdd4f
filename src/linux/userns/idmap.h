/* uid/gid maps of a user namespace: the text of /proc/PID/uid_map ("inside outside
 * count" lines), the CLI's "inside:outside:count", and writing them for a child
 * (directly as root, or through newuidmap/newgidmap for an unprivileged caller). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* the kernel takes at most 340 lines per map; husk needs a handful */
#define IDMAP_MAX 16

struct id_range {
	uint32_t inside;  /* first id in the container */
	uint32_t outside; /* the host id it is */
	uint32_t count;
};

struct id_map {
	struct id_range r[IDMAP_MAX];
	size_t n;
};

/* Appends a range; refuses a zero count, an overflow past 2^32-1 (uid -1 is never
 * mappable) and a range that overlaps another one inside or outside. */
int idmap_add(struct id_map *m, uint32_t inside, uint32_t outside, uint32_t count,
	      struct husk_err *err);
/* Parses "0 100000 65536\n..." (the proc format) into m; what names the source in errors. */
int idmap_parse_proc(const char *text, struct id_map *m, const char *what, struct husk_err *err);
/* Parses "inside:outside:count" (one range, the CLI's and podman's spelling). */
int idmap_parse_triple(const char *s, struct id_map *m, struct husk_err *err);
/* The proc format, one line per range; -1 if len is too small. */
int idmap_format(const struct id_map *m, char *buf, size_t len);

/* True when a and b map the same ids: the order of the ranges and how a run of
 * ids is cut into ranges do not matter (the kernel lists a map of more than five
 * ranges sorted, whatever order it was written in). */
bool idmap_equal(const struct id_map *a, const struct id_map *b);

/* Host id of a container id, or -1 if it is not mapped (and the reverse). */
int64_t idmap_to_host(const struct id_map *m, uint32_t inside);
int64_t idmap_to_container(const struct id_map *m, uint32_t outside);

/* Writes /proc/PID/{uid,gid}_map as a privileged parent. deny_setgroups writes
 * "deny" to /proc/PID/setgroups first (required for an unprivileged gid_map). */
int idmap_write(pid_t pid, const struct id_map *uids, const struct id_map *gids,
		bool deny_setgroups, struct husk_err *err);
/* The same through the setuid helpers newuidmap/newgidmap (Debian's uidmap),
 * which check the ranges against /etc/subuid and /etc/subgid. */
int idmap_write_helpers(pid_t pid, const struct id_map *uids, const struct id_map *gids,
			struct husk_err *err);
