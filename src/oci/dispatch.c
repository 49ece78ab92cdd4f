/* kill, exec and ps exist in both faces. podman passes no --root, so its containers
 * sit in /run/husk beside husk run's: the record says which face made a container,
 * and the options only one face has decide the rest. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/record.h"

#include "oci/oci.h"

/* The first argument that is not an option (skipping the values of those in
 * with_value), or NULL. */
static const char *first_positional(int argc, char **argv, const char *const *with_value)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-' || !a[1])
			return a;
		for (size_t k = 0; with_value[k]; k++)
			if (!strcmp(a, with_value[k]) && i + 1 < argc) {
				i++;
				break;
			}
	}
	return NULL;
}

static bool has_option(int argc, char **argv, const char *const *names)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		for (size_t k = 0; names[k]; k++) {
			size_t n = strlen(names[k]);
			if (!strncmp(argv[i], names[k], n) && (!argv[i][n] || argv[i][n] == '='))
				return true;
		}
		if (argv[i][0] != '-')
			return false; /* options end at the container's name */
	}
	return false;
}

/* the runc form `kill ID SIGNAL`: two words, the second a signal and no container */
static bool id_then_signal(const struct husk_global *g, int argc, char **argv)
{
	const char *pos[3];
	int n = 0;
	for (int i = 1; i < argc && n < 3; i++)
		if (argv[i][0] != '-')
			pos[n++] = argv[i];
	if (n != 2 || parse_signal(pos[1]) <= 0)
		return false;
	char dir[400];
	snprintf(dir, sizeof dir, "%s/%s", oci_root(g), pos[1]);
	return access(dir, F_OK) < 0;
}

bool oci_wants_kill(const struct husk_global *g, int argc, char **argv)
{
	static const char *const oci_only[] = { "--all", "-a", NULL };
	static const char *const with_value[] = { "-s", "--signal", NULL };
	if (has_option(argc, argv, oci_only))
		return true;
	if (oci_is_oci_record(g, first_positional(argc, argv, with_value)))
		return true;
	return !has_option(argc, argv, with_value) && id_then_signal(g, argc, argv);
}

bool oci_wants_exec(const struct husk_global *g, int argc, char **argv)
{
	static const char *const oci_only[] = {
		"--process", "-p", "--detach", "-d", "--pid-file", "--console-socket",
		"--preserve-fds", "--cap", "-c", "--no-new-privs", "--cwd", "--process-label",
		"--apparmor", NULL,
	};
	static const char *const with_value[] = { "-e", "--env", "-w", "--workdir", "-u",
						  "--user", NULL };
	if (has_option(argc, argv, oci_only))
		return true;
	return oci_is_oci_record(g, first_positional(argc, argv, with_value));
}

bool oci_wants_ps(const struct husk_global *g, int argc, char **argv)
{
	static const char *const with_value[] = { "-f", "--format", "--filter", NULL };
	(void)g;
	/* docker-like `husk ps` names no container; the OCI `ps ID` does */
	return first_positional(argc, argv, with_value) != NULL;
}
