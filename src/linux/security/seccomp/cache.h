/* Compiled filters of a bundle's linux.seccomp, cached by content. libseccomp takes
 * ~15 ms to compile docker's default profile (moby's 360-odd rules), which every
 * container of docker, podman and containerd brings; the BPF it makes depends only on
 * the profile, the capabilities its rules test, libseccomp's version and API level
 * (what the kernel supports), the kernel and husk. Those make the key (SHA-256); the
 * entry is the BPF program and its filter flags, in /var/cache/husk/seccomp
 * (rootless: ~/.cache/husk/seccomp; HUSK_CACHE_DIR overrides the base, and
 * HUSK_SECCOMP_CACHE=0 turns the cache off). At most SECCOMP_CACHE_MAX entries: the
 * oldest goes. An entry that is not husk's own, 0600, the right size, is never used. */
#ifndef HUSK_SECCOMP_CACHE_H
#define HUSK_SECCOMP_CACHE_H

#include <limits.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#define SECCOMP_CACHE_MAX 64

/* Where a profile's entry is: computed once, then looked up and (on a miss) stored. */
struct seccomp_cache_key {
	char dir[PATH_MAX];
	char path[PATH_MAX]; /* "" when the cache is off or unreachable */
};
bool seccomp_cache_key(const char *text, uint64_t caps, struct seccomp_cache_key *k);
int seccomp_cache_load(const struct seccomp_cache_key *k, struct sock_fprog *out, unsigned *flags);
void seccomp_cache_store(const struct seccomp_cache_key *k, const struct sock_fprog *prog,
			 unsigned flags);

/* The same by text, the key computed each time (tests). */
/* 0 and the program (malloc'd) in *OUT on a hit; -1 on a miss */
int seccomp_cache_get(const char *text, uint64_t caps, struct sock_fprog *out, unsigned *flags);
/* Stores a compiled program; a failure only costs the next compile. */
void seccomp_cache_put(const char *text, uint64_t caps, const struct sock_fprog *prog,
		       unsigned flags);

#endif
