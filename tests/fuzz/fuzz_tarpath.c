/* Where a layer's tar entry may go (src/image/tarpath.c): the input is the entry's
 * name, a NUL, and a symlink target. Whatever is accepted must be a clean relative
 * path: no leading "/", no "." or ".." component, no empty component; a relative
 * symlink accepted must not climb above the layer's root. */
#include "image/tarpath.h"

#include "fuzz_common.h"

static void check_clean(const char *p)
{
	if (p[0] == '/')
		abort();
	if (!p[0])
		return;
	for (const char *c = p;;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		if (!c[n])
			break;
		c += n + 1;
	}
}

/* depth of entry's directory plus target's climb, walked by hand */
static void check_symlink(const char *entry, const char *target)
{
	if (target[0] == '/')
		return;
	long depth = 0;
	for (const char *c = entry; *c; c++)
		depth += *c == '/';
	for (const char *c = target;;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			depth--;
		else if (n && !(n == 1 && c[0] == '.'))
			depth++;
		if (depth < 0)
			abort();
		if (!c[n])
			break;
		c += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	const char *nul = memchr(data, '\0', size);
	const char *target = nul ? s + (nul - (const char *)data) + 1 : "";
	char clean[256], parent[256];
	const char *why = NULL;
	if (tar_path_clean(s, clean, sizeof clean, &why) == 0) {
		check_clean(clean);
		if (clean[0]) {
			const char *base = tar_path_split(clean, parent, sizeof parent);
			const char *hidden = NULL;
			if (!base || strchr(base, '/'))
				abort();
			int k = tar_whiteout_kind(base, &hidden);
			if (k == 2 && (!hidden || !*hidden))
				abort();
			why = NULL;
			if (tar_symlink_check(clean, target, &why) == 0)
				check_symlink(clean, target);
			else if (!why)
				abort();
		}
	} else if (!why) {
		abort();
	}
	free(s);
	return 0;
}
