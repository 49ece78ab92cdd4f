/* Option handling the container commands share. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/error.h"

bool cli_format(const char *arg, bool *json)
{
	if (strcmp(arg, "json") && strcmp(arg, "table")) {
		husk_warn("invalid --format '%s': expected table or json", arg);
		return false;
	}
	*json = !strcmp(arg, "json");
	return true;
}

int cli_bad_option(const char *cmd, char **argv)
{
	husk_warn("unknown or incomplete option '%s' (see husk %s --help)", argv[optind - 1], cmd);
	return HUSK_EXIT_FAILURE;
}

int cli_options(const struct cli_opts *o, int argc, char **argv,
		int (*on_opt)(int c, const char *arg, void *ctx), void *ctx)
{
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, o->shortopts, o->longopts, NULL)) != -1) {
		if (c == 'h') {
			o->usage(stdout);
			return 0;
		}
		if (c == '?' || c == ':')
			return cli_bad_option(o->cmd, argv);
		int r = on_opt(c, optarg, ctx);
		if (r)
			return r;
	}
	return -1;
}

int cli_flag_or_format(int c, const char *arg, void *ctx)
{
	struct cli_flag_format *o = ctx;
	if (c != 'F') {
		o->flag = true;
		return 0;
	}
	return cli_format(arg, &o->json) ? 0 : HUSK_EXIT_FAILURE;
}

static int set_force(int c, const char *arg, void *ctx)
{
	(void)c, (void)arg; /* -f is the only option */
	*(bool *)ctx = true;
	return 0;
}

int cli_force_options(const char *cmd, void (*usage)(FILE *out), int argc, char **argv,
		      bool *force)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct cli_opts o = { cmd, "+f", opts, usage };
	*force = false;
	return cli_options(&o, argc, argv, set_force, force);
}
