/* One function per command; main.c dispatches to them. */
#pragma once

struct husk_global {
	const char *state_root; /* --root, or NULL for the default */
};

int cmd_run(struct husk_global *g, int argc, char **argv);
int cmd_check(struct husk_global *g, int argc, char **argv);
