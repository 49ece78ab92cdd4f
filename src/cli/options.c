/* Option handling the container commands share. */
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
