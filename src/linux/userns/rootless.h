/* Rootless husk: run by a user other than root, no setuid bit. The caller's uid is
 * root of the container's user namespace; with an /etc/subuid (/etc/subgid) range
 * and newuidmap/newgidmap the range is mapped too (container ids 1..N), as podman
 * does. State lives in $XDG_RUNTIME_DIR/husk, images in ~/.local/share/husk: their
 * layers are unpacked (and removed) in a user namespace of the same maps
 * (rootless_ns.h), so they keep their owners (container ids 0..N), opaque dirs are
 * marked user.overlay.opaque and the container's overlay is mounted with userxattr
 * by its child, inside its own user namespace. Without a subid range only the
 * user's id is mapped: the files of other owners become the user's. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "linux/cgroup/cgroup.h"
#include "linux/userns/idmap.h"
#include "spec.h"

/* True when husk runs without root: euid != 0, or uid 0 of a user namespace that
 * is not the host's (as under rootless podman). */
bool rootless(void);

/* Where a rootless husk keeps its state: $XDG_RUNTIME_DIR/husk, else
 * /run/user/UID/husk when that directory is the user's, else /tmp/husk-UID.
 * As root: HUSK_DEFAULT_STATE_ROOT. -1, naming the value, if it does not fit in len. */
int rootless_state_root(char *buf, size_t len, struct husk_err *err);

/* Where a rootless husk keeps its images: $XDG_DATA_HOME/husk, else
 * $HOME/.local/share/husk, else the passwd database's home of the user. -1, naming
 * the value, if it does not fit in len (or there is no home at all). */
int rootless_image_root(char *buf, size_t len, struct husk_err *err);

/* The maps for the caller (uid, gid, user name): 0 -> the caller, and with a subid
 * range and the helpers 1..N -> the range (*helpers = true: write them with
 * newuidmap/newgidmap). keep_id maps the caller to its own uid instead (container
 * ids below and above it from the range). */
int rootless_maps(bool keep_id, struct id_map *uids, struct id_map *gids, bool *helpers,
		  struct husk_err *err);

/* Host side, instead of cgroup_create: on cgroup v2 with the parent of husk's own
 * cgroup delegated to the user, husk/<name> there (limits on it, the container in
 * its leaf ctr); else no cgroup: a limit that was asked for is an error that says
 * why, a run without one prints one warning. */
int rootless_cgroup(struct cgroup *cg, const struct husk_spec *s, struct husk_err *err);
/* What a dead rootless husk left in its delegated cgroup directory (stale sweeps). */
void rootless_cgroup_remove(const char *name);
