/* config.json linux.resources: memory, cpu, pids, devices, blockIO, hugepageLimits,
 * network, unified. Limits husk_resources already holds go there (memory.limit,
 * memory.swap, pids.limit); the rest into spec.oci.res. -1 / NULL = not set. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config_internal.h"
#include "util/cleanup.h"

static int dev_rules(struct cfg *c, json_object *res)
{
	json_object *a;
	size_t n;
	struct oci_resources *r = &c->o->res;
	if (cfg_array(c, res, "devices", "linux.resources.devices", &a, &n))
		return -1;
	r->devices = calloc(n ? n : 1, sizeof *r->devices);
	if (!r->devices)
		return husk_error(c->err, ENOMEM, "linux.resources.devices");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		struct oci_dev_rule *d = &r->devices[i];
		char key[64];
		cleanup_free char *type = NULL, *access = NULL;
		snprintf(key, sizeof key, "linux.resources.devices[%zu]", i);
		r->n_devices = i + 1;
		d->major = d->minor = -1;
		if (!cfg_is(e, json_type_object))
			return cfg_bad(c, key, "expected an object");
		if (cfg_bool(c, e, "allow", key, &d->allow) || cfg_string(c, e, "type", key, &type) ||
		    cfg_string(c, e, "access", key, &access) ||
		    cfg_int(c, e, "major", key, -1, INT32_MAX, &d->major) ||
		    cfg_int(c, e, "minor", key, -1, INT32_MAX, &d->minor))
			return -1;
		d->type = type ? type[0] : 'a';
		if (type && (strlen(type) != 1 || !strchr("acb", type[0])))
			return cfg_bad(c, key, "type '%s': expected a, c or b", type);
		const char *acc = access ? access : "rwm";
		if (strlen(acc) > 3 || strspn(acc, "rwm") != strlen(acc))
			return cfg_bad(c, key, "access '%s': expected some of r, w, m", acc);
		snprintf(d->access, sizeof d->access, "%s", acc);
	}
	return 0;
}

static int memory(struct cfg *c, json_object *res)
{
	json_object *m;
	struct oci_resources *r = &c->o->res;
	int64_t limit = 0, swap = 0;
	if (cfg_object(c, res, "memory", "linux.resources.memory", &m) || !m)
		return m ? -1 : 0;
	if (cfg_int(c, m, "limit", "linux.resources.memory.limit", -1, INT64_MAX, &limit) ||
	    cfg_int(c, m, "swap", "linux.resources.memory.swap", -1, INT64_MAX, &swap) ||
	    cfg_int(c, m, "reservation", "linux.resources.memory.reservation", -1, INT64_MAX,
		    &r->memory_reservation) ||
	    cfg_int(c, m, "kernel", "linux.resources.memory.kernel", -1, INT64_MAX, &r->kernel) ||
	    cfg_int(c, m, "kernelTCP", "linux.resources.memory.kernelTCP", -1, INT64_MAX,
		    &r->kernel_tcp) ||
	    cfg_int(c, m, "swappiness", "linux.resources.memory.swappiness", -1, 100,
		    &r->swappiness) ||
	    cfg_bool(c, m, "disableOOMKiller", "linux.resources.memory.disableOOMKiller",
		     &r->disable_oom_killer))
		return -1;
	/* 0 is "not set", as runc reads it: docker update sends every field, unset ones 0 */
	if (r->memory_reservation == 0)
		r->memory_reservation = -1;
	if (r->kernel == 0)
		r->kernel = -1;
	if (r->kernel_tcp == 0)
		r->kernel_tcp = -1;
	c->s->res.memory = limit > 0 ? limit : 0;
	c->s->res.memory_swap = swap;
	if (swap > 0 && limit > 0 && swap < limit)
		return cfg_bad(c, "linux.resources.memory.swap", "%lld is below the limit %lld "
			       "(swap counts memory plus swap)", (long long)swap, (long long)limit);
	return 0;
}

static int cpu(struct cfg *c, json_object *res)
{
	json_object *p;
	struct oci_resources *r = &c->o->res;
	uint64_t shares = 0, period = 0, rt_period = 0;
	if (cfg_object(c, res, "cpu", "linux.resources.cpu", &p) || !p)
		return p ? -1 : 0;
	if (cfg_uint(c, p, "shares", "linux.resources.cpu.shares", &shares) ||
	    cfg_int(c, p, "quota", "linux.resources.cpu.quota", -1, INT64_MAX, &r->cpu_quota) ||
	    cfg_uint(c, p, "period", "linux.resources.cpu.period", &period) ||
	    cfg_int(c, p, "realtimeRuntime", "linux.resources.cpu.realtimeRuntime", -1, INT64_MAX,
		    &r->cpu_rt_runtime) ||
	    cfg_uint(c, p, "realtimePeriod", "linux.resources.cpu.realtimePeriod", &rt_period) ||
	    cfg_int(c, p, "idle", "linux.resources.cpu.idle", -1, 1, &r->cpu_idle) ||
	    cfg_string(c, p, "cpus", "linux.resources.cpu.cpus", &r->cpus) ||
	    cfg_string(c, p, "mems", "linux.resources.cpu.mems", &r->mems))
		return -1;
	if (shares > (1u << 18) || period > 1000000 || rt_period > INT64_MAX)
		return cfg_bad(c, "linux.resources.cpu", "shares (at most 262144) or period "
			       "(at most 1000000 us) out of range");
	/* "" cpus or mems are not set either (runc's reading; docker update sends both) */
	if (r->cpus && !*r->cpus) {
		free(r->cpus);
		r->cpus = NULL;
	}
	if (r->mems && !*r->mems) {
		free(r->mems);
		r->mems = NULL;
	}
	/* a quota or realtime runtime of 0 is "not set" too (cpu.cfs_quota_us refuses 0) */
	if (r->cpu_quota == 0)
		r->cpu_quota = -1;
	if (r->cpu_rt_runtime == 0)
		r->cpu_rt_runtime = -1;
	r->cpu_shares = shares ? (int64_t)shares : -1;
	r->cpu_period = period ? (int64_t)period : -1;
	r->cpu_rt_period = rt_period ? (int64_t)rt_period : -1;
	return 0;
}

static int throttle(struct cfg *c, json_object *b, const char *member, int idx)
{
	json_object *a;
	size_t n;
	char key[96];
	struct oci_resources *r = &c->o->res;
	snprintf(key, sizeof key, "linux.resources.blockIO.%s", member);
	if (cfg_array(c, b, member, key, &a, &n))
		return -1;
	if (!(r->throttle[idx] = calloc(n ? n : 1, sizeof *r->throttle[idx])))
		return husk_error(c->err, ENOMEM, "%s", key);
	r->n_throttle[idx] = n;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		struct oci_throttle *t = &r->throttle[idx][i];
		if (cfg_int(c, e, "major", key, 0, INT32_MAX, &t->major) ||
		    cfg_int(c, e, "minor", key, 0, INT32_MAX, &t->minor) ||
		    cfg_uint(c, e, "rate", key, &t->rate))
			return -1;
	}
	return 0;
}

static int block_io(struct cfg *c, json_object *res)
{
	json_object *b, *a;
	size_t n;
	struct oci_resources *r = &c->o->res;
	if (cfg_object(c, res, "blockIO", "linux.resources.blockIO", &b) || !b)
		return b ? -1 : 0;
	/* 0 is "not set": docker writes "weight": 0 into every config, runc skips it */
	if (cfg_int(c, b, "weight", "linux.resources.blockIO.weight", 0, 1000, &r->blkio_weight) ||
	    cfg_int(c, b, "leafWeight", "linux.resources.blockIO.leafWeight", 0, 1000,
		    &r->blkio_leaf_weight) ||
	    throttle(c, b, "throttleReadBpsDevice", 0) || throttle(c, b, "throttleWriteBpsDevice", 1) ||
	    throttle(c, b, "throttleReadIOPSDevice", 2) || throttle(c, b, "throttleWriteIOPSDevice", 3) ||
	    cfg_array(c, b, "weightDevice", "linux.resources.blockIO.weightDevice", &a, &n))
		return -1;
	if (r->blkio_weight > 0 && r->blkio_weight < 10)
		return cfg_bad(c, "linux.resources.blockIO.weight", "%lld is out of range (0: not set, "
			       "or 10..1000)", (long long)r->blkio_weight);
	if (r->blkio_leaf_weight > 0 && r->blkio_leaf_weight < 10)
		return cfg_bad(c, "linux.resources.blockIO.leafWeight", "%lld is out of range (0: not "
			       "set, or 10..1000)", (long long)r->blkio_leaf_weight);
	if (r->blkio_weight == 0)
		r->blkio_weight = -1;
	if (r->blkio_leaf_weight == 0)
		r->blkio_leaf_weight = -1;
	if (!(r->blkio_weight_dev = calloc(n ? n : 1, sizeof *r->blkio_weight_dev)))
		return husk_error(c->err, ENOMEM, "blockIO");
	r->n_blkio_weight_dev = n;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		struct oci_weight_dev *w = &r->blkio_weight_dev[i];
		int64_t wt = 0, lw = 0;
		const char *key = "linux.resources.blockIO.weightDevice";
		if (cfg_int(c, e, "major", key, 0, INT32_MAX, &w->major) ||
		    cfg_int(c, e, "minor", key, 0, INT32_MAX, &w->minor) ||
		    cfg_int(c, e, "weight", key, 0, 1000, &wt) ||
		    cfg_int(c, e, "leafWeight", key, 0, 1000, &lw))
			return -1;
		w->weight = (uint16_t)wt;
		w->leaf_weight = (uint16_t)lw;
	}
	return 0;
}

/* [{"pageSize": "2MB", "limit": N}] and network.priorities: arrays of pairs */
static int pairs(struct cfg *c, json_object *a, size_t n, const char *key, const char *kname,
		 const char *vname, struct oci_kv **out, size_t *count)
{
	if (!(*out = calloc(n ? n : 1, sizeof **out)))
		return husk_error(c->err, ENOMEM, "%s", key);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		uint64_t v = 0;
		*count = i + 1;
		if (cfg_string(c, e, kname, key, &(*out)[i].key) || cfg_uint(c, e, vname, key, &v))
			return -1;
		if (!(*out)[i].key)
			return cfg_bad(c, key, "element %zu has no %s", i, kname);
		char num[32];
		snprintf(num, sizeof num, "%llu", (unsigned long long)v);
		if (!((*out)[i].value = cfg_strdup(c, num)))
			return -1;
	}
	return 0;
}

int cfg_resources(struct cfg *c, json_object *res)
{
	struct oci_resources *r = &c->o->res;
	json_object *pids, *hp, *net, *prio;
	size_t n_hp, n_prio;
	int64_t pid_limit = 0;
	r->memory_reservation = r->kernel = r->kernel_tcp = r->swappiness = -1;
	r->cpu_shares = r->cpu_quota = r->cpu_period = r->cpu_rt_runtime = -1;
	r->cpu_rt_period = r->cpu_idle = r->blkio_weight = r->blkio_leaf_weight = -1;
	r->network_class_id = -1;
	if (!res)
		return 0;
	if (dev_rules(c, res) || memory(c, res) || cpu(c, res) || block_io(c, res) ||
	    cfg_object(c, res, "pids", "linux.resources.pids", &pids) ||
	    cfg_int(c, pids, "limit", "linux.resources.pids.limit", -1, INT64_MAX, &pid_limit) ||
	    cfg_array(c, res, "hugepageLimits", "linux.resources.hugepageLimits", &hp, &n_hp) ||
	    pairs(c, hp, n_hp, "linux.resources.hugepageLimits", "pageSize", "limit",
		  &r->hugepages, &r->n_hugepages) ||
	    cfg_object(c, res, "network", "linux.resources.network", &net) ||
	    cfg_int(c, net, "classID", "linux.resources.network.classID", 0, UINT32_MAX,
		    &r->network_class_id) ||
	    cfg_array(c, net, "priorities", "linux.resources.network.priorities", &prio, &n_prio) ||
	    pairs(c, prio, n_prio, "linux.resources.network.priorities", "name", "priority",
		  &r->network_prio, &r->n_network_prio) ||
	    cfg_kv(c, res, "unified", "linux.resources.unified", &r->unified, &r->n_unified))
		return -1;
	c->s->res.pids = pid_limit > 0 ? pid_limit : 0;
	for (size_t i = 0; i < r->n_unified; i++)
		if (strchr(r->unified[i].key, '/') || r->unified[i].key[0] == '.')
			return cfg_bad(c, "linux.resources.unified", "'%s' is not a cgroup file name",
				       r->unified[i].key);
	return 0;
}
