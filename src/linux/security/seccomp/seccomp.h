/* seccomp: an allowlist modelled on moby's default profile, loaded last. */
#pragma once
#include <linux/filter.h>
#include <stdbool.h>

#include "spec.h"

/* A filter compiled to BPF in the parent; the child (a copy of the parent's memory)
 * only hands it to the kernel. */
struct seccomp_filter {
	struct sock_fprog prog; /* prog.filter is malloc'd */
	unsigned flags;         /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

/* True if a filter will be loaded (not unconfined, not --privileged without a profile). */
bool seccomp_wanted(const struct husk_security *sec);
/* Parent, before anything is created: reads the profile (sec->seccomp_profile, or the
 * default one) and compiles it to BPF for a container holding `caps`. */
int seccomp_prepare(const struct husk_security *sec, uint64_t caps, struct seccomp_filter *f,
		    struct husk_err *err);
void seccomp_filter_free(struct seccomp_filter *f);
/* Child: loads the filter (the last step before execve). */
int seccomp_filter_load(const struct seccomp_filter *f, struct husk_err *err);
