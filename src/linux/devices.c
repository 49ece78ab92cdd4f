#include "linux/devices.h"

int devices_setup(struct cgroup *cg, const struct husk_spec *s, struct husk_err *err)
{
	(void)cg; (void)s; (void)err;
	return 0;
}
