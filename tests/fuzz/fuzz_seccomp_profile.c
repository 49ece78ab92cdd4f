/* A docker/OCI seccomp profile (src/linux/security/seccomp/profile_json.c), read from a
 * memfd as `--security-opt seccomp=FILE` reads its file, then compiled to BPF as husk
 * would load it. */
#include <stdio.h>

#include <seccomp.h>

#include "linux/security/seccomp/profile.h"

#include "fuzz_common.h"

static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fuzz_memfd(&fd, data, size));
	scmp_filter_ctx ctx = NULL;
	unsigned flags = 0;
	struct husk_err err = { 0 };
	/* every capability in one run, none in the next: the rules' "includes"/"excludes" */
	uint64_t caps = size && (data[0] & 1) ? ~0ull : 0;
	if (seccomp_json_profile(path, caps, &ctx, &flags, &err) == 0) {
		seccomp_release(ctx);
	} else if (!err.set) {
		abort();
	}
	return 0;
}
