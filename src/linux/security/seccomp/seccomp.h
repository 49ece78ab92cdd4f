/* seccomp: an allowlist modelled on moby's default profile, loaded last. */
#pragma once
#include <stdbool.h>

#include "spec.h"

/* Parent, before anything is created: checks the --security-opt values, reads a
 * profile file, and compiles the filter to BPF once (the child, a copy of this
 * process, only hands the program to the kernel). */
int seccomp_validate(struct husk_spec *s, struct husk_err *err);
/* True if a filter will be loaded (not unconfined, not --privileged without a profile). */
bool seccomp_active(const struct husk_spec *s);
/* Child: load the filter, then drop the CAP_SYS_ADMIN kept to load it. */
int seccomp_apply(const struct husk_spec *s, struct husk_err *err);
