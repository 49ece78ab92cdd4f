/* seccomp: an allowlist modelled on moby's default profile, loaded last. */
#pragma once
/* src/ is on the include path, so this file stands in for the kernel's
 * <linux/seccomp.h> (which <seccomp.h> of libseccomp includes): bring that in too */
#include_next <linux/seccomp.h>

/* libseccomp's own seccomp_load() has the name of ours: the files that use
 * libseccomp (seccomp_compile.c, seccomp_default.c, seccomp_json.c) do not see ours */
#ifndef HUSK_USES_LIBSECCOMP
#include <stdbool.h>

#include "spec.h"

/* Parent, before anything is created: checks the --security-opt values, reads a
 * profile file, and compiles the filter to BPF once (the child, a copy of this
 * process, only hands the program to the kernel). */
int seccomp_validate(struct husk_spec *s, struct husk_err *err);
/* True if a filter will be loaded (not unconfined, not --privileged without a profile). */
bool seccomp_active(const struct husk_spec *s);
/* Child: load the filter, then drop the CAP_SYS_ADMIN kept to load it. */
int seccomp_load(const struct husk_spec *s, struct husk_err *err);
#endif
