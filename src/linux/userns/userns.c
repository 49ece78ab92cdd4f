#include "linux/userns/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/sync.h"
#include "linux/fs/overlay.h"
#include "linux/userns/holder.h"
#include "linux/userns/idmapped.h"
#include "linux/userns/pool.h"
#include "linux/userns/rootless.h"
#include "util/fs.h"
#include "util/cleanup.h"
#include "util/explain.h"

static const char *const mode_names[] = {
	[USERNS_HOST] = "host", [USERNS_PRIVATE] = "private",
	[USERNS_AUTO] = "auto", [USERNS_KEEP_ID] = "keep-id",
};

int userns_parse_mode(const char *arg, enum userns_mode *mode, struct husk_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (!strcmp(arg, mode_names[i])) {
			*mode = (enum userns_mode)i;
			return 0;
		}
	return husk_error(err, 0, "invalid --userns '%s': expected host, private, auto or keep-id", arg);
}

const char *userns_mode_name(enum userns_mode mode)
{
	return (size_t)mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "?";
}

void userns_init(struct userns_state *u)
{
	memset(u, 0, sizeof *u);
	u->lease_fd = -1;
	u->root_tree_fd = -1;
	u->join_fd = -1;
}

static int userns_prepare_rootless(struct userns_state *u, const struct husk_spec *s,
				   struct husk_err *err)
{
	if (s->userns == USERNS_AUTO)
		return husk_error(err, 0, "--userns auto: only as root (it hands out host ids from a "
				  "pool); a rootless container maps your uid and your /etc/subuid range");
	if (rootless_maps(s->userns == USERNS_KEEP_ID, &u->uids, &u->gids, &u->helpers, err))
		return -1;
	u->enabled = true;
	u->rootless = true;
	/* a subid range: the namespace of the holder of these maps, not a new one */
	long linger;
	if (!u->helpers)
		return 0;
	if (userns_holder_linger(&linger, err))
		return -1;
	int fd = userns_holder_get(&u->uids, &u->gids, linger, err);
	if (fd == -1)
		return -1;
	if (fd >= 0) {
		u->held = true;
		u->join_fd = fd;
	}
	return 0;
}

/* A bundle's user namespace: its maps as given. As root they are written directly;
 * a rootless caller may write only its own ids itself, the rest goes through
 * newuidmap/newgidmap, which check /etc/subuid (as crun and runc do). */
static int userns_prepare_config(struct userns_state *u, const struct husk_spec *s,
				 const struct userns_join *join, struct husk_err *err)
{
	const struct oci_namespace *ns = spec_oci_namespace(&s->oci, CLONE_NEWUSER);
	if (!ns)
		return 0;
	if (ns->path) { /* joined: its maps are read, never written */
		if (!join || join->fd < 0)
			return husk_error(err, 0, "linux.namespaces: the user namespace '%s' was not "
					  "checked before the container", ns->path);
		u->enabled = u->joined = u->from_config = true;
		u->join_fd = join->fd;
		u->uids = join->uids;
		u->gids = join->gids;
		return 0;
	}
	if (!s->oci.n_uid_mappings || !s->oci.n_gid_mappings)
		return husk_error(err, 0, "linux.uidMappings and linux.gidMappings: a new user "
				  "namespace needs both");
	for (size_t i = 0; i < s->oci.n_uid_mappings; i++) {
		const struct oci_id_map *m = &s->oci.uid_mappings[i];
		if (idmap_add(&u->uids, m->container_id, m->host_id, m->size, err))
			return husk_error(err, 0, "linux.uidMappings[%zu]", i);
	}
	for (size_t i = 0; i < s->oci.n_gid_mappings; i++) {
		const struct oci_id_map *m = &s->oci.gid_mappings[i];
		if (idmap_add(&u->gids, m->container_id, m->host_id, m->size, err))
			return husk_error(err, 0, "linux.gidMappings[%zu]", i);
	}
	u->enabled = true;
	u->from_config = true;
	u->rootless = s->rootless;
	/* the caller's own ids alone need no helper (setgroups is denied then) */
	bool own = u->uids.n == 1 && u->uids.r[0].count == 1 && u->uids.r[0].outside == geteuid() &&
		   u->gids.n == 1 && u->gids.r[0].count == 1 && u->gids.r[0].outside == getegid();
	u->helpers = s->rootless && !own;
	return 0;
}

int userns_prepare(struct userns_state *u, const struct husk_spec *s,
		   const struct userns_join *join, struct husk_err *err)
{
	if (s->oci.active)
		return userns_prepare_config(u, s, join, err);
	if (s->rootless)
		return userns_prepare_rootless(u, s, err);
	if (s->userns == USERNS_HOST)
		return 0;
	if (s->userns == USERNS_KEEP_ID)
		return husk_error(err, 0, "--userns keep-id: only for a rootless husk (run by a user "
				  "other than root); as root use --userns auto");
	/* private and auto: a block of 65536 ids of the pool, container ids 0..65535 */
	EXPLAIN_START(t);
	struct userns_pool pool;
	if (userns_pool_config(&pool, err))
		return -1;
	int fd = userns_pool_take(USERNS_POOL_DIR, &pool, s->name, &u->block, err);
	if (fd < 0)
		return -1;
	u->lease_fd = fd;
	u->enabled = true;
	if (idmap_add(&u->uids, 0, u->block, USERNS_BLOCK, err) ||
	    idmap_add(&u->gids, 0, u->block, USERNS_BLOCK, err))
		return -1;
	EXPLAIN(t, "# --userns %s: host ids %u-%u (pool %s, lease %s/leases/%u)",
		userns_mode_name(s->userns), u->block, u->block + USERNS_BLOCK - 1, pool.source,
		USERNS_POOL_DIR, u->block);
	return 0;
}

/* The caller's own ids need no helper; a subid range needs newuidmap/newgidmap, and
 * without them setgroups must be denied before an unprivileged gid_map write. */
static int userns_attach_rootless(struct userns_state *u, pid_t pid, uint64_t t,
				  struct husk_err *err)
{
	char um[IDMAP_MAX * 36 + 1], gm[IDMAP_MAX * 36 + 1];
	idmap_format(&u->uids, um, sizeof um);
	idmap_format(&u->gids, gm, sizeof gm);
	um[strcspn(um, "\n")] = gm[strcspn(gm, "\n")] = '\0';
	if (u->helpers) {
		if (idmap_write_helpers(pid, &u->uids, &u->gids, err))
			return -1;
		EXPLAIN(t, "newuidmap %d %s ...; newgidmap %d %s ...", (int)pid, um, (int)pid, gm);
		return 0;
	}
	if (idmap_write(pid, &u->uids, &u->gids, true, err))
		return -1;
	EXPLAIN(t, "echo '%s' > /proc/%d/uid_map; echo deny > /proc/%d/setgroups; "
		"echo '%s' > /proc/%d/gid_map", um, (int)pid, (int)pid, gm, (int)pid);
	return 0;
}

int userns_attach(struct userns_state *u, const struct husk_spec *s, pid_t pid, int sync_fd,
		  struct husk_err *err)
{
	if (!u->enabled)
		return 0;
	EXPLAIN_START(t);
	if (u->joined) {
		EXPLAIN(t, "# user namespace %s joined: its own maps (uid 0 is host uid %lld)",
			spec_oci_namespace(&s->oci, CLONE_NEWUSER)->path,
			(long long)idmap_to_host(&u->uids, 0));
		return 0;
	}
	if (u->held) {
		EXPLAIN(t, "# the user namespace of husk-userns, whose maps newuidmap and newgidmap "
			"wrote once (uid 0 is host uid %lld)", (long long)idmap_to_host(&u->uids, 0));
		return 0;
	}
	if (u->rootless)
		return userns_attach_rootless(u, pid, t, err);
	if (idmap_write(pid, &u->uids, &u->gids, false, err))
		return -1;
	if (u->from_config) { /* the bundle's rootfs is the caller's to prepare */
		EXPLAIN(t, "# linux.uidMappings/gidMappings written to /proc/%d/{uid,gid}_map", (int)pid);
		return 0;
	}
	EXPLAIN(t, "echo '0 %u %u' > /proc/%d/uid_map; echo '0 %u %u' > /proc/%d/gid_map",
		u->uids.r[0].outside, u->uids.r[0].count, (int)pid, u->gids.r[0].outside,
		u->gids.r[0].count, (int)pid);

	/* the rootfs belongs to the host's root: an idmapped copy shows it owned by the
	 * container's root (on-disk uid 0 is the block's first id through this mount) */
	t = explain_enabled ? explain_now() : 0;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	cleanup_close int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return husk_error(err, errno, "open %s", path);
	/* an image's (or --overlay's) root: its layers idmapped one by one under an
	 * overlay the host makes (an overlayfs mount itself takes no idmap) */
	cleanup_close int tree = s->n_lower ?
		overlay_idmapped(s, ns, u->uids.r[0].outside, u->gids.r[0].outside, err) :
		idmapped_tree(s->rootfs, ns, err);
	if (tree < 0)
		return -1;
	if (sync_send(sync_fd, SYNC_ROOT_TREE, tree) < 0)
		return husk_error(err, errno, "sending the idmapped rootfs to the container");
	if (s->n_lower)
		EXPLAIN(t, "mount -t overlay overlay -o lowerdir=%s%s (each layer mount --bind -o "
			"X-mount.idmap=/proc/%d/ns/user) %s (then moved into the container)",
			s->lower[0], s->n_lower > 1 ? ":..." : "", (int)pid, s->rootfs);
	else
		EXPLAIN(t, "mount --bind -o X-mount.idmap=/proc/%d/ns/user %s (then moved into the "
			"container)", (int)pid, s->rootfs);
	return 0;
}

void userns_release(struct userns_state *u)
{
	if (u->lease_fd >= 0)
		userns_pool_release(USERNS_POOL_DIR, u->block, u->lease_fd);
	u->lease_fd = -1;
	if (u->held && u->join_fd >= 0)
		close(u->join_fd);
	u->join_fd = -1;
	u->held = false;
	u->enabled = false;
}

void userns_cleanup_stale(void)
{
	userns_pool_held(USERNS_POOL_DIR);
}

int userns_become_root(struct husk_err *err)
{
	/* until now this process was the host's uid 0 (unmapped here): from now on
	 * every file it touches is checked against the block's ids */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return husk_error(err, errno, "becoming root of the user namespace (setresuid 0)");
	if (!userns_setgroups_denied() && setgroups(0, NULL) < 0)
		return husk_error(err, errno, "setgroups (user namespace)");
	return 0;
}

bool userns_setgroups_denied(void)
{
	char buf[16];
	return read_file("/proc/self/setgroups", buf, sizeof buf) > 0 && !strncmp(buf, "deny", 4);
}
