/* The global options, before the command. Engines pass runc's set, some twice
 * (docker's runtimeArgs plus go-runc's own): the last copy wins. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "spec.h"
#include "util/error.h"
#include "util/log.h"

/* --name=V, or --name V (then *i moves past V). NULL if argv[*i] is not --name. */
static const char *value_of(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	*missing = false;
	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static bool flag(const char *a, const char *name)
{
	size_t n = strlen(name);
	/* a boolean may come as --debug=true / --debug=false, as Go's flag package allows */
	return !strncmp(a, name, n) && (!a[n] || !strcmp(a + n, "=true"));
}

static int parse_one(int argc, char **argv, int *i, struct husk_global *g, const char **fmt)
{
	const char *a = argv[*i], *v;
	bool missing = false;
	if ((v = value_of(argc, argv, i, "--root", &missing))) {
		g->state_root = v;
		/* struct husk_spec's state_root holds it, and <root>/<name> is sized for it */
		if (strlen(v) >= sizeof ((struct husk_spec *)0)->state_root) {
			husk_warn("invalid --root '%.60s...': longer than %zu bytes", v,
				  sizeof ((struct husk_spec *)0)->state_root - 1);
			return -1;
		}
	}
	else if (!missing && (v = value_of(argc, argv, i, "--image-root", &missing)))
		g->image_root = v;
	else if (!missing && (v = value_of(argc, argv, i, "--log", &missing)))
		g->log = v;
	else if (!missing && (v = value_of(argc, argv, i, "--log-format", &missing)))
		*fmt = v;
	else if (!missing && !strcmp(a, "--rootless") && *i + 1 < argc &&
		 (!strcmp(argv[*i + 1], "true") || !strcmp(argv[*i + 1], "false") ||
		  !strcmp(argv[*i + 1], "auto")))
		++*i; /* runc's --rootless VALUE: ignored, husk needs root today */
	else if (!missing && (!strncmp(a, "--rootless=", 11) || !strcmp(a, "--rootless")))
		;
	else if (!missing && (flag(a, "--no-subreaper") || !strcmp(a, "--no-subreaper=false")))
		;
	else if (!missing && (flag(a, "--debug") || !strcmp(a, "--debug=false")))
		g->debug = !strcmp(a, "--debug=false") ? false : true;
	else if (!missing && (flag(a, "--systemd-cgroup") || !strcmp(a, "--systemd-cgroup=false")))
		g->systemd_cgroup = strcmp(a, "--systemd-cgroup=false") != 0;
	else {
		husk_warn(missing ? "option '%s' needs a value (see husk --help)"
				  : "unknown option '%s' (see husk --help)", a);
		return -1;
	}
	return 0;
}

int global_parse(int argc, char **argv, struct husk_global *g)
{
	const char *fmt = "text";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
			printf("husk version %s\nspec: 1.2.0\n", HUSK_VERSION);
			return 0;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 0;
		if (parse_one(argc, argv, &i, g, &fmt))
			return -1;
	}
	if (strcmp(fmt, "text") && strcmp(fmt, "json")) {
		husk_warn("invalid --log-format '%s': expected text or json", fmt);
		return -1;
	}
	g->log_json = !strcmp(fmt, "json");
	/* the log exists before anything else can fail (containerd opens it afterwards) */
	if (g->log && log_open(g->log, g->log_json) < 0) {
		husk_warn("invalid --log '%s': %m", g->log);
		return -1;
	}
	log_set_debug(g->debug);
	return i;
}
