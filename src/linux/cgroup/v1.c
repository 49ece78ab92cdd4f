/* cgroup v1 (and the v1 half of a hybrid host): one hierarchy per controller (or
 * per group of controllers, "cpu,cpuacct"), each mounted under /sys/fs/cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"
#include "util/explain.h"
#include "util/fs.h"

/* The controllers a container joins: the limits, CPU accounting, device rules and
 * the freezer (so every process can be stopped at once). */
static const char *const wanted[] = { "memory", "cpu", "cpuacct", "pids", "devices", "freezer" };

static bool wanted_one(const char *o, const char *const *extra)
{
	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++)
		if (!strcmp(o, wanted[i]))
			return true;
	for (size_t i = 0; extra && extra[i]; i++)
		if (!strcmp(o, extra[i]))
			return true;
	return false;
}

static bool wants(const char *opts, const char *const *extra, char *ctrls, size_t len)
{
	char buf[256];
	bool any = false;
	size_t off = 0;
	snprintf(buf, sizeof buf, "%s", opts);
	ctrls[0] = '\0';
	char *save = NULL;
	for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save))
		if (wanted_one(o, extra)) {
			off += (size_t)snprintf(ctrls + off, len - off, "%s%s", off ? "," : "", o);
			any = true;
		}
	return any;
}

int cgroup_v1_discover(struct cgroup *cg)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[1024];
	cg->n_v1 = 0;
	while (fgets(line, sizeof line, f) && cg->n_v1 < CGROUP_V1_MAX) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS */
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		char fstype[32], source[64], super[256], mnt[256];
		if (sscanf(sep + 3, "%31s %63s %255s", fstype, source, super) != 3 ||
		    strcmp(fstype, "cgroup") ||
		    sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1)
			continue;
		struct cgroup_v1_dir *d = &cg->v1[cg->n_v1];
		if (!wants(super, cg->extra, d->controllers, sizeof d->controllers))
			continue;
		snprintf(d->mount, sizeof d->mount, "%s", mnt);
		snprintf(d->path, sizeof d->path, "%s/%s", mnt, cg->rel);
		d->created = false;
		cg->n_v1++;
	}
	return 0;
}

static int find_index(const struct cgroup *cg, const char *ctrl)
{
	for (int i = 0; i < cg->n_v1; i++) {
		char buf[64], *save = NULL;
		snprintf(buf, sizeof buf, "%s", cg->v1[i].controllers);
		for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save))
			if (!strcmp(o, ctrl))
				return i;
	}
	return -1;
}

static struct cgroup_v1_dir *find(struct cgroup *cg, const char *ctrl)
{
	int i = find_index(cg, ctrl);
	return i < 0 ? NULL : &cg->v1[i];
}

const char *cgroup_v1_path(const struct cgroup *cg, const char *controller)
{
	int i = find_index(cg, controller);
	return i < 0 ? NULL : cg->v1[i].path;
}

int cgroup_v1_hierarchies(char names[][64], int max)
{
	struct cgroup cg = { .v2_fd = -1 };
	cgroup_v1_discover(&cg);
	int n = 0;
	for (int i = 0; i < cg.n_v1 && n < max; i++) {
		/* a hierarchy bound twice (the host's /sys rbound for a user namespace
		 * without a netns of its own) is listed twice: once here */
		bool seen = false;
		for (int j = 0; j < n && !seen; j++)
			seen = !strcmp(names[j], cg.v1[i].controllers);
		if (!seen)
			snprintf(names[n++], 64, "%s", cg.v1[i].controllers);
	}
	return n;
}

/* cpuset: a new directory has no CPUs and no memory nodes; nothing can join it until
 * they are copied down from its parent */
static int cpuset_inherit(const char *path, struct husk_err *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char parent[256], val[256], f[300];
	snprintf(parent, sizeof parent, "%s", path);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(f, sizeof f, "%s/%s", path, files[i]);
		if (read_file(f, val, sizeof val) < 0 || (val[0] && val[0] != '\n'))
			continue;
		if (slash && strrchr(parent, '/') > parent + strlen(CGROUP_ROOT) + 1 &&
		    cpuset_inherit(parent, err))
			return -1;
		snprintf(f, sizeof f, "%s/%s", parent, files[i]);
		if (read_file(f, val, sizeof val) < 0)
			return husk_error(err, errno, "cgroup: reading %s", f);
		if (cgroup_write(path, files[i], val, err))
			return -1;
	}
	return 0;
}

static int make_dir(struct cgroup *cg, struct cgroup_v1_dir *d, struct husk_err *err)
{
	EXPLAIN_START(t);
	char own[192] = "";
	if (mkdir(d->path, 0755) < 0) {
		if (errno == EEXIST)
			return husk_error(err, EEXIST, "cgroup: %s", d->path);
		if (errno != ENOENT)
			return husk_error(err, errno, "cgroup: mkdir %s", d->path);
		if (cgroup_mkdir_rel(d->mount, cg->rel, own, sizeof own, err))
			return -1;
		if (!cg->own[0] && own[0])
			snprintf(cg->own, sizeof cg->own, "%s", own);
	}
	d->created = true;
	EXPLAIN(t, "mkdir -p %s", d->path);
	if (strstr(d->controllers, "cpuset") && cpuset_inherit(d->path, err))
		return -1;
	return 0;
}

int cgroup_v1_set_limits(struct cgroup *cg, const struct husk_resources *res, struct husk_err *err)
{
	char val[32];
	struct cgroup_v1_dir *d;
	if (res->memory) {
		if (!(d = find(cg, "memory")))
			return husk_error(err, 0, "--memory: the memory controller is not mounted");
		snprintf(val, sizeof val, "%lld", (long long)res->memory);
		if (cgroup_write(d->path, "memory.limit_in_bytes", val, err))
			return -1;
		/* memory+swap only where swap accounting exists; docker's default: 2x memory */
		char memsw[300];
		snprintf(memsw, sizeof memsw, "%s/memory.memsw.limit_in_bytes", d->path);
		if (access(memsw, F_OK) == 0) {
			long long sw = res->memory_swap > 0 ? res->memory_swap :
				       res->memory_swap < 0 ? -1 : 2 * res->memory;
			snprintf(val, sizeof val, "%lld", sw);
			if (cgroup_write(d->path, "memory.memsw.limit_in_bytes", val, err))
				return -1;
		} else if (res->memory_swap > 0) {
			husk_warn("--memory-swap ignored: this kernel has no swap accounting (swapaccount=1)");
		}
	}
	if (res->millicpus) {
		if (!(d = find(cg, "cpu")))
			return husk_error(err, 0, "--cpus: the cpu controller is not mounted");
		snprintf(val, sizeof val, "%lld", (long long)res->millicpus * 100);
		if (cgroup_write(d->path, "cpu.cfs_period_us", "100000", err) ||
		    cgroup_write(d->path, "cpu.cfs_quota_us", val, err))
			return -1;
	}
	if (res->pids) {
		if (!(d = find(cg, "pids")))
			return husk_error(err, 0, "--pids-limit: the pids controller is not mounted");
		snprintf(val, sizeof val, "%lld", (long long)res->pids);
		if (cgroup_write(d->path, "pids.max", val, err))
			return -1;
	}
	return 0;
}

int cgroup_v1_create(struct cgroup *cg, const struct husk_resources *res, struct husk_err *err)
{
	if (cgroup_v1_discover(cg) < 0)
		return husk_error(err, errno, "cgroup: reading /proc/self/mountinfo");
	if (cg->n_v1 == 0)
		return husk_error(err, 0, "cgroup: no v1 controller is mounted under %s", CGROUP_ROOT);
	for (int i = 0; i < cg->n_v1; i++)
		if (make_dir(cg, &cg->v1[i], err))
			return -1;
	return cgroup_v1_set_limits(cg, res, err);
}

int cgroup_v1_self_prepare(struct cgroup *cg, struct husk_err *err)
{
	char path[512];
	for (int i = 0; i < cg->n_v1; i++) {
		snprintf(path, sizeof path, "%s/tasks", cg->v1[i].path);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			cgroup_self_close(cg);
			return husk_error(err, e, "cgroup: opening %s", path);
		}
		cg->self_fd[cg->n_self++] = fd;
	}
	return 0;
}

int cgroup_v1_self_enter(struct cgroup *cg, struct husk_err *err)
{
	for (int i = 0; i < cg->n_self; i++) {
		EXPLAIN_START(t);
		if (write(cg->self_fd[i], "0", 1) != 1)
			return husk_error(err, errno, "cgroup: writing '0' to %s/tasks", cg->v1[i].path);
		EXPLAIN(t, "echo 0 > %s/tasks   # PID 1 moves itself", cg->v1[i].path);
	}
	cgroup_self_close(cg);
	return 0;
}

bool cgroup_v1_oom_killed(const struct cgroup *cg)
{
	int i = find_index(cg, "memory");
	const struct cgroup_v1_dir *d = i < 0 ? NULL : &cg->v1[i];
	if (!d || !d->created)
		return false;
	char buf[512], path[300];
	snprintf(path, sizeof path, "%s/memory.oom_control", d->path);
	if (read_file(path, buf, sizeof buf) < 0)
		return false;
	const char *k = strstr(buf, "oom_kill ");
	return k && strtoll(k + 9, NULL, 10) > 0;
}

void cgroup_v1_destroy(struct cgroup *cg)
{
	for (int i = cg->n_v1 - 1; i >= 0; i--) {
		struct cgroup_v1_dir *d = &cg->v1[i];
		if (!d->created)
			continue;
		EXPLAIN_START(t);
		if (cgroup_drain_and_remove(d->path) < 0 && errno != ENOENT)
			husk_warn("cgroup: rmdir %s: %s", d->path, strerror(errno));
		else
			EXPLAIN(t, "rmdir %s", d->path);
		d->created = false;
		if (cg->own[0])
			cgroup_rmdir_parents(d->mount, cg->rel, cg->own);
	}
}
