#include "linux/userns/pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/userns/idmap.h"
#include "linux/userns/subid.h"
#include "spec.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int pool_check(struct userns_pool *p, struct husk_err *err)
{
	if (p->count < USERNS_BLOCK || (uint64_t)p->start + p->count > UINT32_MAX)
		return husk_error(err, EINVAL, "userns pool %" PRIu32 ":%" PRIu32 " (%s): needs at "
				  "least %u ids, ending below %u", p->start, p->count, p->source,
				  USERNS_BLOCK, UINT32_MAX);
	if (p->start == 0)
		return husk_error(err, EINVAL, "userns pool %s: it starts at host uid 0", p->source);
	p->count -= p->count % USERNS_BLOCK;
	return 0;
}

int userns_pool_config(struct userns_pool *p, struct husk_err *err)
{
	const char *env = getenv("HUSK_USERNS_POOL");
	if (env && *env) {
		struct id_map m = { 0 };
		char triple[64];
		snprintf(triple, sizeof triple, "0:%s", env);
		snprintf(p->source, sizeof p->source, "$HUSK_USERNS_POOL");
		if (strlen(env) > 40 || idmap_parse_triple(triple, &m, err))
			return husk_error(err, EINVAL, "invalid HUSK_USERNS_POOL '%s': expected START:COUNT", env);
		p->start = m.r[0].outside;
		p->count = m.r[0].count;
		return pool_check(p, err);
	}
	struct subid_range r;
	if (subid_lookup("/etc/subuid", "husk", (uid_t)-1, &r, 1) == 1) {
		p->start = r.start;
		p->count = r.count;
		snprintf(p->source, sizeof p->source, "/etc/subuid (user husk)");
		return pool_check(p, err);
	}
	p->start = USERNS_POOL_DEFAULT_START;
	p->count = USERNS_POOL_DEFAULT_COUNT;
	snprintf(p->source, sizeof p->source, "the default");
	return 0;
}

/* The directory lock; the last one out unlinks the lock file, so a waiter that then
 * holds a lock on an unlinked file starts over (as ipam_lock). */
static int pool_lock(const char *dir, bool create)
{
	char leases[256], lock[256];
	snprintf(leases, sizeof leases, "%s/leases", dir);
	snprintf(lock, sizeof lock, "%s/lock", dir);
	for (int tries = 0; tries < 100; tries++) {
		if (create && mkdir_p(leases, 0700) < 0) {
			if (errno == ENOENT)
				continue;
			return -1;
		}
		int fd = open(lock, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
		if (fd < 0 && errno == ENOENT && create)
			continue;
		if (fd < 0)
			return -1;
		struct stat st;
		if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd);
		if (!create) {
			errno = ENOENT;
			return -1;
		}
	}
	errno = EAGAIN;
	return -1;
}

struct scan {
	const struct userns_pool *p;
	uint8_t *used;
};

/* 1 if the lease is held (its block marked in used[]); a dead one is removed */
static int scan_one(int dfd, const char *name, void *arg)
{
	struct scan *sc = arg;
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		unlinkat(dfd, name, 0); /* its husk is gone */
		return 0;
	}
	char *end;
	unsigned long long start = strtoull(name, &end, 10);
	const struct userns_pool *p = sc->p;
	if (sc->used && p && !*end && start >= p->start && start < (uint64_t)p->start + p->count) {
		uint64_t i = (start - p->start) / USERNS_BLOCK;
		sc->used[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	return 1;
}

/* With the lock: reclaims dead leases; marks the live ones in used[] (may be NULL). */
static int pool_scan(const char *dir, const struct userns_pool *p, uint8_t *used)
{
	char leases[256];
	snprintf(leases, sizeof leases, "%s/leases", dir);
	struct scan sc = { p, used };
	return dir_each(leases, scan_one, &sc);
}

static void pool_remove_if_empty(const char *dir)
{
	char path[256];
	snprintf(path, sizeof path, "%s/leases", dir);
	if (rmdir(path) < 0)
		return;
	snprintf(path, sizeof path, "%s/lock", dir);
	unlink(path);
	rmdir(dir);
	/* as ipam_remove_dir: with another --root, /run/husk held only this directory */
	if (!strcmp(dir, USERNS_POOL_DIR))
		rmdir(HUSK_DEFAULT_STATE_ROOT);
}

static int lease_create(const char *dir, uint32_t start, const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/leases/%" PRIu32, dir, start);
	return create_locked_file(path, name);
}

int userns_pool_take(const char *dir, const struct userns_pool *p, const char *name,
		     uint32_t *start, struct husk_err *err)
{
	uint32_t blocks = p->count / USERNS_BLOCK;
	cleanup_free uint8_t *used = calloc(blocks / 8 + 1, 1);
	if (!used)
		return husk_error(err, ENOMEM, "userns pool");
	cleanup_close int lock = pool_lock(dir, true);
	if (lock < 0)
		return husk_error(err, errno, "userns pool: locking %s/lock", dir);
	pool_scan(dir, p, used);
	for (uint32_t i = 0; i < blocks; i++) {
		if (used[i / 8] & (1u << (i % 8)))
			continue;
		uint32_t s = p->start + i * USERNS_BLOCK;
		int fd = lease_create(dir, s, name);
		if (fd >= 0) {
			*start = s;
			return fd;
		}
		if (errno != EEXIST)
			return husk_error(err, errno, "userns pool: creating a lease in %s/leases", dir);
	}
	pool_remove_if_empty(dir);
	return husk_error(err, 0, "--userns auto: no free block of %u ids left in the pool "
			  "%" PRIu32 ":%" PRIu32 " (%s): %u containers hold one", USERNS_BLOCK,
			  p->start, p->count, p->source, blocks);
}

void userns_pool_release(const char *dir, uint32_t start, int lease_fd)
{
	if (lease_fd < 0)
		return;
	int lock = pool_lock(dir, false);
	char path[256];
	snprintf(path, sizeof path, "%s/leases/%" PRIu32, dir, start);
	unlink(path);
	close(lease_fd);
	if (lock >= 0) {
		pool_scan(dir, NULL, NULL);
		pool_remove_if_empty(dir);
		close(lock);
	}
}

int userns_pool_held(const char *dir)
{
	int lock = pool_lock(dir, false);
	if (lock < 0)
		return 0;
	int held = pool_scan(dir, NULL, NULL);
	if (!held)
		pool_remove_if_empty(dir);
	close(lock);
	return held;
}
