/* Inside the seccomp module: the libseccomp side. seccomp_compile.c turns a profile
 * into BPF; the built-in default profile (seccomp_default.c) and docker/OCI JSON
 * profiles (seccomp_json.c) fill the libseccomp filter. */
#pragma once
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef void *scmp_filter_ctx; /* as <seccomp.h> has it */

/* profile NULL: the default profile. *flags gets SECCOMP_FILTER_FLAG_* for seccomp(2);
 * out->filter is malloc'd. */
int seccomp_compile(const char *profile, uint64_t caps, struct sock_fprog *out,
		    unsigned *flags, struct husk_err *err);

/* Creates *ctx with the default profile for a container holding `caps`. */
int seccomp_default_profile(uint64_t caps, scmp_filter_ctx *ctx, struct husk_err *err);
/* Reads a docker/OCI profile; *flags gets SECCOMP_FILTER_FLAG_* from its "flags". */
int seccomp_json_profile(const char *path, uint64_t caps, scmp_filter_ctx *ctx,
			 unsigned *flags, struct husk_err *err);

/* The same from text (an OCI config's linux.seccomp); name says where it came from. */
int seccomp_json_profile_text(const char *text, const char *name, uint64_t caps,
			      scmp_filter_ctx *ctx, unsigned *flags, struct husk_err *err);
/* An OCI config's linux.seccomp (text) compiled to BPF. */
int seccomp_compile_text(const char *text, const char *name, uint64_t caps,
			 struct sock_fprog *out, unsigned *flags, struct husk_err *err);

/* The default profile as BPF, built directly (seccomp_bpf.c). */
int seccomp_default_bpf(uint64_t caps, struct sock_fprog *out, struct husk_err *err);
/* Calls fn for every syscall name the default profile allows outright to a container
 * holding `caps` (clone, clone3, personality and socket have conditions of their own). */
void seccomp_default_names(uint64_t caps, void (*fn)(const char *name, void *arg), void *arg);

/* The architectures of the default filter: the native one and its 32-bit companion
 * (i386 on x86_64, arm on aarch64 ...). Docker's profile also has x32, an ABI no
 * distribution turns on: husk leaves it out. Returns how many (SCMP_ARCH_*). */
size_t seccomp_default_arches(uint32_t *out, size_t max);

/* The secondary architectures docker adds to a filter (x86 and x32 on x86_64, arm on
 * aarch64 ...): fills out (SCMP_ARCH_*), returns how many. */
size_t seccomp_sub_arches(uint32_t native, uint32_t *out, size_t max);
/* Adds them to a libseccomp filter. Returns 0 or -errno. */
int seccomp_add_sub_arches(scmp_filter_ctx ctx);
/* docker's (Go's) name for the native architecture: amd64, arm64, s390x ... */
const char *seccomp_go_arch(void);
