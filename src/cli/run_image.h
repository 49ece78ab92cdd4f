/* husk run IMAGE: when ROOTFS is not a directory it names an image of the store;
 * its config gives the command, environment, working dir and user, the flags
 * override them as docker's do. */
#pragma once
#include <stdbool.h>

#include "cli/cli.h"
#include "spec.h"

struct run_image_opts {
	const struct husk_global *g; /* its store: cli_image_root(g) */
	char *entrypoint;       /* --entrypoint ("" clears the image's) */
	bool has_entrypoint;
	bool overlay;           /* --overlay: a directory gets a copy-on-write layer too */
	char **cmd;             /* COMMAND [ARG...] from the command line, NULL-terminated */
	bool cmd_given;
};

/* Sets s->lower, argv, env, workdir and user from the image (or, for a directory
 * with --overlay, s->lower only). Runs before spec_validate. */
int run_image_apply(struct husk_spec *s, const struct run_image_opts *o, struct husk_err *err);
