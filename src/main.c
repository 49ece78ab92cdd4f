/* husk: argv -> command. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "oci/secondary.h"
#include "oci/oci.h"
#include "util/error.h"
#include "util/proctitle.h"

static const struct {
	const char *name;
	int (*fn)(struct husk_global *, int, char **);
	const char *help;
} commands[] = {
	{ "run", cmd_run, "Run a command in a new container" },
	{ "ps", cmd_ps, "List containers" },
	{ "logs", cmd_logs, "Print the output of a detached container" },
	{ "stop", cmd_stop, "Stop containers (SIGTERM, then SIGKILL)" },
	{ "kill", cmd_kill, "Send a signal to containers" },
	{ "rm", cmd_rm, "Remove stopped containers" },
	{ "inspect", cmd_inspect, "Show what husk knows of containers, as JSON" },
	{ "exec", cmd_exec, "Run a command in a running container" },
	{ "stats", cmd_stats, "Show containers' resource use, live" },
	{ "check", cmd_check, "Report what this host supports" },
	{ "images", cmd_images, "List the images of the store" },
	{ "load", cmd_load, "Load images from a docker-save or OCI archive (-i FILE or stdin)" },
	{ "pull", cmd_pull, "Pull an image from a registry" },
	{ "import", cmd_import, "Make an image of a root filesystem tarball" },
	{ "rmi", cmd_rmi, "Remove images" },
	{ "tag", cmd_tag, "Give an image another name" },
	{ "image", cmd_image, "Manage images: inspect, prune, ls, rm" },
	{ "spec", cmd_oci_spec, "Write a default OCI config.json (as runc spec)" },
	{ "features", cmd_oci_features, "Print the OCI runtime-spec features husk supports" },
	{ "pause", cmd_oci_pause, "OCI: freeze every process of a container" },
	{ "resume", cmd_oci_resume, "OCI: thaw a paused container" },
	{ "update", cmd_oci_update, "OCI: change a container's cgroup limits" },
	{ "list", cmd_oci_list, "OCI: list the containers under --root" },
	/* the OCI runtime face (runc's command line), over the same engine */
	{ "create", cmd_oci_create, "OCI: create a container from a bundle (waits for start)" },
	{ "start", cmd_oci_start, "OCI: start a created container" },
	{ "state", cmd_oci_state, "OCI: print a container's state as JSON" },
	{ "delete", cmd_oci_delete, "OCI: remove a stopped container" },
};

/* Commands both faces have: the OCI one when its options or its container say so
 * (oci/dispatch.c). */
static const struct {
	const char *name;
	bool (*wants)(const struct husk_global *, int, char **);
	int (*fn)(struct husk_global *, int, char **);
} shared[] = {
	{ "kill", oci_wants_kill, cmd_oci_kill },
	{ "exec", oci_wants_exec, cmd_oci_exec },
	{ "ps", oci_wants_ps, cmd_oci_ps },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: husk [--root DIR] COMMAND [OPTIONS]\n\n"
		     "A small, fast Linux container runtime.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nGlobal options:\n"
		     "  --root DIR   state directory (default /run/husk)\n"
		     "  --log FILE   also write messages to FILE (--log-format text|json)\n"
		     "  --systemd-cgroup  cgroupsPath is slice:prefix:name (OCI face)\n"
		     "  --debug      debug lines in the --log file\n"
		     "  --image-root DIR  image store (default $HUSK_IMAGE_ROOT or /var/lib/husk)\n"
		     "  --version    print the version\n"
		     "  --help       print this help\n\n"
		     "Run 'husk COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	struct husk_global g = { 0 };
	proctitle_init(argc, argv);
	int i = global_parse(argc, argv, &g);
	if (i < 0)
		return HUSK_EXIT_FAILURE;
	if (i == 0) {
		/* --version printed already; --help */
		for (int j = 1; j < argc; j++)
			if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h"))
				usage(stdout);
		return 0;
	}
	if (i >= argc) {
		usage(stderr);
		return HUSK_EXIT_FAILURE;
	}
	for (size_t c = 0; c < sizeof shared / sizeof shared[0]; c++)
		if (!strcmp(argv[i], shared[c].name) && shared[c].wants(&g, argc - i, argv + i))
			return shared[c].fn(&g, argc - i, argv + i);
	for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].fn(&g, argc - i, argv + i);
	husk_warn("unknown command '%s' (see husk --help)", argv[i]);
	return HUSK_EXIT_FAILURE;
}
