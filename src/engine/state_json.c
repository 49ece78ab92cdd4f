/* The record's JSON: what state_write puts into state.json for a container (its
 * spec, cgroup, network, ports, security), and the getters its readers use. The
 * state root itself (locks, create, stale records, removal) is state.c. */
#include "engine/state.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/container.h"
#include "linux/cgroup/cgroup.h"
#include "linux/net/network.h"
#include "linux/net/ports/ports.h"
#include "linux/userns/userns.h"
#include "util/json.h"

static json_object *strv_json(char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; v && (n ? i < n : v[i] != NULL); i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static void add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static json_object *mounts_json(const struct husk_spec *s)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < s->n_volumes; i++) {
		json_object *m = json_object_new_object();
		json_object_object_add(m, "type", json_object_new_string("bind"));
		add_str(m, "source", s->volumes[i].host);
		add_str(m, "destination", s->volumes[i].ctr);
		json_object_object_add(m, "read_only", json_object_new_boolean(s->volumes[i].readonly));
		json_object_array_add(a, m);
	}
	for (size_t i = 0; i < s->n_tmpfs; i++) {
		json_object *m = json_object_new_object();
		json_object_object_add(m, "type", json_object_new_string("tmpfs"));
		add_str(m, "destination", s->tmpfs[i].ctr);
		json_object_object_add(m, "size", json_object_new_int64(s->tmpfs[i].size));
		json_object_array_add(a, m);
	}
	return a;
}

static json_object *ports_json(const struct husk_spec *s)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < s->n_ports; i++) {
		const struct port_map *p = &s->ports[i];
		json_object *m = json_object_new_object();
		add_str(m, "host_ip", p->host_ip);
		json_object_object_add(m, "host_port", json_object_new_int(p->host_port));
		json_object_object_add(m, "container_port", json_object_new_int(p->ctr_port));
		add_str(m, "protocol", p->proto == IPPROTO_UDP ? "udp" : "tcp");
		json_object_array_add(a, m);
	}
	return a;
}

static json_object *security_json(const struct husk_security *sec)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "privileged", json_object_new_boolean(sec->privileged));
	json_object_object_add(o, "no_new_privileges", json_object_new_boolean(sec->no_new_privs));
	json_object_object_add(o, "seccomp_unconfined", json_object_new_boolean(sec->seccomp_unconfined));
	add_str(o, "seccomp_profile", sec->seccomp_profile);
	json_object_object_add(o, "cap_add", strv_json(sec->cap_add, sec->n_cap_add));
	json_object_object_add(o, "cap_drop", strv_json(sec->cap_drop, sec->n_cap_drop));
	return o;
}

static json_object *resources_json(const struct husk_resources *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "memory", json_object_new_int64(r->memory));
	json_object_object_add(o, "memory_swap", json_object_new_int64(r->memory_swap));
	json_object_object_add(o, "cpus", json_object_new_double((double)r->millicpus / 1000.0));
	json_object_object_add(o, "pids", json_object_new_int64(r->pids));
	return o;
}

static json_object *cgroup_json(const struct cgroup *cg)
{
	json_object *o = json_object_new_object();
	add_str(o, "mode", cgroup_mode_name(cg->mode));
	if (cg->mode == CGROUP_V2) {
		add_str(o, "path", cg->v2_path);
		return o;
	}
	/* v1: one directory per hierarchy, keyed by its controllers ("cpu,cpuacct") */
	json_object *paths = json_object_new_object();
	for (int i = 0; i < cg->n_v1; i++)
		add_str(paths, cg->v1[i].controllers, cg->v1[i].path);
	json_object_object_add(o, "paths", paths);
	return o;
}

static json_object *net_json(const struct net_state *n, const struct husk_spec *s)
{
	static const char *const modes[] = { [NET_BRIDGE] = "bridge", [NET_NONE] = "none",
					     [NET_HOST] = "host", [NET_SLIRP] = "slirp4netns" };
	json_object *o = json_object_new_object();
	add_str(o, "mode", modes[s->net]);
	add_str(o, "address", n->address[0] ? n->address : NULL);
	add_str(o, "gateway", n->gateway[0] ? n->gateway : NULL);
	add_str(o, "host_veth", n->host_veth[0] ? n->host_veth : NULL);
	json_object *ports = ports_json(s);
	/* which path serves each port, and why (the redirect, the forwarder, DNAT) */
	for (size_t i = 0; i < s->n_ports && n->mode == NET_BRIDGE; i++) {
		char path[256];
		ports_path(n->ports, s, i, path, sizeof path);
		add_str(json_object_array_get_idx(ports, i), "path", path);
	}
	json_object_object_add(o, "ports", ports);
	return o;
}

struct write_args {
	const struct container *c;
	const char *status;
};

static void write_edit(json_object *o, void *arg)
{
	const struct write_args *a = arg;
	const struct husk_spec *s = a->c->spec;
	int64_t now = (int64_t)time(NULL);
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "pid", json_object_new_int(a->c->pid));
	json_object_object_add(o, "pid_start", json_object_new_uint64(state_pid_start(a->c->pid)));
	json_object_object_add(o, "husk_pid", json_object_new_int(getpid()));
	json_object_object_add(o, "status", json_object_new_string(a->status));
	json_object_object_add(o, "rootfs", json_object_new_string(s->rootfs));
	if (s->image) { /* husk rmi and image prune look for these */
		json_object_object_add(o, "image", json_object_new_string(s->image));
		add_str(o, "image_id", s->image_id);
	}
	if (s->n_lower)
		json_object_object_add(o, "lower", strv_json(s->lower, s->n_lower));
	if (!json_object_object_get_ex(o, "created", NULL))
		json_object_object_add(o, "created", json_object_new_int64(now));
	if (!strcmp(a->status, "running"))
		json_object_object_add(o, "started_at", json_object_new_int64(now));
	json_object_object_add(o, "command", strv_json(s->argv, 0));
	if (!json_object_object_get_ex(o, "config", NULL))
		json_object_object_add(o, "config", state_config_json(s));
	json_object_object_add(o, "cgroup", cgroup_json(&a->c->cg));
	json_object_object_add(o, "network", net_json(&a->c->net, s));
	if (a->c->record_edit)
		a->c->record_edit(o, a->c);
}

int state_write(const struct container *c, const char *status, struct husk_err *err)
{
	struct write_args a = { c, status };
	return state_update(c->state_dir, write_edit, &a, err);
}

json_object *state_config_json(const struct husk_spec *s)
{
	static const char *const nets[] = { [NET_BRIDGE] = "bridge", [NET_NONE] = "none",
					    [NET_HOST] = "host", [NET_SLIRP] = "slirp4netns" };
	json_object *o = json_object_new_object();
	add_str(o, "hostname", s->hostname);
	add_str(o, "rootfs", s->rootfs);
	json_object_object_add(o, "command", strv_json(s->argv, 0));
	json_object_object_add(o, "env", strv_json(s->env, s->n_env));
	add_str(o, "workdir", s->workdir);
	add_str(o, "user", s->user);
	json_object_object_add(o, "tty", json_object_new_boolean(s->tty));
	json_object_object_add(o, "interactive", json_object_new_boolean(s->interactive));
	json_object_object_add(o, "init", json_object_new_boolean(s->init));
	json_object_object_add(o, "stop_timeout", json_object_new_int(s->stop_timeout));
	add_str(o, "log_file", s->log_file);
	json_object_object_add(o, "no_pivot", json_object_new_boolean(s->no_pivot));
	json_object_object_add(o, "read_only", json_object_new_boolean(s->readonly_root));
	json_object_object_add(o, "mounts", mounts_json(s));
	json_object_object_add(o, "resources", resources_json(&s->res));
	add_str(o, "network", nets[s->net]);
	json_object_object_add(o, "ports", ports_json(s));
	json_object_object_add(o, "security", security_json(&s->sec));
	json_object_object_add(o, "detach", json_object_new_boolean(s->detach));
	json_object_object_add(o, "remove", json_object_new_boolean(s->remove));
	return o;
}

const char *state_get_str(json_object *o, const char *key, const char *fallback)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return fallback;
	return json_object_get_string(v);
}

int64_t state_get_int(json_object *o, const char *key, int64_t fallback)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return fallback;
	return json_object_get_int64(v);
}

bool state_get_bool(json_object *o, const char *key)
{
	json_object *v;
	return o && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}
