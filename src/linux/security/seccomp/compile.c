/* The libseccomp side of the seccomp module: a profile (the default or a JSON file)
 * becomes a libseccomp filter, which becomes BPF once, in memory. */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/security/seccomp/cache.h"
#include "linux/security/seccomp/profile.h"
#include "util/cleanup.h"

size_t seccomp_sub_arches(uint32_t native, uint32_t *out, size_t max)
{
	static const struct { uint32_t native, sub[2]; } subs[] = {
		{ SCMP_ARCH_X86_64, { SCMP_ARCH_X86, SCMP_ARCH_X32 } },
		{ SCMP_ARCH_AARCH64, { SCMP_ARCH_ARM, 0 } },
		{ SCMP_ARCH_MIPS64, { SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64N32 } },
		{ SCMP_ARCH_MIPSEL64, { SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64N32 } },
		{ SCMP_ARCH_S390X, { SCMP_ARCH_S390, 0 } },
	};
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		for (int j = 0; subs[i].native == native && j < 2 && subs[i].sub[j] && n < max; j++)
			out[n++] = subs[i].sub[j];
	return n;
}

int seccomp_add_sub_arches(scmp_filter_ctx ctx)
{
	uint32_t subs[4];
	size_t n = seccomp_sub_arches(seccomp_arch_native(), subs, ARRAY_SIZE(subs));
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_arch_add(ctx, subs[i]);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}

const char *seccomp_go_arch(void)
{
	static const struct { uint32_t arch; const char *go; } names[] = {
		{ SCMP_ARCH_X86_64, "amd64" },   { SCMP_ARCH_X86, "386" },
		{ SCMP_ARCH_X32, "x32" },        { SCMP_ARCH_AARCH64, "arm64" },
		{ SCMP_ARCH_ARM, "arm" },        { SCMP_ARCH_PPC64LE, "ppc64le" },
		{ SCMP_ARCH_PPC64, "ppc64" },    { SCMP_ARCH_S390X, "s390x" },
		{ SCMP_ARCH_S390, "s390" },      { SCMP_ARCH_MIPS64, "mips64" },
		{ SCMP_ARCH_MIPSEL64, "mips64le" }, { SCMP_ARCH_RISCV64, "riscv64" },
	};
	uint32_t native = seccomp_arch_native();
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].arch == native)
			return names[i].go;
	return "unknown";
}

/* libseccomp 2.5 exports BPF only to an fd: a memfd, read back into memory */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog, struct husk_err *err)
{
	cleanup_close int fd = memfd_create("husk-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return husk_error(err, errno, "seccomp: memfd_create");
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return husk_error(err, -r, "seccomp: exporting the filter");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return husk_error(err, errno, "seccomp: exported filter");
	size_t len = (size_t)st.st_size;
	if (len == 0 || len % sizeof(struct sock_filter) ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return husk_error(err, E2BIG, "seccomp: the filter has %zu instructions (at most %d)",
				  len / sizeof(struct sock_filter), BPF_MAXINSNS);
	struct sock_filter *insns = malloc(len);
	if (!insns)
		return husk_error(err, ENOMEM, "seccomp: exported filter");
	if (pread(fd, insns, len, 0) != (ssize_t)len) {
		free(insns);
		return husk_error(err, errno ? errno : EIO, "seccomp: reading the exported filter");
	}
	prog->len = (unsigned short)(len / sizeof(struct sock_filter));
	prog->filter = insns;
	return 0;
}

int seccomp_compile(const char *profile, uint64_t caps, struct sock_fprog *out,
		    unsigned *flags, struct husk_err *err)
{
	scmp_filter_ctx ctx = NULL;
	*flags = 0;
	if (!profile)
		return seccomp_default_bpf(caps, out, err);
	if (seccomp_json_profile(profile, caps, &ctx, flags, err))
		return -1;
	/* a balanced tree of syscall numbers: fewer BPF steps per syscall */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	int r = export_bpf(ctx, out, err);
	seccomp_release(ctx);
	return r;
}

int seccomp_compile_text(const char *text, const char *name, uint64_t caps,
			 struct sock_fprog *out, unsigned *flags, struct husk_err *err)
{
	scmp_filter_ctx ctx = NULL;
	*flags = 0;
	struct seccomp_cache_key key;
	seccomp_cache_key(text, caps, &key);
	if (seccomp_cache_load(&key, out, flags) == 0)
		return 0;
	if (seccomp_json_profile_text(text, name, caps, &ctx, flags, err))
		return -1;
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	int r = export_bpf(ctx, out, err);
	seccomp_release(ctx);
	if (r == 0)
		seccomp_cache_store(&key, out, *flags);
	return r;
}
