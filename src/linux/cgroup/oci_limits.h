/* linux.resources of an OCI config beyond what husk run has (memory reservation and
 * swappiness, cpu shares/quota/period/realtime/cpuset, blockIO, hugepage limits,
 * net_cls/net_prio, unified), written after cgroup_create_at() on v1 and v2. A
 * controller the host lacks is an error naming the field; a file a kernel dropped
 * (kmem) is skipped. */
#pragma once
#include "linux/cgroup/cgroup.h"
#include "spec_oci.h"

/* The v1 controllers these resources need besides husk's own, NULL-terminated. */
void oci_limits_controllers(const struct oci_resources *r, const char *out[8]);
/* Every controller oci_limits_controllers() may name, NULL-terminated: a removal
 * that does not know the resources (husk delete) looks in all of them. */
extern const char *const oci_limits_any_controller[];
int oci_limits_apply(struct cgroup *cg, const struct oci_resources *r, struct husk_err *err);
