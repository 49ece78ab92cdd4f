/* Capabilities: docker's default set, --cap-add/--cap-drop, --privileged. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "spec.h"

/* docker's 14: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
 * NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP */
#define CAPS_DOCKER_DEFAULT UINT64_C(0x00000000a80425fb)

/* Parent, before anything is created: the container's set (bit N = capability N)
 * from --privileged, --cap-add and --cap-drop, against husk's own bounding set; a bad
 * name fails naming it (exit 125). */
int caps_resolve(const struct husk_security *sec, uint64_t *mask, struct husk_err *err);
/* True if CAP_SYS_ADMIN must stay effective until a seccomp filter is loaded
 * (a filter without no_new_privs needs it, and `mask` does not hold it). */
bool caps_retain_sys_admin(uint64_t mask, bool seccomp, bool no_new_privs);
/* Child, after setuid (PR_SET_KEEPCAPS set): bounding, permitted, effective,
 * inheritable and ambient sets. A non-root user keeps only the bounding set, as with
 * docker. With retain_sys_admin, CAP_SYS_ADMIN stays effective for the seccomp
 * filter; caps_drop_retained() takes it away once the filter is in. */
int caps_apply(uint64_t mask, bool retain_sys_admin, struct husk_err *err);
int caps_drop_retained(uint64_t mask, struct husk_err *err);
