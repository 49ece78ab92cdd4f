/* husk pull [--insecure] [-q] [REGISTRY/]NAME[:TAG|@DIGEST] */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/libs.h"
#include "image/pull.h"
#include "image/inflate.h"

struct pull_args {
	const char *ref;
	const struct pull_opts *o;
};

static int pull_task(struct store *st, void *arg, struct husk_err *err)
{
	const struct pull_args *a = arg;
	char id[DIGEST_STR_LEN];
	if (image_pull(st, a->ref, a->o, id, err))
		return -1;
	if (a->o->quiet)
		printf("%s\n", id);
	else
		printf("Pulled: %s (%s)\n", a->ref, id);
	return 0;
}

int cmd_pull(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "insecure", no_argument, NULL, 'k' },
		{ "tls-verify", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct pull_opts o = { .progress = isatty(2) };
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		if (c == 'h') {
			puts("Usage: husk pull [--insecure] [-q] [http://][REGISTRY/]NAME[:TAG|@DIGEST]\n\n"
			     "Pull an image over the OCI distribution API (Docker Hub when no registry\n"
			     "is named; anonymous bearer tokens as Docker Hub and ghcr.io hand out); a\n"
			     "multi-arch image gives its linux/amd64 variant. Layers already in the\n"
			     "store are not downloaded again; the others are unpacked as they arrive.\n\n"
			     "      --insecure     do not verify TLS, and use plain http if the registry\n"
			     "                     does not speak TLS (a local registry); http:// too\n"
			     "  -q, --quiet        print only the image id\n\n"
			     "On a terminal, stderr shows the bytes received per layer.");
			return 0;
		}
		if (c == 'k' || (c == 'T' && optarg[0] == 'f'))
			o.insecure = true;
		else if (c == 'q')
			o.quiet = true;
		else if (c != 'T')
			return cli_bad_option("pull", argv);
	}
	if (optind + 1 != argc) {
		husk_warn("usage: husk pull [--insecure] [-q] [REGISTRY/]NAME[:TAG|@DIGEST]");
		return HUSK_EXIT_FAILURE;
	}
	struct husk_err err = { 0 };
	/* the libraries first: a missing one is reported before the store is touched */
	if (gz_mode(&err) < 0 || libs_need(HUSK_LIB_ARCHIVE, &err) ||
	    libs_need(HUSK_LIB_CRYPTO, &err) || libs_need(HUSK_LIB_CURL, &err))
		return husk_error_print(&err);
	struct pull_args a = { argv[optind], &o };
	return cli_store_run(g, pull_task, &a);
}
