/* Capabilities: docker's default set, --cap-add/--cap-drop, --privileged. */
#pragma once
#include <stdint.h>

#include "spec.h"

/* docker's 14: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
 * NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP */
#define CAPS_DOCKER_DEFAULT UINT64_C(0x00000000a80425fb)

/* Checks capability names before anything is created (exit 125 on a bad one). */
int caps_validate(struct husk_spec *s, struct husk_err *err);
/* The container's capability set (bit N = capability N), once validated. */
uint64_t caps_mask(const struct husk_spec *s);
/* Child, after setuid (PR_SET_KEEPCAPS set): bounding, permitted, effective,
 * inheritable and ambient sets. A non-root user keeps only the bounding set, as with
 * docker. CAP_SYS_ADMIN stays effective when a seccomp filter still has to be loaded
 * without no_new_privs; caps_drop_retained() takes it away once the filter is in. */
int caps_apply(const struct husk_spec *s, struct husk_err *err);
int caps_drop_retained(const struct husk_spec *s, struct husk_err *err);
