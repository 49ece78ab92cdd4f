#include "linux/userns/subid.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"

static int parse_u32_field(const char *s, size_t len, uint32_t *out)
{
	if (len == 0 || len > 10)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* One line "owner:start:count"; 1 if it is the user's and well formed. */
static int parse_line(const char *line, size_t len, const char *name, uid_t uid,
		      struct subid_range *r)
{
	const char *c1 = memchr(line, ':', len);
	if (!c1)
		return 0;
	const char *c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line));
	if (!c2)
		return 0;
	size_t olen = (size_t)(c1 - line);
	uint32_t owner_uid;
	bool mine = (name && strlen(name) == olen && memcmp(line, name, olen) == 0) ||
		    (parse_u32_field(line, olen, &owner_uid) == 0 && owner_uid == uid);
	if (!mine)
		return 0;
	if (parse_u32_field(c1 + 1, (size_t)(c2 - c1 - 1), &r->start) ||
	    parse_u32_field(c2 + 1, len - (size_t)(c2 + 1 - line), &r->count) || r->count == 0 ||
	    (uint64_t)r->start + r->count > UINT32_MAX)
		return 0;
	return 1;
}

size_t subid_parse(const char *text, const char *name, uid_t uid, struct subid_range *out,
		   size_t max)
{
	size_t n = 0;
	for (const char *p = text; *p && n < max;) {
		size_t len = strcspn(p, "\n");
		size_t l = len;
		while (l && (p[l - 1] == ' ' || p[l - 1] == '\r' || p[l - 1] == '\t'))
			l--;
		if (*p != '#' && parse_line(p, l, name, uid, &out[n]))
			n++;
		p += len + (p[len] == '\n');
	}
	return n;
}

size_t subid_lookup(const char *path, const char *name, uid_t uid, struct subid_range *out,
		    size_t max)
{
	cleanup_free char *buf = malloc(1 << 20);
	if (!buf || read_file(path, buf, 1 << 20) < 0)
		return 0;
	return subid_parse(buf, name, uid, out, max);
}
