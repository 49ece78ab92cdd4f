/* config.json "linux": namespaces (new, or joined by path), id mappings, devices,
 * cgroupsPath, sysctl, seccomp, and the resources (config_resources.c). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config_internal.h"
#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int ns_type(const char *t)
{
	static const struct { const char *name; int flag; } types[] = {
		{ "pid", CLONE_NEWPID },   { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
		{ "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS },     { "user", CLONE_NEWUSER },
		{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
	};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (!strcmp(t, types[i].name))
			return types[i].flag;
	return 0;
}

static int namespaces(struct cfg *c, json_object *lx)
{
	json_object *a;
	size_t n;
	if (cfg_array(c, lx, "namespaces", "linux.namespaces", &a, &n))
		return -1;
	c->o->namespaces = calloc(n ? n : 1, sizeof *c->o->namespaces);
	if (!c->o->namespaces)
		return husk_error(c->err, ENOMEM, "linux.namespaces");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		char key[64];
		snprintf(key, sizeof key, "linux.namespaces[%zu]", i);
		cleanup_free char *type = NULL;
		struct oci_namespace *ns = &c->o->namespaces[i];
		c->o->n_namespaces = i + 1;
		if (!cfg_is(e, json_type_object))
			return cfg_bad(c, key, "expected an object");
		if (cfg_string(c, e, "type", key, &type) || cfg_string(c, e, "path", key, &ns->path))
			return -1;
		if (!type)
			return cfg_bad(c, key, "no type");
		if (!(ns->type = ns_type(type)))
			return cfg_bad(c, key, "unknown namespace type '%s' (pid, network, mount, ipc, "
				       "uts, user, cgroup, time)", type);
		if (ns->path && ns->path[0] != '/')
			return cfg_bad(c, key, "path '%s' is not absolute", ns->path);
		for (size_t j = 0; j < i; j++)
			if (c->o->namespaces[j].type == ns->type)
				return cfg_bad(c, key, "the %s namespace is given twice", type);
	}
	return 0;
}

static int id_mappings(struct cfg *c, json_object *lx, const char *member,
		       struct oci_id_map **out, size_t *count)
{
	json_object *a;
	size_t n;
	char key[64];
	snprintf(key, sizeof key, "linux.%s", member);
	if (cfg_array(c, lx, member, key, &a, &n))
		return -1;
	*out = calloc(n ? n : 1, sizeof **out);
	if (!*out)
		return husk_error(c->err, ENOMEM, "%s", key);
	*count = n;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		int64_t cid = -1, hid = -1, size = -1;
		snprintf(key, sizeof key, "linux.%s[%zu]", member, i);
		if (!cfg_is(e, json_type_object))
			return cfg_bad(c, key, "expected an object");
		if (cfg_int(c, e, "containerID", key, 0, UINT32_MAX, &cid) ||
		    cfg_int(c, e, "hostID", key, 0, UINT32_MAX, &hid) ||
		    cfg_int(c, e, "size", key, 1, UINT32_MAX, &size))
			return -1;
		if (cid < 0 || hid < 0 || size < 0)
			return cfg_bad(c, key, "needs containerID, hostID and size");
		(*out)[i] = (struct oci_id_map){ (uint32_t)cid, (uint32_t)hid, (uint32_t)size };
	}
	return 0;
}

static int one_device(struct cfg *c, json_object *e, const char *key, struct oci_device *d)
{
	cleanup_free char *type = NULL;
	int64_t v;
	if (!cfg_is(e, json_type_object))
		return cfg_bad(c, key, "expected an object");
	if (cfg_string(c, e, "path", key, &d->path) || cfg_string(c, e, "type", key, &type))
		return -1;
	if (!d->path || d->path[0] != '/')
		return cfg_bad(c, key, "path '%s' is not absolute", d->path ? d->path : "(missing)");
	if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
		return cfg_bad(c, key, "type '%s': expected c, b, u or p", type ? type : "(missing)");
	d->type = type[0];
	d->major = d->minor = 0;
	if (cfg_int(c, e, "major", key, 0, INT32_MAX, &d->major) ||
	    cfg_int(c, e, "minor", key, 0, INT32_MAX, &d->minor))
		return -1;
	if (d->type != 'p' && (!cfg_get(e, "major") || !cfg_get(e, "minor")))
		return cfg_bad(c, key, "a %c device needs major and minor", d->type);
	v = -1;
	if (cfg_int(c, e, "fileMode", key, 0, 07777, &v))
		return -1;
	d->has_mode = v >= 0;
	d->mode = v >= 0 ? (uint32_t)v : 0666;
	v = -1;
	if (cfg_int(c, e, "uid", key, 0, UINT32_MAX - 1, &v))
		return -1;
	d->has_uid = v >= 0;
	d->uid = v >= 0 ? (uint32_t)v : 0;
	v = -1;
	if (cfg_int(c, e, "gid", key, 0, UINT32_MAX - 1, &v))
		return -1;
	d->has_gid = v >= 0;
	d->gid = v >= 0 ? (uint32_t)v : 0;
	return 0;
}

static int devices(struct cfg *c, json_object *lx)
{
	json_object *a;
	size_t n;
	if (cfg_array(c, lx, "devices", "linux.devices", &a, &n))
		return -1;
	c->o->devices = calloc(n ? n : 1, sizeof *c->o->devices);
	if (!c->o->devices)
		return husk_error(c->err, ENOMEM, "linux.devices");
	for (size_t i = 0; i < n; i++) {
		char key[64];
		snprintf(key, sizeof key, "linux.devices[%zu]", i);
		c->o->n_devices = i + 1;
		if (one_device(c, json_object_array_get_idx(a, i), key, &c->o->devices[i]))
			return -1;
	}
	return 0;
}

/* "slice:prefix:name" needs --systemd-cgroup; the engine expands it. Here: its form. */
static int cgroups_path(struct cfg *c, json_object *lx)
{
	if (cfg_string(c, lx, "cgroupsPath", "linux.cgroupsPath", &c->o->cgroups_path))
		return -1;
	const char *p = c->o->cgroups_path;
	if (!p)
		return 0;
	if (!p[0]) {
		free(c->o->cgroups_path);
		c->o->cgroups_path = NULL;
		return 0;
	}
	if (strstr(p, "/../") || !strncmp(p, "../", 3) || !strcmp(p, "..") ||
	    (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")))
		return cfg_bad(c, "linux.cgroupsPath", "'%s' leaves the cgroup tree through '..'", p);
	return 0;
}

static int seccomp_section(struct cfg *c, json_object *lx)
{
	json_object *sc;
	if (cfg_object(c, lx, "seccomp", "linux.seccomp", &sc))
		return -1;
	if (!sc) {
		/* no linux.seccomp: no filter at all (husk's default profile is run's) */
		c->s->sec.seccomp_unconfined = true;
		return 0;
	}
	if (!cfg_get(sc, "defaultAction"))
		return cfg_bad(c, "linux.seccomp.defaultAction", "missing");
	const char *text = json_object_to_json_string_ext(sc, JSON_C_TO_STRING_PLAIN);
	free(c->o->seccomp_json);
	c->o->seccomp_json = cfg_strdup(c, text);
	return c->o->seccomp_json ? 0 : -1;
}

int cfg_linux(struct cfg *c, json_object *lx)
{
	json_object *res, *rdt;
	if (namespaces(c, lx) ||
	    id_mappings(c, lx, "uidMappings", &c->o->uid_mappings, &c->o->n_uid_mappings) ||
	    id_mappings(c, lx, "gidMappings", &c->o->gid_mappings, &c->o->n_gid_mappings) ||
	    devices(c, lx) || cgroups_path(c, lx) ||
	    cfg_kv(c, lx, "sysctl", "linux.sysctl", &c->o->sysctl, &c->o->n_sysctl) ||
	    seccomp_section(c, lx) ||
	    cfg_object(c, lx, "resources", "linux.resources", &res) || cfg_resources(c, res) ||
	    cfg_object(c, lx, "intelRdt", "linux.intelRdt", &rdt) ||
	    cfg_string(c, rdt, "closID", "linux.intelRdt.closID", &c->o->intel_rdt_closid))
		return -1;
	/* the docker-like face's own network set-up never runs for a bundle: the engine
	 * (shim, conmon, a CNI plugin) wires the namespace it asked for */
	c->s->net = spec_oci_namespace(c->o, CLONE_NEWNET) ? NET_NONE : NET_HOST;
	return 0;
}
