#include "linux/cgroup/oci_limits.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"

const char *const oci_limits_any_controller[] = { "cpuset", "blkio", "hugetlb", "net_cls",
						  "net_prio", NULL };

void oci_limits_controllers(const struct oci_resources *r, const char *out[8])
{
	int n = 0;
	if (r->cpus || r->mems)
		out[n++] = "cpuset";
	if (r->blkio_weight >= 0 || r->blkio_leaf_weight >= 0 || r->n_blkio_weight_dev ||
	    r->n_throttle[0] || r->n_throttle[1] || r->n_throttle[2] || r->n_throttle[3])
		out[n++] = "blkio";
	if (r->n_hugepages)
		out[n++] = "hugetlb";
	if (r->network_class_id >= 0)
		out[n++] = "net_cls";
	if (r->n_network_prio)
		out[n++] = "net_prio";
	out[n] = NULL;
}

/* dir/file = val; optional files (a feature this kernel dropped) are skipped */
static int put(const char *dir, const char *file, const char *val, bool optional,
	       struct husk_err *err)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (optional && access(path, F_OK) < 0)
		return 0;
	return cgroup_write(dir, file, val, err);
}

static int put_int(const char *dir, const char *file, int64_t v, bool optional,
		   struct husk_err *err)
{
	char val[32];
	snprintf(val, sizeof val, "%lld", (long long)v);
	return put(dir, file, val, optional, err);
}

static const char *v1_dir(struct cgroup *cg, const char *ctrl, const char *field,
			  struct husk_err *err)
{
	const char *d = cgroup_v1_path(cg, ctrl);
	if (!d)
		husk_error(err, 0, "linux.resources.%s: the %s controller is not mounted", field, ctrl);
	return d;
}

static int v1_memory_cpu(struct cgroup *cg, const struct oci_resources *r, struct husk_err *err)
{
	const char *d;
	if (r->memory_reservation >= 0 || r->swappiness >= 0 || r->disable_oom_killer ||
	    r->kernel >= 0 || r->kernel_tcp >= 0) {
		if (!(d = v1_dir(cg, "memory", "memory", err)) ||
		    (r->memory_reservation >= 0 &&
		     put_int(d, "memory.soft_limit_in_bytes", r->memory_reservation, false, err)) ||
		    (r->swappiness >= 0 && put_int(d, "memory.swappiness", r->swappiness, false, err)) ||
		    (r->disable_oom_killer && put(d, "memory.oom_control", "1", false, err)) ||
		    (r->kernel >= 0 && put_int(d, "memory.kmem.limit_in_bytes", r->kernel, true, err)) ||
		    (r->kernel_tcp >= 0 &&
		     put_int(d, "memory.kmem.tcp.limit_in_bytes", r->kernel_tcp, true, err)))
			return -1;
	}
	if (r->cpu_shares >= 0 || r->cpu_quota != -1 || r->cpu_period >= 0 ||
	    r->cpu_rt_runtime >= 0 || r->cpu_rt_period >= 0) {
		/* the period first: a quota above the old period may be refused */
		if (!(d = v1_dir(cg, "cpu", "cpu", err)) ||
		    (r->cpu_shares >= 0 && put_int(d, "cpu.shares", r->cpu_shares, false, err)) ||
		    (r->cpu_period >= 0 && put_int(d, "cpu.cfs_period_us", r->cpu_period, false, err)) ||
		    (r->cpu_quota != -1 && put_int(d, "cpu.cfs_quota_us", r->cpu_quota, false, err)) ||
		    (r->cpu_rt_period >= 0 && put_int(d, "cpu.rt_period_us", r->cpu_rt_period, false, err)) ||
		    (r->cpu_rt_runtime >= 0 && put_int(d, "cpu.rt_runtime_us", r->cpu_rt_runtime, false, err)))
			return -1;
	}
	if (r->cpus || r->mems) {
		if (!(d = v1_dir(cg, "cpuset", "cpu.cpus", err)) ||
		    (r->cpus && put(d, "cpuset.cpus", r->cpus, false, err)) ||
		    (r->mems && put(d, "cpuset.mems", r->mems, false, err)))
			return -1;
	}
	return 0;
}

static const char *const v1_throttle[4] = {
	"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
	"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
};

static int v1_blkio_rest(struct cgroup *cg, const struct oci_resources *r, struct husk_err *err)
{
	const char *ctl[8], *d;
	char val[96], file[96];
	oci_limits_controllers(r, ctl);
	for (int i = 0; ctl[i]; i++)
		if (!strcmp(ctl[i], "blkio")) {
			if (!(d = v1_dir(cg, "blkio", "blockIO", err)) ||
			    (r->blkio_weight >= 0 && put_int(d, "blkio.weight", r->blkio_weight, true, err)) ||
			    (r->blkio_leaf_weight >= 0 &&
			     put_int(d, "blkio.leaf_weight", r->blkio_leaf_weight, true, err)))
				return -1;
			for (size_t k = 0; k < r->n_blkio_weight_dev; k++) {
				const struct oci_weight_dev *w = &r->blkio_weight_dev[k];
				snprintf(val, sizeof val, "%lld:%lld %u", (long long)w->major,
					 (long long)w->minor, w->weight);
				if (w->weight && put(d, "blkio.weight_device", val, true, err))
					return -1;
			}
			for (int t = 0; t < 4; t++)
				for (size_t k = 0; k < r->n_throttle[t]; k++) {
					snprintf(val, sizeof val, "%lld:%lld %llu", (long long)r->throttle[t][k].major,
						 (long long)r->throttle[t][k].minor,
						 (unsigned long long)r->throttle[t][k].rate);
					if (put(d, v1_throttle[t], val, false, err))
						return -1;
				}
		}
	for (size_t k = 0; k < r->n_hugepages; k++) {
		snprintf(file, sizeof file, "hugetlb.%s.limit_in_bytes", r->hugepages[k].key);
		if (!(d = v1_dir(cg, "hugetlb", "hugepageLimits", err)) ||
		    put(d, file, r->hugepages[k].value, false, err))
			return -1;
	}
	if (r->network_class_id >= 0 && (!(d = v1_dir(cg, "net_cls", "network.classID", err)) ||
					 put_int(d, "net_cls.classid", r->network_class_id, false, err)))
		return -1;
	for (size_t k = 0; k < r->n_network_prio; k++) {
		snprintf(val, sizeof val, "%s %s", r->network_prio[k].key, r->network_prio[k].value);
		if (!(d = v1_dir(cg, "net_prio", "network.priorities", err)) ||
		    put(d, "net_prio.ifpriomap", val, false, err))
			return -1;
	}
	if (r->n_unified)
		return husk_error(err, 0, "linux.resources.unified: this host's controllers are cgroup "
				  "v1 (unified needs cgroup v2)");
	return 0;
}

static int v2_apply(struct cgroup *cg, const struct oci_resources *r, struct husk_err *err)
{
	const char *d = cg->v2_path;
	char val[128], file[96];
	if ((r->memory_reservation >= 0 && put_int(d, "memory.low", r->memory_reservation, false, err)) ||
	    (r->cpu_shares >= 0 &&
	     put_int(d, "cpu.weight", 1 + ((r->cpu_shares - 2) * 9999) / 262142, false, err)) ||
	    (r->cpus && put(d, "cpuset.cpus", r->cpus, false, err)) ||
	    (r->mems && put(d, "cpuset.mems", r->mems, false, err)) ||
	    (r->blkio_weight >= 0 && put_int(d, "io.weight", r->blkio_weight, true, err)))
		return -1;
	if (r->cpu_quota != -1 || r->cpu_period >= 0) {
		char q[32] = "max";
		if (r->cpu_quota > 0)
			snprintf(q, sizeof q, "%lld", (long long)r->cpu_quota);
		snprintf(val, sizeof val, "%s %lld", q, (long long)(r->cpu_period > 0 ? r->cpu_period : 100000));
		if (put(d, "cpu.max", val, false, err))
			return -1;
	}
	static const char *const keys[4] = { "rbps", "wbps", "riops", "wiops" };
	for (int t = 0; t < 4; t++)
		for (size_t k = 0; k < r->n_throttle[t]; k++) {
			snprintf(val, sizeof val, "%lld:%lld %s=%llu", (long long)r->throttle[t][k].major,
				 (long long)r->throttle[t][k].minor, keys[t],
				 (unsigned long long)r->throttle[t][k].rate);
			if (put(d, "io.max", val, false, err))
				return -1;
		}
	for (size_t k = 0; k < r->n_hugepages; k++) {
		snprintf(file, sizeof file, "hugetlb.%s.max", r->hugepages[k].key);
		if (put(d, file, r->hugepages[k].value, false, err))
			return -1;
	}
	for (size_t k = 0; k < r->n_unified; k++)
		if (put(d, r->unified[k].key, r->unified[k].value, false, err))
			return -1;
	return 0;
}

int oci_limits_apply(struct cgroup *cg, const struct oci_resources *r, struct husk_err *err)
{
	if (cg->mode == CGROUP_V2)
		return v2_apply(cg, r, err);
	return v1_memory_cpu(cg, r, err) || v1_blkio_rest(cg, r, err) ? -1 : 0;
}
