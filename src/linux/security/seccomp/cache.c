#include "linux/security/seccomp/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "linux/userns/rootless.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/sha256_small.h"

#ifndef HUSK_VERSION
#define HUSK_VERSION "0"
#endif

static const char magic[8] = "HUSKBPF1";

struct entry_head {
	char magic[8];
	uint32_t flags;
	uint32_t len; /* instructions */
};

static bool enabled(void)
{
	const char *v = getenv("HUSK_SECCOMP_CACHE");
	return !v || strcmp(v, "0") != 0;
}

/* <base>/seccomp: HUSK_CACHE_DIR, else /var/cache/husk (root), else
 * $XDG_CACHE_HOME/husk or ~/.cache/husk */
static bool cache_dir(char *out, size_t len)
{
	const char *base = getenv("HUSK_CACHE_DIR"), *x, *home;
	if (base && base[0] == '/')
		return path_fits(out, len, "%s/seccomp", base);
	if (geteuid() == 0 && !rootless())
		return path_fits(out, len, "/var/cache/husk/seccomp");
	if ((x = getenv("XDG_CACHE_HOME")) && x[0] == '/')
		return path_fits(out, len, "%s/husk/seccomp", x);
	if ((home = getenv("HOME")) && home[0] == '/')
		return path_fits(out, len, "%s/.cache/husk/seccomp", home);
	return false;
}

/* the entry's path: <dir>/<sha256 hex of everything the BPF depends on: husk (this
 * binary), libseccomp, the kernel, the capabilities and the profile's text> */
bool seccomp_cache_key(const char *text, uint64_t caps, struct seccomp_cache_key *k)
{
	k->path[0] = '\0';
	if (!enabled() || !cache_dir(k->dir, sizeof k->dir))
		return false;
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	if (uname(&u) < 0)
		return false;
	/* this very binary (a rebuild of one version may compile otherwise) */
	struct stat exe;
	if (stat("/proc/self/exe", &exe) < 0)
		return false;
	char head[512];
	int n = snprintf(head, sizeof head,
			 "husk %s %llx:%llx:%lld:%lld.%ld|libseccomp %u.%u.%u|api %u|%s %s %s|caps %llx|",
			 HUSK_VERSION, (unsigned long long)exe.st_dev, (unsigned long long)exe.st_ino,
			 (long long)exe.st_size, (long long)exe.st_mtim.tv_sec, exe.st_mtim.tv_nsec,
			 v->major, v->minor, v->micro, seccomp_api_get(), u.sysname, u.release,
			 u.machine, (unsigned long long)caps);
	if (n < 0 || (size_t)n >= sizeof head)
		return false;
	size_t tl = strlen(text);
	cleanup_free char *all = malloc((size_t)n + tl);
	if (!all)
		return false;
	memcpy(all, head, (size_t)n);
	memcpy(all + n, text, tl);
	unsigned char md[32];
	sha256_small(all, (size_t)n + tl, md);
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (!path_fits(k->path, sizeof k->path, "%s/%s", k->dir, hex)) {
		k->path[0] = '\0';
		return false;
	}
	return true;
}

int seccomp_cache_load(const struct seccomp_cache_key *k, struct sock_fprog *out, unsigned *flags)
{
	if (!k->path[0])
		return -1;
	cleanup_close int fd = open(k->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	struct entry_head h;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) || read(fd, &h, sizeof h) != (ssize_t)sizeof h ||
	    memcmp(h.magic, magic, sizeof magic) || h.len == 0 || h.len > BPF_MAXINSNS ||
	    (uint64_t)st.st_size != sizeof h + (uint64_t)h.len * sizeof(struct sock_filter))
		return -1;
	size_t bytes = (size_t)h.len * sizeof(struct sock_filter);
	struct sock_filter *insns = malloc(bytes);
	if (!insns)
		return -1;
	if (read(fd, insns, bytes) != (ssize_t)bytes) {
		free(insns);
		return -1;
	}
	out->len = (unsigned short)h.len;
	out->filter = insns;
	*flags = h.flags;
	futimens(fd, NULL); /* used now: the last to be pruned */
	return 0;
}

struct aged {
	char name[NAME_MAX + 1];
	struct timespec t;
};

static int older_first(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;
	if (x->t.tv_sec != y->t.tv_sec)
		return x->t.tv_sec < y->t.tv_sec ? -1 : 1;
	return x->t.tv_nsec < y->t.tv_nsec ? -1 : x->t.tv_nsec > y->t.tv_nsec;
}

/* the oldest entries go while there are more than SECCOMP_CACHE_MAX */
static void prune(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct aged *all = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			struct aged *m = realloc(all, (cap = cap ? 2 * cap : 128) * sizeof *all);
			if (!m)
				break;
			all = m;
		}
		snprintf(all[n].name, sizeof all[n].name, "%s", de->d_name);
		all[n++].t = st.st_mtim;
	}
	if (n > SECCOMP_CACHE_MAX) {
		qsort(all, n, sizeof *all, older_first);
		for (size_t i = 0; i < n - SECCOMP_CACHE_MAX; i++)
			unlinkat(dirfd(d), all[i].name, 0);
	}
	free(all);
	closedir(d);
}

void seccomp_cache_store(const struct seccomp_cache_key *k, const struct sock_fprog *prog,
			 unsigned flags)
{
	char tmp[PATH_MAX];
	if (!k->path[0] || mkdir_p(k->dir, 0700) < 0 ||
	    !path_fits(tmp, sizeof tmp, "%s/.tmp.XXXXXX", k->dir))
		return;
	int fd = mkstemp(tmp);
	if (fd < 0)
		return;
	struct entry_head h = { .flags = flags, .len = prog->len };
	memcpy(h.magic, magic, sizeof magic);
	size_t bytes = (size_t)prog->len * sizeof(struct sock_filter);
	write_all(fd, &h, sizeof h);
	write_all(fd, prog->filter, bytes);
	struct stat st;
	bool ok = fstat(fd, &st) == 0 && (size_t)st.st_size == sizeof h + bytes;
	close(fd);
	if (!ok || rename(tmp, k->path) < 0) {
		unlink(tmp);
		return;
	}
	prune(k->dir);
}

int seccomp_cache_get(const char *text, uint64_t caps, struct sock_fprog *out, unsigned *flags)
{
	struct seccomp_cache_key k;
	return seccomp_cache_key(text, caps, &k) ? seccomp_cache_load(&k, out, flags) : -1;
}

void seccomp_cache_put(const char *text, uint64_t caps, const struct sock_fprog *prog,
		       unsigned flags)
{
	struct seccomp_cache_key k;
	if (seccomp_cache_key(text, caps, &k))
		seccomp_cache_store(&k, prog, flags);
}
