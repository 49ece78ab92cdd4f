/* husk images, husk rmi, husk image inspect|prune|ls|rm: the store's images. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "image/images.h"
#include "image/json_util.h"
#include "image/ref.h"
#include "util/cleanup.h"

struct row {
	char name[512];
	char tag[128];
	struct image_record r;
};

/* "name:tag" -> name, tag (the tag is after the last ':' that follows the last '/') */
static void split_name(const char *full, struct row *w)
{
	snprintf(w->name, sizeof w->name, "%s", full);
	char *slash = strrchr(w->name, '/');
	char *colon = strrchr(slash ? slash : w->name, ':');
	snprintf(w->tag, sizeof w->tag, "%s", colon ? colon + 1 : "<none>");
	if (colon)
		*colon = '\0';
}

struct rows {
	const struct store *st;
	json_object *tags;
	struct row *v;
	size_t n;
};

static int add_row(struct rows *rs, const char *id, const char *name)
{
	struct row *v = realloc(rs->v, (rs->n + 1) * sizeof *v);
	if (!v)
		return -1;
	rs->v = v;
	struct row *w = &v[rs->n];
	memset(w, 0, sizeof *w);
	struct husk_err err = { 0 };
	if (image_record_read(rs->st, id, &w->r, &err))
		return 0; /* a record being written by another husk: skip it */
	if (name)
		split_name(name, w);
	else
		snprintf(w->name, sizeof w->name, "<none>"), snprintf(w->tag, sizeof w->tag, "<none>");
	rs->n++;
	return 0;
}

/* one row per tag; an image without one as <none> */
static int collect(const char *id, void *arg)
{
	struct rows *rs = arg;
	int tagged = 0;
	json_object_object_foreach(rs->tags, k, v) {
		if (json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), id)) {
			tagged = 1;
			if (add_row(rs, id, k))
				return -1;
		}
	}
	return tagged ? 0 : add_row(rs, id, NULL);
}

static int by_added(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->r.added != y->r.added)
		return x->r.added < y->r.added ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void print_table(const struct rows *rs)
{
	printf("%-40s %-12s %-14s %-10s %s\n", "NAME", "TAG", "ID", "SIZE", "CREATED");
	for (size_t i = 0; i < rs->n; i++) {
		const struct row *w = &rs->v[i];
		char size[32], ago[64] = "-";
		format_bytes((double)w->r.size, size, sizeof size);
		struct tm tm = { 0 };
		if (w->r.created[0] && strptime(w->r.created, "%Y-%m-%dT%H:%M:%S", &tm))
			format_ago((int64_t)timegm(&tm), ago, sizeof ago);
		printf("%-40s %-12s %-14.12s %-10s %s\n", w->name, w->tag, digest_hex(w->r.id), size, ago);
	}
}

static void print_json(const struct rows *rs)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < rs->n; i++) {
		const struct row *w = &rs->v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(w->name));
		json_object_object_add(o, "tag", json_object_new_string(w->tag));
		json_object_object_add(o, "id", json_object_new_string(w->r.id));
		json_object_object_add(o, "size", json_object_new_int64(w->r.size));
		json_object_object_add(o, "created", json_object_new_string(w->r.created));
		json_object_object_add(o, "layers", json_object_new_int((int)w->r.n_layers));
		json_object_array_add(a, o);
	}
	printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY));
	json_object_put(a);
}

static int list_images(struct husk_global *g, bool json)
{
	struct store st;
	struct husk_err err = { 0 };
	if (store_open(&st, cli_image_root(g), false, &err))
		return husk_error_print(&err);
	struct rows rs = { .st = &st, .tags = image_tags_read(&st) };
	int r = image_each(&st, collect, &rs);
	if (r == 0) {
		qsort(rs.v, rs.n, sizeof *rs.v, by_added);
		json ? print_json(&rs) : print_table(&rs);
	}
	for (size_t i = 0; i < rs.n; i++)
		image_record_free(&rs.v[i].r);
	free(rs.v);
	json_object_put(rs.tags);
	if (r)
		husk_warn("listing images: out of memory");
	return r ? HUSK_EXIT_FAILURE : 0;
}

int cmd_images(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h') {
			puts("Usage: husk images [--format table|json]\n\n"
			     "List the images of the store: NAME TAG ID SIZE CREATED.");
			return 0;
		}
		if (c != 'f')
			return cli_bad_option("images", argv);
		if (!cli_format(optarg, &json))
			return HUSK_EXIT_FAILURE;
	}
	return list_images(g, json);
}

int cmd_tag(struct husk_global *g, int argc, char **argv)
{
	if (argc != 3 || !strcmp(argv[1], "--help")) {
		puts("Usage: husk tag IMAGE NAME[:TAG]\n\nGive an image another name.");
		return argc == 2 && !strcmp(argv[1], "--help") ? 0 : HUSK_EXIT_FAILURE;
	}
	struct store st;
	struct image_record r;
	struct husk_err err = { 0 };
	struct image_ref ref;
	const char *why;
	char tag[600];
	if (ref_parse(argv[2], &ref, &why) || ref_with_tag(argv[2], tag, sizeof tag)) {
		husk_warn("invalid image name '%s': %s", argv[2], why);
		return HUSK_EXIT_FAILURE;
	}
	if (store_open(&st, cli_image_root(g), false, &err) || store_lock(&st, &err) ||
	    image_lookup(&st, argv[1], &r, &err)) {
		store_unlock(&st);
		return husk_error_print(&err);
	}
	json_object *t = image_tags_read(&st);
	json_object_object_add(t, tag, json_object_new_string(r.id));
	int rc = image_tags_write(&st, t, &err);
	json_object_put(t);
	store_unlock(&st);
	image_record_free(&r);
	return rc ? husk_error_print(&err) : 0;
}
