#include "util/passwd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/input_limits.h"
#include "util/parse.h"
#include "util/path.h"

/* Opens a file of the container for reading, resolving symlinks inside its root. */
static FILE *open_in_root(int root_fd, const char *path)
{
	int fd = openat_in_root(root_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* The next whole line of f into *line (getline's buffer), however long: a line is
 * never read as two. One over HUSK_PASSWD_LINE_MAX is passed over whole. */
static bool next_line(FILE *f, char **line, size_t *cap)
{
	ssize_t n;
	while ((n = getline(line, cap, f)) >= 0)
		if (n <= HUSK_PASSWD_LINE_MAX)
			return true;
	return false;
}

/* Splits a colon-separated line into at most n fields, in place. */
static int split_fields(char *line, char **f, int n)
{
	int i = 0;
	line[strcspn(line, "\n")] = '\0';
	f[i++] = line;
	for (char *p = line; *p && i < n; p++)
		if (*p == ':') {
			*p = '\0';
			f[i++] = p + 1;
		}
	return i;
}

static int find_passwd(int root_fd, const char *name, int64_t uid, struct husk_user *u)
{
	cleanup_fclose FILE *f = open_in_root(root_fd, "/etc/passwd");
	if (!f)
		return 0;
	cleanup_free char *line = NULL;
	size_t cap = 0;
	while (next_line(f, &line, &cap)) {
		char *fl[7];
		if (split_fields(line, fl, 7) < 7)
			continue;
		int64_t id;
		if (parse_int(fl[2], 0, UINT32_MAX - 1, &id))
			continue;
		if ((name && !strcmp(fl[0], name)) || (!name && id == uid)) {
			int64_t gid;
			if (parse_int(fl[3], 0, UINT32_MAX - 1, &gid))
				continue;
			u->uid = (uid_t)id;
			u->gid = (gid_t)gid;
			/* -1: a home directory that does not fit is refused, never cut */
			return path_fits(u->home, sizeof u->home, "%s", fl[5]) ? 1 : -1;
		}
	}
	return 0;
}

/* Finds a group by name (gid_out set) and collects supplementary groups of user. */
static int scan_groups(int root_fd, const char *group, const char *user, gid_t *gid_out,
		       struct husk_user *u)
{
	cleanup_fclose FILE *f = open_in_root(root_fd, "/etc/group");
	int found = 0;
	if (!f)
		return 0;
	cleanup_free char *line = NULL;
	size_t cap = 0;
	while (next_line(f, &line, &cap)) {
		char *fl[4];
		if (split_fields(line, fl, 4) < 4)
			continue;
		int64_t id;
		if (parse_int(fl[2], 0, UINT32_MAX - 1, &id))
			continue;
		if (group && !strcmp(fl[0], group)) {
			*gid_out = (gid_t)id;
			found = 1;
		}
		if (!user)
			continue;
		char *save = NULL;
		for (char *m = strtok_r(fl[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
			if (!strcmp(m, user) && u->ngroups < (int)ARRAY_SIZE(u->groups))
				u->groups[u->ngroups++] = (gid_t)id;
	}
	return found;
}

int passwd_resolve(int root_fd, const char *spec, struct husk_user *u, struct husk_err *err)
{
	memset(u, 0, sizeof *u);
	strcpy(u->home, "/");
	char buf[256];
	if (strlen(spec) >= sizeof buf || !*spec)
		return husk_error(err, 0, "invalid --user '%s'", spec);
	strcpy(buf, spec);
	char *group = strchr(buf, ':');
	if (group)
		*group++ = '\0';
	if (group && !*group)
		return husk_error(err, 0, "invalid --user '%s': empty group", spec);

	int64_t id;
	const char *uname = NULL;
	int found;
	if (!parse_int(buf, 0, UINT32_MAX - 1, &id)) {
		/* numeric: the passwd entry is optional, as in docker */
		if (!(found = find_passwd(root_fd, NULL, id, u))) {
			u->uid = (uid_t)id;
			u->gid = (gid_t)id == 0 ? 0 : (gid_t)id;
		}
	} else {
		if (!(found = find_passwd(root_fd, buf, 0, u)))
			return husk_error(err, 0, "invalid --user '%s': no user '%s' in the container's /etc/passwd",
					  spec, buf);
		uname = buf;
	}
	if (found < 0)
		return husk_error(err, 0, "invalid --user '%s': its home directory in the container's "
				  "/etc/passwd is longer than %zu bytes", spec, sizeof u->home - 1);
	if (!group) {
		scan_groups(root_fd, NULL, uname, NULL, u);
		return 0;
	}
	if (!parse_int(group, 0, UINT32_MAX - 1, &id)) {
		u->gid = (gid_t)id;
		scan_groups(root_fd, NULL, uname, NULL, u);
		return 0;
	}
	gid_t g;
	if (!scan_groups(root_fd, group, uname, &g, u))
		return husk_error(err, 0, "invalid --user '%s': no group '%s' in the container's /etc/group",
				  spec, group);
	u->gid = g;
	return 0;
}
