#include "image/tarpath.h"

#include <string.h>

int tar_path_clean(const char *name, char *out, size_t len, const char **why)
{
	if (!name || !len) {
		*why = "no name";
		return -1;
	}
	if (name[0] == '/') {
		*why = "absolute path";
		return -1;
	}
	size_t o = 0;
	const char *p = name;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			*why = "'..' in the path";
			return -1;
		}
		if (n && !(n == 1 && p[0] == '.')) {
			if (o + n + 2 > len) {
				*why = "path too long";
				return -1;
			}
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	out[o] = '\0';
	return 0;
}

int tar_symlink_check(const char *entry, const char *target, const char **why)
{
	if (!target || !target[0]) {
		*why = "empty symlink target";
		return -1;
	}
	if (target[0] == '/')
		return 0;
	/* depth of the directory holding the link */
	long depth = 0;
	for (const char *p = entry; *p; p++)
		if (*p == '/')
			depth++;
	const char *p = target;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0) {
				*why = "symlink target leads out of the layer";
				return -1;
			}
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

const char *tar_path_split(const char *path, char *parent, size_t len)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		if (len)
			parent[0] = '\0';
		return path;
	}
	size_t n = (size_t)(slash - path);
	if (n >= len)
		n = len - 1;
	memcpy(parent, path, n);
	parent[n] = '\0';
	return slash + 1;
}

int tar_whiteout_kind(const char *base, const char **hidden)
{
	if (strncmp(base, ".wh.", 4))
		return 0;
	if (!strcmp(base, ".wh..wh..opq"))
		return 1;
	if (!strncmp(base, ".wh..wh.", 8))
		return 3;
	*hidden = base + 4;
	return base[4] ? 2 : 3;
}
