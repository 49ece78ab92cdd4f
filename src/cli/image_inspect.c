/* husk image inspect IMAGE...; husk image ls|rm|prune|inspect dispatch. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "image/images.h"
#include "image/json_util.h"
#include "util/cleanup.h"

static json_object *tags_of(const struct store *st, const char *id)
{
	json_object *a = json_object_new_array();
	json_object *t = image_tags_read(st);
	json_object_object_foreach(t, k, v)
		if (json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), id))
			json_object_array_add(a, json_object_new_string(k));
	json_object_put(t);
	return a;
}

static json_object *inspect_one(const struct store *st, const char *ref, struct husk_err *err)
{
	struct image_record r;
	if (image_lookup(st, ref, &r, err))
		return NULL;
	size_t len;
	cleanup_free char *cfg = store_get_blob(st, r.id, &len, err);
	json_object *config = cfg ? json_parse_buf(cfg, len, "image config", err) : NULL;
	if (!config) {
		image_record_free(&r);
		return NULL;
	}
	json_object *o = json_object_new_object();
	json_object *layers = json_object_new_array();
	for (size_t i = 0; i < r.n_layers; i++)
		json_object_array_add(layers, json_object_new_string(r.layers[i]));
	json_object_object_add(o, "id", json_object_new_string(r.id));
	json_object_object_add(o, "tags", tags_of(st, r.id));
	json_object_object_add(o, "manifest", json_object_new_string(r.manifest));
	json_object_object_add(o, "created", json_object_new_string(r.created));
	json_object_object_add(o, "size", json_object_new_int64(r.size));
	json_object_object_add(o, "layers", layers);
	json_object_object_add(o, "config", config);
	image_record_free(&r);
	return o;
}

static int image_inspect(struct husk_global *g, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		puts("Usage: husk image inspect IMAGE...\n\nShow images' records and configs as JSON.");
		return argc < 2 ? HUSK_EXIT_FAILURE : 0;
	}
	struct store st;
	struct husk_err err = { 0 };
	if (store_open(&st, cli_image_root(g), false, &err))
		return husk_error_print(&err);
	json_object *a = json_object_new_array();
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct husk_err e = { 0 };
		json_object *o = inspect_one(&st, argv[i], &e);
		if (o)
			json_object_array_add(a, o);
		else
			rc = husk_error_print(&e);
	}
	if (json_object_array_length(a))
		printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
	return rc;
}

int cmd_image(struct husk_global *g, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs("Usage: husk image COMMAND\n\n"
		      "  inspect IMAGE...  records and configs as JSON\n"
		      "  prune             remove untagged images no container uses, and the layers\n"
		      "                    no image uses\n"
		      "  ls                husk images\n"
		      "  rm IMAGE...       husk rmi\n"
		      "  load, import, pull  as husk load, husk import, husk pull\n",
		      argc < 2 ? stderr : stdout);
		return argc < 2 ? HUSK_EXIT_FAILURE : 0;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "inspect"))
		return image_inspect(g, argc - 1, argv + 1);
	if (!strcmp(sub, "prune"))
		return image_prune_cmd(g, argc - 1, argv + 1);
	if (!strcmp(sub, "ls") || !strcmp(sub, "list"))
		return cmd_images(g, argc - 1, argv + 1);
	if (!strcmp(sub, "rm"))
		return cmd_rmi(g, argc - 1, argv + 1);
	if (!strcmp(sub, "load"))
		return cmd_load(g, argc - 1, argv + 1);
	if (!strcmp(sub, "pull"))
		return cmd_pull(g, argc - 1, argv + 1);
	if (!strcmp(sub, "import"))
		return cmd_import(g, argc - 1, argv + 1);
	husk_warn("unknown command 'image %s' (see husk image --help)", sub);
	return HUSK_EXIT_FAILURE;
}
