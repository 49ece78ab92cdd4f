/* One function per command; main.c dispatches to them. */
#pragma once

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
