#include "linux/cgroup/cgroup.h"
#include "linux/cgroup/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/explain.h"
#include "util/fs.h"

const char *cgroup_mode_name(enum cgroup_mode m)
{
	switch (m) {
	case CGROUP_V1: return "v1";
	case CGROUP_V2: return "v2";
	case CGROUP_HYBRID: return "hybrid";
	default: return "none";
	}
}

enum cgroup_mode cgroup_detect(void)
{
	struct statfs fs;
	if (statfs(CGROUP_ROOT, &fs) < 0)
		return CGROUP_NONE;
	if (fs.f_type == CGROUP2_SUPER_MAGIC)
		return CGROUP_V2;
	if (fs.f_type != TMPFS_MAGIC)
		return CGROUP_NONE;
	if (statfs(CGROUP_ROOT "/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return CGROUP_HYBRID;
	return CGROUP_V1;
}

int cgroup_write(const char *dir, const char *file, const char *val, struct husk_err *err)
{
	EXPLAIN_START(t);
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (write_file(path, val) < 0)
		return husk_error(err, errno, "cgroup: writing '%s' to %s", val, path);
	EXPLAIN(t, "echo %s > %s", val, path);
	return 0;
}

int cgroup_create(struct cgroup *cg, const char *name, const struct husk_resources *res,
		  struct husk_err *err)
{
	char rel[192];
	snprintf(rel, sizeof rel, "husk/%s", name);
	return cgroup_create_at(cg, name, rel, NULL, res, err);
}

int cgroup_mkdir_rel(const char *mount, const char *rel, char *own, size_t own_len,
		     struct husk_err *err)
{
	char path[512];
	int n = snprintf(path, sizeof path, "%s/%s", mount, rel);
	if (n < 0 || (size_t)n >= sizeof path)
		return husk_error(err, ENAMETOOLONG, "cgroup: %s/%s", mount, rel);
	size_t base = strlen(mount) + 1;
	/* another husk may rmdir a shared parent (husk/) when its last container ends */
	for (int tries = 0; tries < 5; tries++) {
		bool again = false;
		for (size_t i = base; i <= (size_t)n && !again; i++) {
			if (path[i] != '/' && path[i] != '\0')
				continue;
			char saved = path[i];
			path[i] = '\0';
			if (mkdir(path, 0755) == 0) {
				if (own && !own[0])
					snprintf(own, own_len, "%s", path + base);
			} else if (errno == ENOENT) {
				again = true;
			} else if (errno != EEXIST || saved == '\0') {
				int e = errno;
				path[i] = saved;
				return husk_error(err, e, "cgroup: mkdir %s", path);
			}
			path[i] = saved;
		}
		if (!again)
			return 0;
	}
	return husk_error(err, ENOENT, "cgroup: mkdir %s", path);
}

void cgroup_rmdir_parents(const char *mount, const char *rel, const char *own)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", mount, rel);
	size_t stop = strlen(mount) + 1 + strlen(own);
	for (char *slash = strrchr(path, '/'); slash && (size_t)(slash - path) >= stop;
	     slash = strrchr(path, '/')) {
		*slash = '\0';
		/* fails while other containers use it: that is fine */
		if (rmdir(path) < 0)
			break;
	}
}

int cgroup_create_at(struct cgroup *cg, const char *name, const char *rel,
		     const char *const *extra, const struct husk_resources *res,
		     struct husk_err *err)
{
	memset(cg, 0, sizeof *cg);
	cg->v2_fd = -1;
	snprintf(cg->name, sizeof cg->name, "%s", name);
	snprintf(cg->rel, sizeof cg->rel, "%s", rel);
	cg->extra = extra;
	/* husk/ is shared by every container: the last one out removes it */
	if (!strncmp(rel, "husk/", 5))
		snprintf(cg->own, sizeof cg->own, "husk");
	cg->memory_limit = res->memory;
	cg->mode = cgroup_detect();
	switch (cg->mode) {
	case CGROUP_V2:
		return cgroup_v2_create(cg, res, err);
	case CGROUP_V1:
	case CGROUP_HYBRID:
		return cgroup_v1_create(cg, res, err);
	default:
		return husk_error(err, 0, "cgroup: no cgroup filesystem at %s", CGROUP_ROOT);
	}
}

int cgroup_create_delegated(struct cgroup *cg, const char *name, const char *base,
			    const struct husk_resources *res, struct husk_err *err)
{
	memset(cg, 0, sizeof *cg);
	cg->v2_fd = -1;
	snprintf(cg->name, sizeof cg->name, "%s", name);
	snprintf(cg->v2_base, sizeof cg->v2_base, "%s", base);
	snprintf(cg->rel, sizeof cg->rel, "husk/%s", name);
	snprintf(cg->own, sizeof cg->own, "husk");
	cg->v2_leaf = true;
	cg->memory_limit = res->memory;
	cg->mode = CGROUP_V2;
	return cgroup_v2_create(cg, res, err);
}

void cgroup_remove_delegated(const char *base, const char *name)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/husk/%s/ctr", base, name);
	cgroup_drain_and_remove(dir);
	snprintf(dir, sizeof dir, "%s/husk/%s", base, name);
	cgroup_drain_and_remove(dir);
	snprintf(dir, sizeof dir, "%s/husk", base);
	rmdir(dir);
}

int cgroup_open_at(struct cgroup *cg, const char *name, const char *rel,
		   const char *const *extra, struct husk_err *err)
{
	memset(cg, 0, sizeof *cg);
	cg->v2_fd = -1;
	snprintf(cg->name, sizeof cg->name, "%s", name);
	snprintf(cg->rel, sizeof cg->rel, "%s", rel);
	cg->extra = extra;
	cg->mode = cgroup_detect();
	if (cg->mode == CGROUP_V2) {
		snprintf(cg->v2_path, sizeof cg->v2_path, CGROUP_ROOT "/%s", rel);
		return 0;
	}
	if (cg->mode == CGROUP_NONE)
		return husk_error(err, 0, "cgroup: no cgroup filesystem at %s", CGROUP_ROOT);
	return cgroup_v1_discover(cg) < 0 ? husk_error(err, errno, "cgroup: reading /proc/self/mountinfo") : 0;
}

int cgroup_set_limits(struct cgroup *cg, const struct husk_resources *res, struct husk_err *err)
{
	return cg->mode == CGROUP_V2 ? cgroup_v2_set_limits(cg, res, err) :
				       cgroup_v1_set_limits(cg, res, err);
}

int cgroup_enter(struct cgroup *cg, pid_t pid, struct husk_err *err)
{
	/* v1: the process moves itself (cgroup_self_enter) */
	return cg->mode == CGROUP_V2 ? cgroup_v2_enter(cg, pid, err) : 0;
}

int cgroup_self_prepare(struct cgroup *cg, struct husk_err *err)
{
	cg->n_self = 0;
	if (cg->mode != CGROUP_V1 && cg->mode != CGROUP_HYBRID)
		return 0;
	return cgroup_v1_self_prepare(cg, err);
}

int cgroup_self_enter(struct cgroup *cg, struct husk_err *err)
{
	return cg->n_self ? cgroup_v1_self_enter(cg, err) : 0;
}

void cgroup_self_close(struct cgroup *cg)
{
	for (int i = 0; i < cg->n_self; i++)
		close(cg->self_fd[i]);
	cg->n_self = 0;
}

bool cgroup_oom_killed(const struct cgroup *cg)
{
	return cg->mode == CGROUP_V2 ? cgroup_v2_oom_killed(cg) : cgroup_v1_oom_killed(cg);
}

void cgroup_destroy(struct cgroup *cg)
{
	cgroup_self_close(cg);
	if (cg->mode == CGROUP_V2)
		cgroup_v2_destroy(cg);
	else if (cg->mode != CGROUP_NONE)
		cgroup_v1_destroy(cg);
	if (cg->v2_fd >= 0)
		close(cg->v2_fd);
	cg->v2_fd = -1;
}

void cgroup_remove_by_name(const char *name)
{
	char rel[192];
	snprintf(rel, sizeof rel, "husk/%s", name);
	cgroup_remove_at(name, rel, "husk", NULL); /* husk's own six controllers only */
}

void cgroup_remove_at(const char *name, const char *rel, const char *own,
		      const char *const *extra)
{
	struct cgroup cg = { .v2_fd = -1 };
	snprintf(cg.name, sizeof cg.name, "%s", name);
	snprintf(cg.rel, sizeof cg.rel, "%s", rel);
	snprintf(cg.own, sizeof cg.own, "%s", own);
	cg.extra = extra;
	cg.mode = cgroup_detect();
	if (cg.mode == CGROUP_V2) {
		snprintf(cg.v2_path, sizeof cg.v2_path, CGROUP_ROOT "/%s", rel);
		cg.v2_created = true;
	} else if (cg.mode != CGROUP_NONE) {
		cgroup_v1_discover(&cg);
		for (int i = 0; i < cg.n_v1; i++)
			cg.v1[i].created = true;
	}
	cgroup_destroy(&cg);
}

int cgroup_drain_and_remove(const char *dir)
{
	char procs[512];
	snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
	/* A container's processes die with its PID 1, so this loop normally finds the
	 * cgroup empty at once; it only kills what `exec` or a dead husk left behind. */
	for (int round = 0; round < 200; round++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		cleanup_fclose FILE *f = fopen(procs, "re");
		if (!f)
			return -1;
		int pid;
		while (fscanf(f, "%d", &pid) == 1)
			kill(pid, SIGKILL);
		struct timespec ts = { 0, 5 * 1000 * 1000 }; /* give the dying a moment to exit */
		nanosleep(&ts, NULL);
	}
	errno = EBUSY;
	return -1;
}

int cgroup_controllers(enum cgroup_mode m, char *buf, size_t len)
{
	buf[0] = '\0';
	if (m == CGROUP_V2)
		return read_file(CGROUP_ROOT "/cgroup.controllers", buf, len) < 0 ? -1 : 0;
	struct cgroup cg = { .v2_fd = -1 };
	cgroup_v1_discover(&cg);
	size_t off = 0;
	for (int i = 0; i < cg.n_v1 && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "", cg.v1[i].controllers);
	return 0;
}
