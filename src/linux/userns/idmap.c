#include "linux/userns/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/fs/procfs.h"
#include "util/cleanup.h"

extern char **environ;

static bool overlaps(uint32_t a, uint32_t na, uint32_t b, uint32_t nb)
{
	return (uint64_t)a < (uint64_t)b + nb && (uint64_t)b < (uint64_t)a + na;
}

int idmap_add(struct id_map *m, uint32_t inside, uint32_t outside, uint32_t count,
	      struct husk_err *err)
{
	if (count == 0)
		return husk_error(err, EINVAL, "id map %u %u %u: the count is zero", inside, outside, count);
	/* (uid_t)-1 means "no change" to setresuid and can never be mapped */
	if ((uint64_t)inside + count > UINT32_MAX || (uint64_t)outside + count > UINT32_MAX)
		return husk_error(err, ERANGE, "id map %u %u %u: past the largest id %u", inside,
				  outside, count, UINT32_MAX - 1);
	if (m->n >= IDMAP_MAX)
		return husk_error(err, E2BIG, "id map: more than %d ranges", IDMAP_MAX);
	for (size_t i = 0; i < m->n; i++) {
		const struct id_range *r = &m->r[i];
		if (overlaps(inside, count, r->inside, r->count) ||
		    overlaps(outside, count, r->outside, r->count))
			return husk_error(err, EINVAL, "id map %u %u %u overlaps %u %u %u", inside,
					  outside, count, r->inside, r->outside, r->count);
	}
	m->r[m->n++] = (struct id_range){ inside, outside, count };
	return 0;
}

/* A decimal uint32: digits only, no sign, no overflow. */
static int parse_u32(const char *s, const char **end, uint32_t *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s++ - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*end = s;
	*out = (uint32_t)v;
	return 0;
}

int idmap_parse_proc(const char *text, struct id_map *m, const char *what, struct husk_err *err)
{
	const char *p = text;
	while (*p) {
		uint32_t v[3];
		for (int i = 0; i < 3; i++) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (parse_u32(p, &p, &v[i]) < 0)
				return husk_error(err, EINVAL, "%s: malformed line near '%.20s'", what, p);
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\n' && *p != '\0')
			return husk_error(err, EINVAL, "%s: malformed line near '%.20s'", what, p);
		if (*p == '\n')
			p++;
		if (idmap_add(m, v[0], v[1], v[2], err))
			return -1;
	}
	return 0;
}

int idmap_parse_triple(const char *s, struct id_map *m, struct husk_err *err)
{
	uint32_t v[3];
	const char *p = s;
	for (int i = 0; i < 3; i++) {
		if (parse_u32(p, &p, &v[i]) < 0 || *p != (i < 2 ? ':' : '\0'))
			return husk_error(err, EINVAL, "invalid id mapping '%s': expected INSIDE:OUTSIDE:COUNT", s);
		if (i < 2)
			p++;
	}
	return idmap_add(m, v[0], v[1], v[2], err);
}

int idmap_format(const struct id_map *m, char *buf, size_t len)
{
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < m->n; i++) {
		int n = snprintf(buf + off, len - off, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
				 m->r[i].inside, m->r[i].outside, m->r[i].count);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* m's ranges sorted by their first id inside, each run that continues on both
 * sides merged into one range. */
static void idmap_normalize(const struct id_map *m, struct id_map *out)
{
	*out = *m;
	for (size_t i = 1; i < out->n; i++) /* insertion sort: at most IDMAP_MAX */
		for (size_t j = i; j > 0 && out->r[j - 1].inside > out->r[j].inside; j--) {
			struct id_range t = out->r[j];
			out->r[j] = out->r[j - 1];
			out->r[j - 1] = t;
		}
	size_t n = 0;
	for (size_t i = 0; i < out->n; i++) {
		struct id_range *last = n ? &out->r[n - 1] : NULL;
		const struct id_range *r = &out->r[i];
		if (last && (uint64_t)last->inside + last->count == r->inside &&
		    (uint64_t)last->outside + last->count == r->outside)
			last->count += r->count;
		else
			out->r[n++] = *r;
	}
	out->n = n;
}

bool idmap_equal(const struct id_map *a, const struct id_map *b)
{
	struct id_map na, nb;
	idmap_normalize(a, &na);
	idmap_normalize(b, &nb);
	if (na.n != nb.n)
		return false;
	for (size_t i = 0; i < na.n; i++)
		if (na.r[i].inside != nb.r[i].inside || na.r[i].outside != nb.r[i].outside ||
		    na.r[i].count != nb.r[i].count)
			return false;
	return true;
}

int64_t idmap_to_host(const struct id_map *m, uint32_t inside)
{
	for (size_t i = 0; i < m->n; i++)
		if (inside >= m->r[i].inside && inside - m->r[i].inside < m->r[i].count)
			return (int64_t)m->r[i].outside + (inside - m->r[i].inside);
	return -1;
}

int64_t idmap_to_container(const struct id_map *m, uint32_t outside)
{
	for (size_t i = 0; i < m->n; i++)
		if (outside >= m->r[i].outside && outside - m->r[i].outside < m->r[i].count)
			return (int64_t)m->r[i].inside + (outside - m->r[i].outside);
	return -1;
}

/* One write(2) of the whole map (the kernel takes a map in a single write only),
 * through an fd verified to be procfs with no symlink or bind on the way
 * (linux/fs/procfs.h, CVE-2025-52881). */
static int write_proc(pid_t pid, const char *file, const char *data, struct husk_err *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	struct husk_err e = { 0 };
	if (procfs_write(path, data, &e) == 0)
		return 0;
	return husk_error(err, 0, "%s ('%.*s')", e.msg, (int)strcspn(data, "\n"), data);
}

int idmap_write(pid_t pid, const struct id_map *uids, const struct id_map *gids,
		bool deny_setgroups, struct husk_err *err)
{
	char buf[IDMAP_MAX * 36 + 1];
	if (idmap_format(uids, buf, sizeof buf) || write_proc(pid, "uid_map", buf, err))
		return -1;
	if (deny_setgroups && write_proc(pid, "setgroups", "deny", err))
		return -1;
	if (idmap_format(gids, buf, sizeof buf) || write_proc(pid, "gid_map", buf, err))
		return -1;
	return 0;
}

/* newuidmap PID inside outside count ...: the helper checks /etc/subuid itself. */
static int spawn_helper(const char *helper, pid_t pid, const struct id_map *m, pid_t *child,
			struct husk_err *err)
{
	char args[3 * IDMAP_MAX + 3][16];
	char *argv[3 * IDMAP_MAX + 3];
	size_t n = 0;
	argv[n++] = (char *)helper;
	snprintf(args[n], sizeof args[n], "%d", (int)pid);
	argv[n] = args[n];
	n++;
	for (size_t i = 0; i < m->n; i++) {
		uint32_t v[3] = { m->r[i].inside, m->r[i].outside, m->r[i].count };
		for (int k = 0; k < 3; k++, n++) {
			snprintf(args[n], sizeof args[n], "%" PRIu32, v[k]);
			argv[n] = args[n];
		}
	}
	argv[n] = NULL;
	int rc = posix_spawnp(child, helper, NULL, NULL, argv, environ);
	if (rc != 0)
		return husk_error(err, rc, "%s (from Debian's uidmap package)", helper);
	return 0;
}

static int wait_helper(const char *helper, pid_t pid, pid_t child, struct husk_err *err)
{
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return husk_error(err, errno, "waiting for %s", helper);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return husk_error(err, 0, "%s %d ... failed (exit %d): are the ranges in /etc/sub%cid?",
				  helper, (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				  helper[3] == 'u' ? 'u' : 'g');
	return 0;
}

int idmap_write_helpers(pid_t pid, const struct id_map *uids, const struct id_map *gids,
			struct husk_err *err)
{
	/* both at once: each is a setuid exec of a few milliseconds */
	pid_t u = -1, g = -1;
	int r = spawn_helper("newuidmap", pid, uids, &u, err);
	if (r == 0)
		r = spawn_helper("newgidmap", pid, gids, &g, err);
	if (u > 0 && wait_helper("newuidmap", pid, u, err))
		r = -1;
	if (g > 0 && wait_helper("newgidmap", pid, g, err))
		r = -1;
	return r;
}
