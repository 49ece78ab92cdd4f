/* seccomp: an allowlist modelled on moby's default profile, loaded last. */
#pragma once
#include "spec.h"

/* Checks --security-opt values and reads a profile file; compiles nothing yet. */
int seccomp_validate(struct husk_spec *s, struct husk_err *err);
/* Child: load the filter (the last step before execve). */
int seccomp_load(const struct husk_spec *s, struct husk_err *err);
