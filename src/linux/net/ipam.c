/* Lease files under one directory lock (see ipam.h for the layout). */
#include "linux/net/ipam.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define LEASES IPAM_DIR "/leases"

int subnet_parse(const char *s, struct subnet *sn)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof buf)
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	struct in_addr a;
	char *end;
	long p = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, buf, &a) != 1 || !slash[1] || *end || p < 16 || p > 29)
		return -1;
	sn->net = ntohl(a.s_addr);
	sn->prefix = (int)p;
	uint32_t mask = ~0u << (32 - p);
	return (sn->net & ~mask) ? -1 : 0;
}

const char *subnet_refused(const struct subnet *sn)
{
	static const struct {
		uint32_t net;
		int prefix;
		const char *what;
	} ranges[] = {
		{ 0x00000000u, 8, "0.0.0.0/8 (\"this network\")" },
		{ 0x7f000000u, 8, "127.0.0.0/8 (loopback)" },
		{ 0xa9fe0000u, 16, "169.254.0.0/16 (link-local)" },
		{ 0xe0000000u, 4, "224.0.0.0/4 (multicast)" },
		{ 0xf0000000u, 4, "240.0.0.0/4 (reserved, broadcast)" },
	};
	/* the prefix is 16 or more: sn overlaps a range only by lying inside it */
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if ((sn->net & (~0u << (32 - ranges[i].prefix))) == ranges[i].net)
			return ranges[i].what;
	return NULL;
}

void addr_format(uint32_t addr, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = htonl(addr) };
	if (!inet_ntop(AF_INET, &a, buf, (socklen_t)len) && len)
		buf[0] = '\0';
}

void subnet_format(const struct subnet *sn, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];
	addr_format(sn->net, a, sizeof a);
	snprintf(buf, len, "%s/%d", a, sn->prefix);
}

bool subnet_contains(const struct subnet *sn, uint32_t addr)
{
	uint32_t mask = ~0u << (32 - sn->prefix);
	return (addr & mask) == sn->net;
}

/* As state.c does for the state root: the last one out unlinks the lock file, so a
 * waiter that then holds a lock on an unlinked file starts over. */
int ipam_lock(bool create)
{
	/* ENOENT while creating: the last husk out removed a parent meanwhile */
	for (int tries = 0;; tries++) {
		if (create && mkdir_p(LEASES, 0700) < 0) {
			if (errno == ENOENT && tries < 100)
				continue;
			return -1;
		}
		int fd = open(IPAM_DIR "/lock", O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
		if (fd < 0 && errno == ENOENT && create && tries < 100)
			continue;
		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_EX) < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd);
		if (!create) {
			errno = ENOENT;
			return -1;
		}
	}
}

void ipam_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd);
}

void ipam_remove_dir(int lock_fd)
{
	(void)lock_fd; /* held by the caller: nobody else is in here */
	unlink(IPAM_DIR "/subnet");
	unlink(IPAM_DIR "/ip_forward");
	unlink(IPAM_DIR "/redirect"); /* the programs went with the last husk holding them */
	DIR *d = opendir(LEASES);
	for (struct dirent *de; d && (de = readdir(d));)
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	rmdir(LEASES);
	unlink(IPAM_DIR "/lock");
	rmdir(IPAM_DIR);
	/* with another --root, /run/husk held only this directory; a husk that is
	 * creating its state there retries when the directory goes (state.c) */
	rmdir(HUSK_DEFAULT_STATE_ROOT);
}

/* 1 if the husk holding the lease file is alive (it keeps its flock); else 0 with
 * *record the whole file (a lease of 100 ports is more than 4 KiB: every line of it
 * is something to undo), or NULL if it could not be read. */
static int lease_held(int dirfd, const char *name, char **record)
{
	*record = NULL;
	cleanup_close int fd = openat(dirfd, name, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	struct stat st;
	if (fstat(fd, &st) < 0 || !(*record = malloc((size_t)st.st_size + 1)))
		return 0;
	ssize_t n = pread(fd, *record, (size_t)st.st_size, 0);
	(*record)[n > 0 ? n : 0] = '\0';
	return 0;
}

struct reclaim {
	int (*fn)(const char *record, void *arg);
	void *arg;
};

/* 1 if the lease is held; else its record undone by fn and the lease removed */
static int reclaim_one(int dfd, const char *name, void *arg)
{
	struct reclaim *r = arg;
	cleanup_free char *record = NULL;
	if (lease_held(dfd, name, &record))
		return 1;
	if (!record || (r->fn && r->fn(record, r->arg) < 0))
		return 0; /* kept: tried again by the next reclaim */
	unlinkat(dfd, name, 0);
	return 0;
}

int ipam_reclaim(int (*fn)(const char *record, void *arg), void *arg)
{
	struct reclaim r = { fn, arg };
	return dir_each(LEASES, reclaim_one, &r);
}

static int count_one(int dfd, const char *name, void *arg)
{
	(void)dfd, (void)name, (void)arg;
	return 1;
}

int ipam_count(void)
{
	return dir_each(LEASES, count_one, NULL);
}

int ipam_file_write(const char *name, const char *data)
{
	char path[128];
	snprintf(path, sizeof path, IPAM_DIR "/%s", name);
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t n = strlen(data);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n)
		return -1;
	return 0;
}

ssize_t ipam_file_read(const char *name, char *buf, size_t len)
{
	char path[128];
	snprintf(path, sizeof path, IPAM_DIR "/%s", name);
	return read_file(path, buf, len);
}

void ipam_file_remove(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, IPAM_DIR "/%s", name);
	unlink(path);
}

int ipam_subnet_load(struct subnet *sn)
{
	char buf[64];
	if (ipam_file_read("subnet", buf, sizeof buf) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return subnet_parse(buf, sn);
}

int ipam_subnet_save(const struct subnet *sn)
{
	char buf[64];
	subnet_format(sn, buf, sizeof buf);
	strcat(buf, "\n");
	return ipam_file_write("subnet", buf);
}

struct marking {
	const struct subnet *sn;
	uint8_t *used;
};

static int mark_one(int dfd, const char *name, void *arg)
{
	(void)dfd;
	struct marking *m = arg;
	struct in_addr a;
	if (inet_pton(AF_INET, name, &a) != 1)
		return 0;
	uint32_t addr = ntohl(a.s_addr);
	if (subnet_contains(m->sn, addr))
		m->used[(addr - m->sn->net) / 8] |= (uint8_t)(1u << ((addr - m->sn->net) % 8));
	return 0;
}

/* Marks the addresses that have a lease file in used[] (bit i: net + i). */
static void mark_used(const struct subnet *sn, uint8_t *used)
{
	struct marking m = { sn, used };
	dir_each(LEASES, mark_one, &m);
}

static int lease_create(uint32_t addr, const char *record)
{
	char path[128], a[INET_ADDRSTRLEN];
	addr_format(addr, a, sizeof a);
	snprintf(path, sizeof path, LEASES "/%s", a);
	return create_locked_file(path, record);
}

int ipam_take(const struct subnet *sn, const char *record, uint32_t *addr, struct husk_err *err)
{
	uint32_t size = 1u << (32 - sn->prefix);
	cleanup_free uint8_t *used = calloc(size / 8, 1);
	if (!used)
		return husk_error(err, ENOMEM, "address allocation");
	mark_used(sn, used);
	/* network address, gateway (.1) and broadcast are never handed out */
	for (uint32_t i = 2; i < size - 1; i++) {
		if (used[i / 8] & (1u << (i % 8)))
			continue;
		int fd = lease_create(sn->net + i, record);
		if (fd >= 0) {
			*addr = sn->net + i;
			return fd;
		}
		if (errno != EEXIST)
			return husk_error(err, errno, "creating a lease in %s", LEASES);
	}
	char s[40];
	subnet_format(sn, s, sizeof s);
	return husk_error(err, 0, "network: no free address left in %s (%u containers on husk0)",
			  s, size - 3);
}

int ipam_note(int lease_fd, const char *line)
{
	char buf[512];
	int n = snprintf(buf, sizeof buf, "%s\n", line);
	if (n >= (int)sizeof buf)
		return -1;
	/* one write: a reader after our death sees whole lines */
	if (lseek(lease_fd, 0, SEEK_END) < 0 || write(lease_fd, buf, (size_t)n) != n)
		return -1;
	return 0;
}

void ipam_release(uint32_t addr, int lease_fd)
{
	char path[128], a[INET_ADDRSTRLEN];
	addr_format(addr, a, sizeof a);
	snprintf(path, sizeof path, LEASES "/%s", a);
	unlink(path);
	close(lease_fd);
}
