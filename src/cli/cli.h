/* One function per command; main.c dispatches to them. */
#pragma once
#include <stdbool.h>

struct husk_global {
	const char *state_root; /* --root, or NULL for the default */
};

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

/* --format ARG: table or json into *json; false, after one line naming ARG, if
 * neither. */
bool cli_format(const char *arg, bool *json);
/* After getopt_long returned '?' or ':': one line naming the option, and the exit
 * status for it. */
int cli_bad_option(const char *cmd, char **argv);
