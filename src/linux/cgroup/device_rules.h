/* Device access rules: only the standard nodes may be opened (the devices cgroup on
 * v1, an eBPF device program on v2). */
#pragma once
#include "linux/cgroup/cgroup.h"
#include "spec.h"

/* Parent, after cgroup_create and before the child runs. */
int devices_setup(struct cgroup *cg, const struct husk_spec *s, struct husk_err *err);
