/* The engine's preparation step between validation and creation (plan.h). */
#include "engine/plan.h"

#include <string.h>

#include "linux/net/network.h"
#include "linux/security/caps.h"

void plan_init(struct husk_plan *p)
{
	memset(p, 0, sizeof *p);
}

void plan_free(struct husk_plan *p)
{
	seccomp_filter_free(&p->filter);
	memset(p, 0, sizeof *p);
}

int plan_security(struct husk_plan *p, const struct husk_spec *s, struct husk_err *err)
{
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
	if (net_check_host(s, err))
		return -1;
	return plan_security(p, s, err);
}
