/* One function per command; main.c dispatches to them. */
#pragma once
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

struct husk_global {
	const char *state_root; /* --root, or NULL for the default */
	const char *log;        /* --log FILE (runc's): messages also go there */
	bool log_json;          /* --log-format json */
	bool debug;             /* --debug */
	bool systemd_cgroup;    /* --systemd-cgroup: cgroupsPath is slice:prefix:name */
	const char *image_root; /* --image-root, or NULL (cli_image_root decides) */
};

/* The global options before the command (runc's set: --root, --log, --log-format,
 * --debug, --systemd-cgroup; --rootless and --no-subreaper accepted and ignored);
 * `--x=v` and `--x v`, the last copy wins. Returns the index of the command, 0 after
 * --help/--version (printed), or -1 after one line naming a bad option. */
int global_parse(int argc, char **argv, struct husk_global *g);

int cmd_run(struct husk_global *g, int argc, char **argv);
int cmd_check(struct husk_global *g, int argc, char **argv);
int cmd_ps(struct husk_global *g, int argc, char **argv);
int cmd_logs(struct husk_global *g, int argc, char **argv);
int cmd_stop(struct husk_global *g, int argc, char **argv);
int cmd_kill(struct husk_global *g, int argc, char **argv);
int cmd_rm(struct husk_global *g, int argc, char **argv);
int cmd_inspect(struct husk_global *g, int argc, char **argv);
int cmd_exec(struct husk_global *g, int argc, char **argv);
int cmd_stats(struct husk_global *g, int argc, char **argv);
/* images: cli/images.c, cli/image_get.c */
int cmd_images(struct husk_global *g, int argc, char **argv);
int cmd_rmi(struct husk_global *g, int argc, char **argv);
int cmd_tag(struct husk_global *g, int argc, char **argv);
int cmd_image(struct husk_global *g, int argc, char **argv);
int image_prune_cmd(struct husk_global *g, int argc, char **argv);
int cmd_import(struct husk_global *g, int argc, char **argv);
int cmd_load(struct husk_global *g, int argc, char **argv);
int cmd_pull(struct husk_global *g, int argc, char **argv);

/* The image store's root (cli/image_store.c): --image-root, else $HUSK_IMAGE_ROOT,
 * else /var/lib/husk for root and ~/.local/share/husk for a rootless husk
 * (linux/userns/rootless.h). Exits 125 after one line when that does not fit. */
const char *cli_image_root(const struct husk_global *g);
struct store;
struct husk_err;
/* What an image command does to the store, opened (and made) for it. */
typedef int (*cli_store_fn)(struct store *st, void *arg, struct husk_err *err);
/* Opens the store and runs fn on it; for a rootless husk in a child in a user
 * namespace of the user's subid maps (its output and errors are its own). The
 * command's exit status. */
int cli_store_run(const struct husk_global *g, cli_store_fn fn, void *arg);

/* --format ARG: table or json into *json; false, after one line naming ARG, if
 * neither. */
bool cli_format(const char *arg, bool *json);
/* After getopt_long returned '?' or ':': one line naming the option, and the exit
 * status for it. */
int cli_bad_option(const char *cmd, char **argv);

/* The options of ps and stats: one flag (any option but --format) and --format. */
struct cli_flag_format {
	bool flag, json;
};
/* An on_opt for cli_options() with a struct cli_flag_format as ctx. */
int cli_flag_or_format(int c, const char *arg, void *ctx);

/* A container command's options, for cli_options(). */
struct cli_opts {
	const char *cmd;              /* "ps", for the unknown-option line */
	const char *shortopts;        /* getopt_long's ("+" first: stop at the first operand) */
	const struct option *longopts; /* with { "help", no_argument, NULL, 'h' } */
	void (*usage)(FILE *out);
};
/* The option loop: getopt_long over argv from its start (opterr off); --help prints
 * the usage on stdout; an unknown or incomplete option gets cli_bad_option's line;
 * every other option goes to on_opt(c, optarg, ctx), which returns 0 or, after one
 * line saying why, an exit status. Returns -1 once the options are read (operands
 * from optind on), else the exit status for the command (0 after --help). */
int cli_options(const struct cli_opts *o, int argc, char **argv,
		int (*on_opt)(int c, const char *arg, void *ctx), void *ctx);
/* The options of a command whose only one is -f/--force (rm, rmi, delete): cli_options
 * with --help printing usage. */
int cli_force_options(const char *cmd, void (*usage)(FILE *out), int argc, char **argv,
		      bool *force);
