/* cgroup v2: one unified hierarchy at /sys/fs/cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/explain.h"
#include "util/fs.h"
#include "util/path.h"

/* Lets children of dir use the controllers the limits need. */
static int enable_controllers(const char *dir, struct husk_err *err)
{
	char avail[256], path[300];
	snprintf(path, sizeof path, "%s/cgroup.controllers", dir);
	if (read_file(path, avail, sizeof avail) < 0)
		return husk_error(err, errno, "cgroup: reading %s", path);
	static const char *const ctrls[] = { "memory", "cpu", "pids" };
	char want[64] = "";
	size_t off = 0;
	for (size_t i = 0; i < sizeof ctrls / sizeof ctrls[0]; i++) {
		/* whole-word match in the space-separated list */
		size_t n = strlen(ctrls[i]);
		for (const char *p = avail; (p = strstr(p, ctrls[i])); p += n)
			if ((p == avail || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n])) {
				off += (size_t)snprintf(want + off, sizeof want - off, "%s+%s",
							off ? " " : "", ctrls[i]);
				break;
			}
	}
	if (!off)
		return 0;
	snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
	char cur[256];
	if (read_file(path, cur, sizeof cur) >= 0 && strstr(cur, "memory") && strstr(cur, "pids") &&
	    strstr(cur, "cpu"))
		return 0; /* already enabled: skip the write on the start path */
	return cgroup_write(dir, "cgroup.subtree_control", want, err);
}

/* Where the container's processes go: <name>, or its leaf <name>/ctr. */
static void leaf_path(const struct cgroup *cg, char *out, size_t len)
{
	snprintf(out, len, "%s%s", cg->v2_path, cg->v2_leaf ? "/ctr" : "");
}

int cgroup_v2_set_limits(struct cgroup *cg, const struct husk_resources *res, struct husk_err *err)
{
	char val[64];
	if (res->memory) {
		snprintf(val, sizeof val, "%lld", (long long)res->memory);
		if (cgroup_write(cg->v2_path, "memory.max", val, err))
			return -1;
		/* docker's default: as much swap as memory; -1: unlimited */
		long long swap = res->memory_swap > 0 ? res->memory_swap - res->memory :
				 res->memory_swap < 0 ? -1 : res->memory;
		if (swap < 0)
			snprintf(val, sizeof val, "max");
		else
			snprintf(val, sizeof val, "%lld", swap);
		char p[300];
		snprintf(p, sizeof p, "%s/memory.swap.max", cg->v2_path);
		if (access(p, F_OK) == 0 && cgroup_write(cg->v2_path, "memory.swap.max", val, err))
			return -1;
	}
	if (res->millicpus) {
		snprintf(val, sizeof val, "%lld 100000", (long long)res->millicpus * 100);
		if (cgroup_write(cg->v2_path, "cpu.max", val, err))
			return -1;
	}
	if (res->pids) {
		snprintf(val, sizeof val, "%lld", (long long)res->pids);
		if (cgroup_write(cg->v2_path, "pids.max", val, err))
			return -1;
	}
	return 0;
}

int cgroup_v2_create(struct cgroup *cg, const struct husk_resources *res, struct husk_err *err)
{
	const char *base = cg->v2_base[0] ? cg->v2_base : CGROUP_ROOT;
	if (path_format(cg->v2_path, sizeof cg->v2_path, err, "cgroup", "%s/%s", base, cg->rel) ||
	    enable_controllers(base, err))
		return -1;
	EXPLAIN_START(t);
	/* every level down to the leaf's parent passes the controllers on */
	char sub[512], rel[256];
	for (const char *p = cg->rel; (p = strchr(p, '/')); p++) {
		snprintf(rel, sizeof rel, "%.*s", (int)(p - cg->rel), cg->rel);
		snprintf(sub, sizeof sub, "%s/%s", base, rel);
		if (cgroup_mkdir_rel(base, rel, cg->own, sizeof cg->own, err) ||
		    enable_controllers(sub, err))
			return -1;
	}
	if (mkdir(cg->v2_path, 0755) < 0)
		return husk_error(err, errno, "cgroup: mkdir %s", cg->v2_path);
	cg->v2_created = true;
	EXPLAIN(t, "mkdir -p %s", cg->v2_path);

	if (cgroup_v2_set_limits(cg, res, err))
		return -1;
	char leaf[300];
	leaf_path(cg, leaf, sizeof leaf);
	if (cg->v2_leaf && mkdir(leaf, 0755) < 0 && errno != EEXIST)
		return husk_error(err, errno, "cgroup: mkdir %s", leaf);
	cg->v2_fd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return 0;
}

int cgroup_v2_enter(struct cgroup *cg, pid_t pid, struct husk_err *err)
{
	char val[16], leaf[300];
	snprintf(val, sizeof val, "%d", pid);
	leaf_path(cg, leaf, sizeof leaf);
	return cgroup_write(leaf, "cgroup.procs", val, err);
}

bool cgroup_v2_oom_killed(const struct cgroup *cg)
{
	char buf[512], path[300];
	snprintf(path, sizeof path, "%s/memory.events", cg->v2_path);
	if (!cg->v2_created || read_file(path, buf, sizeof buf) < 0)
		return false;
	const char *k = strstr(buf, "oom_kill ");
	return k && strtoll(k + 9, NULL, 10) > 0;
}

void cgroup_v2_destroy(struct cgroup *cg)
{
	if (!cg->v2_created)
		return;
	EXPLAIN_START(t);
	char kill_path[300], leaf[300];
	snprintf(kill_path, sizeof kill_path, "%s/cgroup.kill", cg->v2_path);
	leaf_path(cg, leaf, sizeof leaf);
	if (cg->v2_leaf && rmdir(leaf) < 0 && errno == EBUSY) {
		write_file(kill_path, "1");
		cgroup_drain_and_remove(leaf);
	}
	if (rmdir(cg->v2_path) < 0 && errno == EBUSY)
		write_file(kill_path, "1"); /* 5.14+: kills every process at once */
	if (cgroup_drain_and_remove(cg->v2_path) < 0 && errno != ENOENT)
		husk_warn("cgroup: rmdir %s: %s", cg->v2_path, strerror(errno));
	else
		EXPLAIN(t, "rmdir %s", cg->v2_path);
	cg->v2_created = false;
	if (cg->own[0])
		cgroup_rmdir_parents(cg->v2_base[0] ? cg->v2_base : CGROUP_ROOT, cg->rel, cg->own);
}
