/* Inside linux/cgroup/: what cgroup.c, v1.c and v2.c share. Files outside the
 * folder use cgroup.h only. */
#pragma once
#include "linux/cgroup/cgroup.h"

/* per-version parts (v1.c, v2.c) */
int cgroup_v1_discover(struct cgroup *cg);
int cgroup_v1_create(struct cgroup *cg, const struct husk_resources *res, struct husk_err *err);
int cgroup_v1_self_prepare(struct cgroup *cg, struct husk_err *err);
int cgroup_v1_self_enter(struct cgroup *cg, struct husk_err *err);
bool cgroup_v1_oom_killed(const struct cgroup *cg);
void cgroup_v1_destroy(struct cgroup *cg);
/* the limits of husk_resources, into the existing directories */
int cgroup_v1_set_limits(struct cgroup *cg, const struct husk_resources *res, struct husk_err *err);
int cgroup_v2_set_limits(struct cgroup *cg, const struct husk_resources *res, struct husk_err *err);
int cgroup_v2_create(struct cgroup *cg, const struct husk_resources *res, struct husk_err *err);
int cgroup_v2_enter(struct cgroup *cg, pid_t pid, struct husk_err *err);
bool cgroup_v2_oom_killed(const struct cgroup *cg);
void cgroup_v2_destroy(struct cgroup *cg);

/* shared helpers */
int cgroup_write(const char *dir, const char *file, const char *val, struct husk_err *err);
/* Kills every process listed in dir/cgroup.procs until it is empty; rmdir dir. */
int cgroup_drain_and_remove(const char *dir);
