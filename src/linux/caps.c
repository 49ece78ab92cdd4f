#include "linux/caps.h"

int caps_validate(struct husk_spec *s, struct husk_err *err)
{
	(void)s; (void)err;
	return 0;
}

int caps_apply(const struct husk_spec *s, struct husk_err *err)
{
	(void)s; (void)err;
	return 0;
}
