/* The five capability sets of an OCI process (process.capabilities), as given:
 * bounding, effective, inheritable, permitted, ambient. Child side, after the
 * setuid (PR_SET_KEEPCAPS) and before exec. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "spec_oci.h"
#include "util/error.h"

/* retain: CAP_SYS_ADMIN stays effective until caps_sets_drop_retained() (a seccomp
 * filter loaded without no_new_privs needs it). Capabilities this kernel does not
 * have are left out, as runc does. */
int caps_sets_apply(const uint64_t sets[OCI_CAP_SETS], bool retain, struct husk_err *err);
int caps_sets_drop_retained(const uint64_t sets[OCI_CAP_SETS], struct husk_err *err);
