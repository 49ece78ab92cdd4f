#include "image/load_archive.h"
#include "util/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int loaded_init(struct loaded *L, struct store *st, struct husk_err *err)
{
	memset(L, 0, sizeof *L);
	L->st = st;
	return staging_create(st, &L->sg, err);
}

void loaded_free(struct loaded *L)
{
	for (size_t i = 0; i < L->n; i++) {
		free(L->m[i].name);
		free(L->m[i].json);
		free(L->m[i].layer);
		free(L->m[i].alias);
	}
	free(L->m);
	staging_discard(&L->sg);
	L->m = NULL;
	L->n = 0;
}

static struct member *add(struct loaded *L, const char *name)
{
	struct member *v = realloc(L->m, (L->n + 1) * sizeof *v);
	if (!v)
		return NULL;
	L->m = v;
	struct member *m = &v[L->n];
	memset(m, 0, sizeof *m);
	if (!(m->name = strdup(name)))
		return NULL;
	L->n++;
	return m;
}

int loaded_add_json(struct loaded *L, const char *name, char *buf, size_t len)
{
	struct member *m = add(L, name);
	if (!m)
		return -1;
	m->json = buf;
	m->len = len;
	return 0;
}

struct staged_layer *loaded_add_layer(struct loaded *L, const char *name)
{
	struct member *m = add(L, name);
	if (!m || !(m->layer = calloc(1, sizeof *m->layer)))
		return NULL;
	/* the staging dir is husk's own, far shorter than PATH_MAX */
	if (!path_fits(m->layer->dir, sizeof m->layer->dir, "%s/%d", L->sg.path, ++L->layers))
		return NULL;
	return m->layer;
}

int archive_path_join(const char *dir, const char *target, char *out, size_t len)
{
	char buf[PATH_MAX * 2];
	if (target[0] == '/')
		snprintf(buf, sizeof buf, "%s", target + 1);
	else
		snprintf(buf, sizeof buf, "%s%s%s", dir, dir[0] ? "/" : "", target);
	size_t o = 0;
	char *save = NULL;
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			if (!o)
				return -1;
			while (o && out[o - 1] != '/')
				o--;
			if (o)
				o--;
			continue;
		}
		size_t n = strlen(c);
		if (o + n + 2 > len)
			return -1;
		if (o)
			out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
	}
	if (!len)
		return -1;
	out[o] = '\0';
	return 0;
}

int loaded_add_alias_clean(struct loaded *L, const char *name, const char *target,
			   struct husk_err *err)
{
	struct member *m = add(L, name);
	if (!m || !(m->alias = strdup(target)))
		return husk_error(err, ENOMEM, "load");
	return 0;
}

int loaded_add_alias(struct loaded *L, const char *name, const char *target, struct husk_err *err)
{
	char dir[PATH_MAX], out[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", name);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';
	if (!target || archive_path_join(dir, target, out, sizeof out))
		return husk_error(err, 0, "load: archive member '%s': its link leads out of the archive",
				  name);
	return loaded_add_alias_clean(L, name, out, err);
}

const struct member *loaded_find(const struct loaded *L, const char *name)
{
	for (int hops = 0; hops < 8; hops++) {
		const struct member *found = NULL;
		for (size_t i = 0; i < L->n && !found; i++)
			if (!strcmp(L->m[i].name, name))
				found = &L->m[i];
		if (!found || !found->alias)
			return found;
		name = found->alias;
	}
	return NULL;
}

const struct member *loaded_find_json(const struct loaded *L, const char *name)
{
	const struct member *m = loaded_find(L, name);
	return m && m->json ? m : NULL;
}
