/* husk rmi, husk image prune, husk image inspect; `husk image ls|rm|...` dispatch. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "engine/layer_dir.h"
#include "image/images.h"
#include "image/json_util.h"
#include "image/ref.h"
#include "util/cleanup.h"
#include "util/path.h"

/* What containers (of this state root) use: image ids and layer diff_ids. */
struct in_use {
	struct ctr_record *c;
	size_t n;
	char **layers; /* NULL-terminated */
	size_t n_layers;
};

static void in_use_load(const struct husk_global *g, const struct store *st, struct in_use *u)
{
	memset(u, 0, sizeof *u);
	if (ctr_list(g, &u->c, &u->n) < 0)
		u->n = 0;
	char prefix[PATH_MAX];
	snprintf(prefix, sizeof prefix, "%s/layers/", st->root);
	u->layers = calloc(1, sizeof *u->layers);
	for (size_t i = 0; i < u->n && u->layers; i++) {
		json_object *lower = json_get(u->c[i].rec, "lower", json_type_array);
		for (size_t j = 0; lower && j < json_object_array_length(lower); j++) {
			const char *p = json_object_get_string(json_object_array_get_idx(lower, j));
			char **v;
			if (!p || strncmp(p, prefix, strlen(prefix)) ||
			    !(v = realloc(u->layers, (u->n_layers + 2) * sizeof *v)))
				continue;
			u->layers = v;
			if (asprintf(&v[u->n_layers], "sha256:%s", p + strlen(prefix)) >= 0)
				v[++u->n_layers] = NULL;
		}
	}
}

static void in_use_free(struct in_use *u)
{
	ctr_list_free(u->c, u->n);
	strv_free(u->layers);
}

static const char *user_of(const struct in_use *u, const char *id)
{
	for (size_t i = 0; i < u->n; i++) {
		const char *cid = json_str(u->c[i].rec, "image_id");
		if (cid && !strcmp(cid, id))
			return u->c[i].name;
	}
	return NULL;
}

/* the tags of id; with `only`, just that one (a NAME:TAG the user gave) */
static int untag(const struct store *st, const char *id, const char *only, int *left,
		 struct husk_err *err)
{
	json_object *t = image_tags_read(st);
	char **drop = NULL;
	size_t nd = 0;
	*left = 0;
	json_object_object_foreach(t, k, v) {
		if (!json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), id))
			continue;
		if (only && strcmp(k, only)) {
			(*left)++;
			continue;
		}
		char **p = realloc(drop, (nd + 1) * sizeof *p);
		if (p)
			(drop = p)[nd++] = k;
	}
	for (size_t i = 0; i < nd; i++) {
		printf("Untagged: %s\n", drop[i]);
		json_object_object_del(t, drop[i]);
	}
	free(drop);
	int r = nd ? image_tags_write(st, t, err) : 0;
	json_object_put(t);
	return r;
}

/* the tag as stored, when ref names the image by a tag (not by id) */
static const char *stored_tag(const struct store *st, const char *ref, const char *id, char *buf,
			      size_t len)
{
	json_object *t = image_tags_read(st);
	static const char *const prefixes[] = { "", "localhost/", "docker.io/library/", "docker.io/" };
	const char *found = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes) && !found; i++) {
		char name[600];
		snprintf(name, sizeof name, "%s%s", prefixes[i], ref);
		if (ref_with_tag(name, buf, len))
			continue;
		const char *v = json_str(t, buf);
		if (v && !strcmp(v, id))
			found = buf;
	}
	json_object_put(t);
	return found;
}

static int rmi_one(struct store *st, const struct in_use *u, const char *ref, bool force)
{
	struct husk_err err = { 0 };
	struct image_record r;
	if (store_lock(st, &err) || image_lookup(st, ref, &r, &err)) {
		store_unlock(st);
		return husk_error_print(&err);
	}
	char tagbuf[640];
	const char *tag = stored_tag(st, ref, r.id, tagbuf, sizeof tagbuf);
	const char *user = user_of(u, r.id);
	int left = 0, rc = 0;
	if (user && !force) {
		husk_error(&err, 0, "image %s is in use by container %s (husk rm it first, or husk rmi -f)",
			   ref, user);
	} else if (untag(st, r.id, tag, &left, &err) == 0 && !left) {
		if (image_remove_record(st, r.id, &err) == 0) {
			int64_t freed;
			image_prune(st, u->layers, &freed);
			printf("Deleted: %s\n", r.id);
		}
	}
	if (err.set)
		rc = husk_error_print(&err);
	store_unlock(st);
	image_record_free(&r);
	return rc;
}

static void rmi_usage(FILE *out)
{
	fputs("Usage: husk rmi [-f] IMAGE...\n\n"
	      "Remove images (a NAME:TAG only untags when the image has other tags).\n"
	      "An image that a container uses is refused, unless -f (its layers stay\n"
	      "until that container is removed and husk image prune runs).\n", out);
}

int cmd_rmi(struct husk_global *g, int argc, char **argv)
{
	bool force;
	int r = cli_force_options("rmi", rmi_usage, argc, argv, &force);
	if (r >= 0)
		return r;
	if (optind >= argc) {
		husk_warn("no image named (usage: husk rmi [-f] IMAGE...)");
		return HUSK_EXIT_FAILURE;
	}
	struct store st;
	struct husk_err err = { 0 };
	if (store_open(&st, cli_image_root(g), false, &err))
		return husk_error_print(&err);
	struct in_use u;
	in_use_load(g, &st, &u);
	int rc = 0;
	for (int i = optind; i < argc; i++)
		if (rmi_one(&st, &u, argv[i], force))
			rc = HUSK_EXIT_FAILURE;
	in_use_free(&u);
	return rc;
}

struct prune_args {
	const struct store *st;
	const struct in_use *u;
	json_object *tags;
	int removed;
};

static int prune_dangling(const char *id, void *arg)
{
	struct prune_args *a = arg;
	json_object_object_foreach(a->tags, k, v) {
		(void)k;
		if (json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), id))
			return 0;
	}
	struct husk_err err = { 0 };
	if (!user_of(a->u, id) && image_remove_record(a->st, id, &err) == 0) {
		printf("Deleted: %s\n", id);
		a->removed++;
	}
	return 0;
}

int image_prune_cmd(struct husk_global *g, int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "-f") && strcmp(argv[1], "--force")) {
		puts("Usage: husk image prune\n\nRemove untagged images that no container uses, then the layers no image uses.");
		return strcmp(argv[1], "--help") ? HUSK_EXIT_FAILURE : 0;
	}
	struct store st;
	struct husk_err err = { 0 };
	if (store_open(&st, cli_image_root(g), false, &err))
		return husk_error_print(&err);
	if (!store_exists(&st)) {
		printf("Deleted layers: 0, reclaimed 0B\n");
		return 0;
	}
	struct in_use u;
	in_use_load(g, &st, &u);
	if (store_lock(&st, &err)) {
		in_use_free(&u);
		return husk_error_print(&err);
	}
	/* the writable layers of containers a crash or a reboot left behind */
	char layers[PATH_MAX];
	if (path_fits(layers, sizeof layers, "%s/containers", st.root))
		layer_dir_gc(layers);
	struct prune_args a = { .st = &st, .u = &u, .tags = image_tags_read(&st) };
	image_each(&st, prune_dangling, &a);
	int64_t freed = 0;
	int n = image_prune(&st, u.layers, &freed);
	char size[32];
	format_bytes((double)freed, size, sizeof size);
	printf("Deleted layers: %d, reclaimed %s\n", n, size);
	json_object_put(a.tags);
	store_unlock(&st);
	in_use_free(&u);
	return 0;
}
