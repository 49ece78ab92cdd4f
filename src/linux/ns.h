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

/* True for a bundle with a user namespace that is given by path, or that is new
 * while other namespaces (not the PID one) are given by path (a Kubernetes pod's
 * sandbox with hostUsers: false: a new user namespace in the network namespace
 * containerd made as the host's root). Then ns_clone_after_joins clones. */
bool ns_joins_first(const struct husk_spec *s);
/* fork()-like as ns_clone. A short-lived middle process joins the bundle's
 * namespaces given by path (ns_join_paths) as the host's root, then the user
 * namespace userns_fd (held open by the plan; -1: flags has CLONE_NEWUSER), and
 * clones the container with CLONE_PARENT into new namespaces (flags) that user
 * namespace owns. husk itself never leaves the host's user namespace. */
pid_t ns_clone_after_joins(const struct husk_spec *s, int userns_fd, unsigned long flags,
			   int cgroup_fd, bool *in_cgroup, struct husk_err *err);

/* Child: setns into each namespace a bundle names by path (network, IPC, UTS,
 * cgroup, mount: a Kubernetes pod's sandbox), the PID and user ones aside. */
int ns_join_paths(const struct husk_spec *s, struct husk_err *err);
/* Parent, around the clone: a PID namespace given by path is entered for the children
 * to come (setns), and left again; *saved is -1 when there is none. */
int ns_pid_enter(const struct husk_spec *s, int *saved, struct husk_err *err);
void ns_pid_leave(int saved);

/* "--pid --mount ..." for --explain. */
void ns_describe(unsigned long flags, char *buf, size_t len);
