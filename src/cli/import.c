/* husk import TARBALL|- NAME[:TAG] */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "image/libs.h"
#include "image/import.h"
#include "image/ref.h"
#include "image/inflate.h"

struct import_args {
	const char *input, *name;
};

static int import_task(struct store *st, void *arg, struct husk_err *err)
{
	const struct import_args *a = arg;
	char id[DIGEST_STR_LEN];
	if (image_import(st, a->input, a->name, id, err))
		return -1;
	printf("%s\n", id);
	return 0;
}

int cmd_import(struct husk_global *g, int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts("Usage: husk import TARBALL|- [NAME[:TAG]]\n\n"
		     "Make a one-layer image of a root filesystem tarball (uncompressed, gzip, xz,\n"
		     "bzip2 or zstd; - reads stdin), as docker import does. Prints the image id.");
		return 0;
	}
	if (argc < 2 || argc > 3) {
		husk_warn("usage: husk import TARBALL|- [NAME[:TAG]]");
		return HUSK_EXIT_FAILURE;
	}
	struct image_ref ref;
	const char *why;
	if (argc == 3 && ref_parse(argv[2], &ref, &why)) {
		husk_warn("invalid image name '%s': %s", argv[2], why);
		return HUSK_EXIT_FAILURE;
	}
	struct husk_err err = { 0 };
	/* the libraries first: a missing one is reported before the store is touched */
	if (gz_mode(&err) < 0 || libs_need(HUSK_LIB_ARCHIVE, &err) ||
	    libs_need(HUSK_LIB_CRYPTO, &err))
		return husk_error_print(&err);
	struct import_args a = { argv[1], argc == 3 ? argv[2] : NULL };
	return cli_store_run(g, import_task, &a);
}
