/* Capabilities: docker's default set, --cap-add/--cap-drop, --privileged. */
#pragma once
#include "spec.h"

/* Checks capability names before anything is created. */
int caps_validate(struct husk_spec *s, struct husk_err *err);
/* Child, just before execve (after setuid): bounding, permitted, effective,
 * inheritable and ambient sets. */
int caps_apply(const struct husk_spec *s, struct husk_err *err);
