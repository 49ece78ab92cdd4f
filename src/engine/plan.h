/* The host-side preparation of a validated spec, computed in the parent before
 * anything is created: what spec_validate() (pure) does not do. Its result, a
 * struct husk_plan, goes explicitly to the container's process (child.c) and to
 * husk exec (exec.c); nothing is cached behind the spec's back. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "linux/security/seccomp/seccomp.h"
#include "linux/userns/join.h"
#include "spec.h"

struct husk_plan {
	uint64_t caps;               /* the container's capability set (bit N = capability N) */
	bool seccomp;                /* a filter is loaded last */
	bool retain_sys_admin;       /* CAP_SYS_ADMIN kept until the filter is in */
	struct seccomp_filter filter; /* compiled BPF when seccomp */
	struct userns_join userns;   /* a bundle's user namespace joined by path (join.h) */
};

void plan_init(struct husk_plan *p);
void plan_free(struct husk_plan *p);

/* husk run: HUSK_SUBNET and every -p host port free now (probed with bind(2), then
 * released); a bundle: the user namespace it joins, checked and held open; then
 * plan_security(). Creates nothing. */
int plan_prepare(struct husk_plan *p, const struct husk_spec *s, struct husk_err *err);
/* The capability set against husk's bounding set, and the seccomp filter compiled to
 * BPF (husk exec needs only this part). */
int plan_security(struct husk_plan *p, const struct husk_spec *s, struct husk_err *err);
