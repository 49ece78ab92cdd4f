#include "linux/cgroup/cgroup_path.h"

#include <stdio.h>
#include <string.h>

/* "a-b-c.slice" -> "a.slice/a-b.slice/a-b-c.slice", as systemd nests slices;
 * "-.slice" (the root slice) -> "" */
static int expand_slice(const char *slice, char *out, size_t len, struct husk_err *err)
{
	size_t n = strlen(slice);
	out[0] = '\0';
	if (!strcmp(slice, "-.slice"))
		return 0;
	if (n < 7 || strcmp(slice + n - 6, ".slice") || strchr(slice, '/'))
		return husk_error(err, 0, "invalid cgroupsPath slice '%s': expected NAME.slice", slice);
	size_t stem = n - 6, off = 0;
	for (size_t i = 0; i <= stem; i++) {
		if (i < stem && slice[i] != '-')
			continue;
		if (i == 0 || (i < stem && slice[i + 1] == '-') || (i == stem && slice[i - 1] == '-'))
			return husk_error(err, 0, "invalid cgroupsPath slice '%s'", slice);
		int w = snprintf(out + off, len - off, "%s%.*s.slice", off ? "/" : "", (int)i, slice);
		if (w < 0 || (size_t)w >= len - off)
			return husk_error(err, 0, "invalid cgroupsPath slice '%s': too long", slice);
		off += (size_t)w;
	}
	return 0;
}

static int systemd_path(const char *p, const char *name, char *out, size_t len,
			struct husk_err *err)
{
	const char *c1 = strchr(p, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || !c2 || strchr(c2 + 1, ':'))
		return husk_error(err, 0, "invalid cgroupsPath '%s': --systemd-cgroup expects "
				  "slice:prefix:name", p);
	char slice[256], prefix[256], unit[512], expanded[1024];
	snprintf(slice, sizeof slice, "%.*s", (int)(c1 - p), p);
	snprintf(prefix, sizeof prefix, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
	const char *leaf = c2[1] ? c2 + 1 : name;
	if (expand_slice(slice[0] ? slice : "system.slice", expanded, sizeof expanded, err))
		return -1;
	/* a name that is a unit already (ends in .slice) is used as it is */
	size_t ln = strlen(leaf);
	if (ln > 6 && !strcmp(leaf + ln - 6, ".slice"))
		snprintf(unit, sizeof unit, "%s", leaf);
	else
		snprintf(unit, sizeof unit, "%s%s%s.scope", prefix, prefix[0] ? "-" : "", leaf);
	int w = snprintf(out, len, "%s%s%s", expanded, expanded[0] ? "/" : "", unit);
	if (w < 0 || (size_t)w >= len)
		return husk_error(err, 0, "invalid cgroupsPath '%s': too long", p);
	return 0;
}

int cgroup_path_expand(const char *p, bool systemd, const char *name, char *out, size_t len,
		       struct husk_err *err)
{
	int w;
	if (!p || !p[0])
		w = snprintf(out, len, "husk/%s", name);
	else if (systemd)
		return systemd_path(p, name, out, len, err);
	else if (p[0] == '/')
		w = snprintf(out, len, "%s", p + strspn(p, "/"));
	else
		w = snprintf(out, len, "husk/%s", p);
	if (w < 0 || (size_t)w >= len)
		return husk_error(err, 0, "invalid cgroupsPath '%s': too long", p);
	/* no trailing '/', no empty path (the hierarchy's root is not a container's) */
	while (w > 0 && out[w - 1] == '/')
		out[--w] = '\0';
	if (!w || strstr(out, "//") || !strcmp(out, "husk"))
		return husk_error(err, 0, "invalid cgroupsPath '%s'", p);
	return 0;
}
