/* Namespaces: which ones a container gets, and creating its first process in them
 * (the tutorials' `unshare --pid --mount --uts --ipc --net --fork`). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

/* CLONE_NEW* flags for this spec (the cgroup namespace is entered later, by the
 * child, once it sits in its cgroup: see child.c). */
unsigned long ns_clone_flags(const struct husk_spec *s);

/* fork()-like: returns 0 in the child, the child's pid in the parent, -1 on error.
 * cgroup_fd >= 0 tries clone3(CLONE_INTO_CGROUP) so the child starts in its cgroup;
 * *in_cgroup says whether that happened (false after the fallback to clone). */
pid_t ns_clone(unsigned long flags, int cgroup_fd, bool *in_cgroup);

/* "--pid --mount ..." for --explain. */
void ns_describe(unsigned long flags, char *buf, size_t len);
