/* cgroup v2: one unified hierarchy at /sys/fs/cgroup. */
#include <errno.h>
#include <stdbool.h>
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

/* word as a whole word of the space-separated list */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* The cgroup2 name of a v1 controller an OCI bundle's limits need (cg->extra). */
static const char *v2_name(const char *v1)
{
	static const char *const map[][2] = { { "cpuset", "cpuset" }, { "blkio", "io" },
					      { "hugetlb", "hugetlb" } };
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(v1, map[i][0]))
			return map[i][1];
	return NULL; /* net_cls, net_prio: no cgroup2 controller */
}

/* Lets children of dir use the controllers the limits need: memory, cpu and pids,
 * and those of a bundle's cpuset, io and hugetlb limits (as far as dir has them);
 * only the missing ones are written. */
static int enable_controllers(const char *dir, const char *const *extra, struct husk_err *err)
{
	char avail[256], cur[256] = "", path[300];
	snprintf(path, sizeof path, "%s/cgroup.controllers", dir);
	if (read_file(path, avail, sizeof avail) < 0)
		return husk_error(err, errno, "cgroup: reading %s", path);
	snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
	if (read_file(path, cur, sizeof cur) < 0)
		cur[0] = '\0';
	const char *ctrls[8] = { "memory", "cpu", "pids" };
	size_t n = 3;
	for (size_t i = 0; extra && extra[i] && n < sizeof ctrls / sizeof ctrls[0]; i++)
		if (v2_name(extra[i]))
			ctrls[n++] = v2_name(extra[i]);
	char want[96] = "";
	size_t off = 0;
	for (size_t i = 0; i < n; i++)
		if (has_word(avail, ctrls[i]) && !has_word(cur, ctrls[i]))
			off += (size_t)snprintf(want + off, sizeof want - off, "%s+%s", off ? " " : "",
						ctrls[i]);
	/* nothing missing: no write on the start path */
	return off ? cgroup_write(dir, "cgroup.subtree_control", want, err) : 0;
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
	    enable_controllers(base, cg->extra, err))
		return -1;
	EXPLAIN_START(t);
	/* mkdir -p: the parents may be there (husk/ is every container's), the
	 * container's own directory may not; a husk/ that another husk removes meanwhile
	 * is made again */
	if (cgroup_mkdir_rel(base, cg->rel, cg->own, sizeof cg->own, err))
		return -1;
	cg->v2_created = true;
	EXPLAIN(t, "mkdir -p %s", cg->v2_path);
	/* every level down to the leaf's parent passes the controllers on (a parent
	 * holding our directory can no longer be removed by another husk) */
	char sub[512];
	for (const char *p = cg->rel; (p = strchr(p, '/')); p++) {
		snprintf(sub, sizeof sub, "%s/%.*s", base, (int)(p - cg->rel), cg->rel);
		if (enable_controllers(sub, cg->extra, err))
			return -1;
	}

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
