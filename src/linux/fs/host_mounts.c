#include "linux/fs/host_mounts.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "util/cleanup.h"

bool host_mounts_wanted(const struct husk_spec *s)
{
	return s->oci.active && !spec_oci_namespace(&s->oci, CLONE_NEWNS);
}

/* mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) */
static void unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

static bool at_or_below(const char *path, const char *root)
{
	size_t n = strlen(root);
	if (n == 1) /* "/": never the host's own mounts */
		return false;
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Calls FN(id, mount point, arg) for each mount at or below ROOT, in mountinfo's
 * order (a mount after the ones it stands on). */
static int each_below(const char *root, void (*fn)(int, const char *, void *), void *arg)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	cleanup_free char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		int id;
		char mp[PATH_MAX + 1];
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... */
		if (sscanf(line, "%d %*d %*s %*s %4096s", &id, mp) != 2)
			continue;
		unescape(mp);
		if (at_or_below(mp, root))
			fn(id, mp, arg);
	}
	fclose(f);
	return 0;
}

static void add_id(int id, const char *mp, void *arg)
{
	(void)mp;
	struct host_mounts *m = arg;
	int *n = realloc(m->keep, (m->n_keep + 1) * sizeof *n);
	if (!n)
		return;
	m->keep = n;
	m->keep[m->n_keep++] = id;
}

int host_mounts_snapshot(const char *root, struct host_mounts *m, struct husk_err *err)
{
	memset(m, 0, sizeof *m);
	if (!(m->root = realpath(root, NULL)))
		return husk_error(err, errno, "root '%s'", root);
	if (each_below(m->root, add_id, m) < 0)
		return husk_error(err, errno, "reading /proc/self/mountinfo");
	return 0;
}

struct found {
	const struct host_mounts *m;
	int *ids;
	char **paths;
	size_t n;
};

static void add_new(int id, const char *mp, void *arg)
{
	struct found *f = arg;
	for (size_t i = 0; i < f->m->n_keep; i++)
		if (f->m->keep[i] == id)
			return;
	int *ids = realloc(f->ids, (f->n + 1) * sizeof *ids);
	if (ids)
		f->ids = ids;
	char **paths = realloc(f->paths, (f->n + 1) * sizeof *paths);
	if (paths)
		f->paths = paths;
	if (!ids || !paths || !(f->paths[f->n] = strdup(mp)))
		return;
	f->ids[f->n++] = id;
}

int host_mounts_undo(const struct host_mounts *m)
{
	if (!m->root)
		return 0;
	struct found f = { .m = m };
	if (each_below(m->root, add_new, &f) < 0)
		return -1;
	int done = 0;
	/* the latest first: a mount goes before the one it stands on (a lazy unmount of
	 * a parent takes its children along: EINVAL for them after that is fine) */
	for (size_t i = f.n; i-- > 0;) {
		if (umount2(f.paths[i], MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			done++;
		free(f.paths[i]);
	}
	free(f.paths);
	free(f.ids);
	return done;
}

void host_mounts_free(struct host_mounts *m)
{
	free(m->root);
	free(m->keep);
	memset(m, 0, sizeof *m);
}
