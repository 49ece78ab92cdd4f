/* The engine's preparation step between validation and creation (plan.h). */
#include "engine/plan.h"

#include <string.h>

#include "linux/net/network.h"
#include <linux/capability.h>

#include "linux/security/caps.h"
#include "linux/security/seccomp/profile.h"

void plan_init(struct husk_plan *p)
{
	memset(p, 0, sizeof *p);
	userns_join_init(&p->userns);
}

void plan_free(struct husk_plan *p)
{
	seccomp_filter_free(&p->filter);
	userns_join_close(&p->userns);
	plan_init(p);
}

/* A bundle's process: its capability sets as given, its linux.seccomp (none: no filter). */
static int plan_oci(struct husk_plan *p, const struct husk_spec *s, struct husk_err *err)
{
	const uint64_t *caps = s->oci.caps;
	p->caps = caps[OCI_CAP_BOUNDING];
	p->seccomp = s->oci.seccomp_json != NULL;
	/* a filter loaded without no_new_privs needs CAP_SYS_ADMIN (docker leaves it off) */
	p->retain_sys_admin = p->seccomp && !s->sec.no_new_privs &&
			      !(caps[OCI_CAP_EFFECTIVE] & caps[OCI_CAP_PERMITTED] &
				(UINT64_C(1) << CAP_SYS_ADMIN));
	if (p->seccomp && seccomp_compile_text(s->oci.seccomp_json, "linux.seccomp", p->caps,
					       &p->filter.prog, &p->filter.flags, err))
		return -1;
	return 0;
}

int plan_security(struct husk_plan *p, const struct husk_spec *s, struct husk_err *err)
{
	if (s->oci.active)
		return plan_oci(p, s, err);
	if (caps_resolve(&s->sec, &p->caps, err))
		return -1;
	p->seccomp = seccomp_wanted(&s->sec);
	p->retain_sys_admin = caps_retain_sys_admin(p->caps, p->seccomp, s->sec.no_new_privs);
	if (p->seccomp && seccomp_prepare(&s->sec, p->caps, &p->filter, err))
		return -1;
	return 0;
}

int plan_prepare(struct husk_plan *p, const struct husk_spec *s, struct husk_err *err)
{
	if (!s->oci.active && net_check_host(s, err))
		return -1;
	if (s->oci.active && userns_join_prepare(&p->userns, s, err))
		return -1;
	return plan_security(p, s, err);
}
