/* husk load [-i FILE] [-q]: images from a docker-save or OCI archive (stdin by default). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/libs.h"
#include "image/load.h"
#include "image/inflate.h"

struct load_args {
	const char *input;
	bool quiet;
};

static void report(const char *id, const char *tag, void *arg)
{
	bool quiet = *(bool *)arg;
	if (quiet)
		printf("%s\n", id);
	else if (tag)
		printf("Loaded image: %s (%s)\n", tag, id);
	else
		printf("Loaded image ID: %s\n", id);
}

static int load_task(struct store *st, void *arg, struct husk_err *err)
{
	struct load_args *a = arg;
	return image_load(st, a->input, report, &a->quiet, err);
}

int cmd_load(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *input = "-";
	bool quiet = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:q", opts, NULL)) != -1) {
		if (c == 'h') {
			puts("Usage: husk load [-i FILE] [-q]\n\n"
			     "Load images from a docker-save archive or an OCI image layout archive\n"
			     "(podman save --format oci-archive, skopeo copy ... oci-archive:), read\n"
			     "from FILE or stdin; the archive and its layers may be uncompressed, gzip\n"
			     "or zstd. Every blob digest and diff_id is checked; an image that fails a\n"
			     "check is not stored.\n\n"
			     "  -i, --input FILE   read FILE instead of stdin\n"
			     "  -q, --quiet        print only the image ids");
			return 0;
		}
		if (c == 'i')
			input = optarg;
		else if (c == 'q')
			quiet = true;
		else
			return cli_bad_option("load", argv);
	}
	if (optind < argc) {
		husk_warn("unexpected argument '%s' (usage: husk load [-i FILE] [-q])", argv[optind]);
		return HUSK_EXIT_FAILURE;
	}
	if (!strcmp(input, "-") && isatty(0)) {
		husk_warn("load: stdin is a terminal: give an archive with -i FILE or on stdin");
		return HUSK_EXIT_FAILURE;
	}
	struct husk_err err = { 0 };
	/* the libraries first: a missing one is reported before the store is touched */
	if (gz_mode(&err) < 0 || libs_need(HUSK_LIB_ARCHIVE, &err) ||
	    libs_need(HUSK_LIB_CRYPTO, &err))
		return husk_error_print(&err);
	struct load_args a = { input, quiet };
	return cli_store_run(g, load_task, &a);
}
