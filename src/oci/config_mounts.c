/* config.json "root" and "mounts", and linux.{maskedPaths, readonlyPaths,
 * rootfsPropagation, mountLabel}: translated into flags and data, the way mount(8)
 * reads an options list. Paths are only checked for form here; the engine resolves
 * each destination inside the root when it mounts it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/mount.h>
#include <stdint.h>

#include "oci/config_internal.h"
#include "util/cleanup.h"

static const struct {
	const char *name;
	unsigned long set, clear;
} flag_opts[] = {
	{ "ro", MS_RDONLY, 0 },           { "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },       { "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },         { "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },       { "exec", 0, MS_NOEXEC },
	{ "sync", MS_SYNCHRONOUS, 0 },    { "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },     { "remount", MS_REMOUNT, 0 },
	{ "mand", MS_MANDLOCK, 0 },       { "nomand", 0, MS_MANDLOCK },
	{ "noatime", MS_NOATIME, 0 },     { "atime", 0, MS_NOATIME },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
	{ "relatime", MS_RELATIME, 0 },   { "norelatime", 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 }, { "nostrictatime", 0, MS_STRICTATIME },
	{ "lazytime", MS_LAZYTIME, 0 },   { "nolazytime", 0, MS_LAZYTIME },
	{ "silent", MS_SILENT, 0 },       { "loud", 0, MS_SILENT },
	{ "bind", MS_BIND, 0 },           { "rbind", MS_BIND | MS_REC, 0 },
};

/* The recursive attributes (runtime-spec 1.1): mount_setattr(AT_RECURSIVE) on the
 * mount and every mount below it, after it is made. An atime word sets the whole
 * atime field (MOUNT_ATTR__ATIME cleared first); its negation leaves relatime. */
static const struct {
	const char *name;
	uint64_t set, clear;
} rattr_opts[] = {
	{ "rro", MOUNT_ATTR_RDONLY, 0 },           { "rrw", 0, MOUNT_ATTR_RDONLY },
	{ "rnosuid", MOUNT_ATTR_NOSUID, 0 },       { "rsuid", 0, MOUNT_ATTR_NOSUID },
	{ "rnodev", MOUNT_ATTR_NODEV, 0 },         { "rdev", 0, MOUNT_ATTR_NODEV },
	{ "rnoexec", MOUNT_ATTR_NOEXEC, 0 },       { "rexec", 0, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", MOUNT_ATTR_NODIRATIME, 0 }, { "rdiratime", 0, MOUNT_ATTR_NODIRATIME },
	{ "rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 }, { "rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
	{ "rnorelatime", 0, MOUNT_ATTR__ATIME },
	{ "rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
	{ "ratime", 0, MOUNT_ATTR__ATIME },
	{ "rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
	{ "rnostrictatime", 0, MOUNT_ATTR__ATIME },
};

/* "rro" ... -> m->rattr_set/rattr_clear; false if o is none of them */
static bool rattr(const char *o, struct oci_mount *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(rattr_opts); i++)
		if (!strcmp(o, rattr_opts[i].name)) {
			m->rattr_clear = (m->rattr_clear | rattr_opts[i].clear) & ~rattr_opts[i].set;
			m->rattr_set = (m->rattr_set & ~rattr_opts[i].clear) | rattr_opts[i].set;
			if (rattr_opts[i].clear & MOUNT_ATTR__ATIME) /* the field as a whole */
				m->rattr_clear |= MOUNT_ATTR__ATIME;
			else if (!rattr_opts[i].set)
				m->rattr_clear |= rattr_opts[i].clear;
			return true;
		}
	return false;
}

static const struct {
	const char *name;
	unsigned long flags;
} prop_opts[] = {
	{ "private", MS_PRIVATE },        { "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED },          { "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },            { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE },  { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* "private" -> MS_PRIVATE ...; 0 if it is no propagation word */
static unsigned long propagation(const char *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(prop_opts); i++)
		if (!strcmp(o, prop_opts[i].name))
			return prop_opts[i].flags;
	return 0;
}

static int add_data(struct cfg *c, struct oci_mount *m, const char *o)
{
	size_t old = m->data ? strlen(m->data) : 0;
	char *d = realloc(m->data, old + strlen(o) + 2);
	if (!d)
		return husk_error(c->err, ENOMEM, "mount options");
	if (old)
		d[old++] = ',';
	strcpy(d + old, o);
	m->data = d;
	return 0;
}

int cfg_mount_options(struct cfg *c, char **opts, size_t n, const char *key, struct oci_mount *m)
{
	for (size_t i = 0; i < n; i++) {
		const char *o = opts[i];
		bool known = false;
		for (size_t j = 0; j < ARRAY_SIZE(flag_opts) && !known; j++)
			if (!strcmp(o, flag_opts[j].name)) {
				m->flags = (m->flags & ~flag_opts[j].clear) | flag_opts[j].set;
				m->clear = (m->clear & ~flag_opts[j].set) | flag_opts[j].clear;
				known = true;
			}
		unsigned long p = propagation(o);
		if (p)
			m->propagation = p;
		else if (rattr(o, m))
			continue;
		else if (!strcmp(o, "tmpcopyup"))
			m->copyup = true;
		else if (!strcmp(o, "idmap") || !strcmp(o, "ridmap"))
			return cfg_bad(c, key, "option '%s': idmapped bind mounts are not supported "
				       "yet (a user namespace's rootfs is idmapped by husk itself)", o);
		else if (!known && add_data(c, m, o))
			return -1;
	}
	return 0;
}

/* "../x", "x/.." and "/" itself are refused; "//a/./b" is fine (the kernel's business) */
static bool escapes(const char *p)
{
	return !strcmp(p, "..") || !strncmp(p, "../", 3) || strstr(p, "/../") ||
	       (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/.."));
}

static int one_mount(struct cfg *c, json_object *e, size_t i, struct oci_mount *m)
{
	char key[64];
	snprintf(key, sizeof key, "mounts[%zu]", i);
	if (!cfg_is(e, json_type_object))
		return cfg_bad(c, key, "expected an object");
	cleanup_free char *src = NULL;
	char **opts = NULL;
	size_t n = 0;
	if (cfg_string(c, e, "destination", key, &m->destination) ||
	    cfg_string(c, e, "type", key, &m->type) || cfg_string(c, e, "source", key, &src) ||
	    cfg_strv(c, e, "options", key, &opts, &n))
		return -1;
	int r = cfg_mount_options(c, opts, n, key, m);
	for (size_t j = 0; j < n; j++)
		free(opts[j]);
	free(opts);
	if (r)
		return -1;
	if (!m->destination)
		return cfg_bad(c, key, "no destination");
	if (m->destination[0] != '/')
		return cfg_bad(c, key, "destination '%s' is not an absolute path", m->destination);
	if (escapes(m->destination))
		return cfg_bad(c, key, "destination '%s' leaves the root through '..'", m->destination);
	if (strlen(m->destination) >= PATH_MAX)
		return cfg_bad(c, key, "destination is longer than %d bytes", PATH_MAX - 1);
	if (m->type && !strcmp(m->type, "bind"))
		m->flags |= MS_BIND;
	if (m->type && !strcmp(m->type, "rbind"))
		m->flags |= MS_BIND | MS_REC;
	if ((m->flags & MS_BIND) && !src)
		return cfg_bad(c, key, "a bind mount of '%s' needs a source", m->destination);
	/* a relative bind source is relative to the bundle (as runc and crun read it) */
	if (src && src[0] != '/' && (m->flags & MS_BIND)) {
		size_t len = strlen(c->o->bundle) + strlen(src) + 2;
		if (!(m->source = malloc(len)))
			return husk_error(c->err, ENOMEM, "mounts");
		snprintf(m->source, len, "%s/%s", c->o->bundle, src);
	} else if (src) {
		m->source = steal_ptr(src);
	}
	return 0;
}

static int root_section(struct cfg *c, json_object *root)
{
	json_object *r;
	cleanup_free char *path = NULL;
	if (cfg_object(c, root, "root", "root", &r) ||
	    cfg_string(c, r, "path", "root.path", &path) ||
	    cfg_bool(c, r, "readonly", "root.readonly", &c->s->readonly_root))
		return -1;
	if (!path || !path[0])
		return cfg_bad(c, "root.path", "missing");
	free(c->s->rootfs);
	if (path[0] == '/') {
		c->s->rootfs = steal_ptr(path);
		return 0;
	}
	size_t len = strlen(c->o->bundle) + strlen(path) + 2;
	if (!(c->s->rootfs = malloc(len)))
		return husk_error(c->err, ENOMEM, "root.path");
	snprintf(c->s->rootfs, len, "%s/%s", c->o->bundle, path);
	return 0;
}

static int path_list(struct cfg *c, json_object *linux_obj, const char *member, char ***out,
		     size_t *n)
{
	char key[64];
	snprintf(key, sizeof key, "linux.%s", member);
	if (cfg_strv(c, linux_obj, member, key, out, n))
		return -1;
	for (size_t i = 0; i < *n; i++)
		if ((*out)[i][0] != '/')
			return cfg_bad(c, key, "'%s' is not an absolute path", (*out)[i]);
	return 0;
}

int cfg_root_mounts(struct cfg *c, json_object *root)
{
	json_object *a, *lx = cfg_get(root, "linux");
	size_t n;
	cleanup_free char *prop = NULL;
	if (root_section(c, root) || cfg_array(c, root, "mounts", "mounts", &a, &n))
		return -1;
	c->o->mounts = calloc(n ? n : 1, sizeof *c->o->mounts);
	if (!c->o->mounts)
		return husk_error(c->err, ENOMEM, "mounts");
	for (size_t i = 0; i < n; i++) {
		c->o->n_mounts = i + 1;
		if (one_mount(c, json_object_array_get_idx(a, i), i, &c->o->mounts[i]))
			return -1;
	}
	if (path_list(c, lx, "maskedPaths", &c->o->masked_paths, &c->o->n_masked_paths) ||
	    path_list(c, lx, "readonlyPaths", &c->o->readonly_paths, &c->o->n_readonly_paths) ||
	    cfg_string(c, lx, "mountLabel", "linux.mountLabel", &c->o->mount_label) ||
	    cfg_string(c, lx, "rootfsPropagation", "linux.rootfsPropagation", &prop))
		return -1;
	if (prop && !(c->o->rootfs_propagation = propagation(prop)))
		return cfg_bad(c, "linux.rootfsPropagation", "unknown value '%s' (shared, slave, "
			       "private, unbindable, or their r- forms)", prop);
	return 0;
}
