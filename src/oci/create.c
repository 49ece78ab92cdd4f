/* husk create [--bundle DIR] [--pid-file F] [--console-socket S] [--no-pivot]
 * [--no-new-keyring] [--preserve-fds N] ID: the container made from the bundle's
 * config.json, its process waiting before execve (engine/start_gate.h) with every
 * namespace, mount, cgroup and security step done; the pid file written; then husk
 * exits, and the caller (shim, conmon) is the process's parent. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/container.h"
#include "engine/plan.h"
#include "engine/state.h"
#include "linux/userns/rootless.h"
#include "oci/config.h"
#include "oci/oci.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/pidfile.h"

static void create_usage(void)
{
	puts("Usage: husk create [OPTIONS] ID\n\n"
	     "Create a container from an OCI bundle; its process waits for husk start.\n\n"
	     "  -b, --bundle DIR          the bundle (config.json and its root; default .)\n"
	     "      --pid-file FILE       write the process's host pid there\n"
	     "      --console-socket SOCK send the pty master there (process.terminal)\n"
	     "      --no-pivot            chroot instead of pivot_root\n"
	     "      --no-new-keyring      accepted (husk makes no session keyring)\n"
	     "      --preserve-fds N      pass fds 3 .. 3+N-1 on to the process");
}

struct create_opts {
	const char *bundle, *pid_file, *console, *id;
	bool no_pivot;
	int64_t preserve_fds;
};

static int parse_create(int argc, char **argv, struct create_opts *o, struct husk_err *err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' }, { "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "no-pivot", no_argument, NULL, 'P' }, { "no-new-keyring", no_argument, NULL, 'K' },
		{ "preserve-fds", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	opterr = 0;
	optind = 1;
	o->bundle = ".";
	while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': create_usage(); return 1;
		case 'b': o->bundle = optarg; break;
		case 'p': o->pid_file = optarg; break;
		case 'c': o->console = optarg; break;
		case 'P': o->no_pivot = true; break;
		case 'K': break;
		case 'f':
			if (parse_int(optarg, 0, 1 << 20, &o->preserve_fds) < 0)
				return husk_error(err, 0, "invalid --preserve-fds '%s': expected a count", optarg);
			break;
		default:
			return husk_error(err, 0, "create: unknown or incomplete option '%s' (see husk "
					  "create --help)", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return husk_error(err, 0, "create: expected exactly one container ID (usage: husk "
				  "create [OPTIONS] ID)");
	o->id = argv[optind];
	return oci_check_id(o->id, err);
}

static void record_edit(json_object *o, const struct container *c)
{
	const struct husk_spec *s = c->spec;
	char when[64];
	json_object *ann = json_object_new_object(), *cg = NULL;
	log_now_rfc3339(when, sizeof when); /* the OCI state's "created" */
	json_object_object_add(o, "face", json_object_new_string("oci"));
	json_object_object_add(o, "status", json_object_new_string("created"));
	json_object_object_add(o, "bundle", json_object_new_string(s->oci.bundle));
	json_object_object_add(o, "ociVersion", json_object_new_string(s->oci.oci_version));
	json_object_object_add(o, "created_rfc3339", json_object_new_string(when));
	/* start and delete parse config.json again only for hooks of theirs */
	json_object_object_add(o, "poststart_hooks",
			       json_object_new_int((int)s->oci.n_hooks[OCI_HOOK_POSTSTART]));
	json_object_object_add(o, "poststop_hooks",
			       json_object_new_int((int)s->oci.n_hooks[OCI_HOOK_POSTSTOP]));
	for (size_t i = 0; i < s->oci.n_annotations; i++)
		json_object_object_add(ann, s->oci.annotations[i].key,
				       json_object_new_string(s->oci.annotations[i].value));
	json_object_object_add(o, "annotations", ann);
	/* no mount namespace: the root whose new mounts delete takes down (host_mounts.h) */
	if (c->host_mounts.root) {
		json_object *hm = json_object_new_object(), *keep = json_object_new_array();
		json_object_object_add(hm, "root", json_object_new_string(c->host_mounts.root));
		for (size_t i = 0; i < c->host_mounts.n_keep; i++)
			json_object_array_add(keep, json_object_new_int(c->host_mounts.keep[i]));
		json_object_object_add(hm, "keep", keep);
		json_object_object_add(o, "host_mounts", hm);
	}
	/* where the cgroup is, so that delete finds it whatever cgroupsPath said */
	if (json_object_object_get_ex(o, "cgroup", &cg) && cg) {
		json_object_object_add(cg, "rel", json_object_new_string(c->cg.rel));
		json_object_object_add(cg, "own", json_object_new_string(c->cg.own));
	}
}

/* After the process reached its start gate (its record written, with record_edit's
 * fields), before husk lets go of it: the config kept for start/exec/delete, the pid
 * file. A failure undoes the lot. */
static int on_created(const struct container *c, void *arg, struct husk_err *err)
{
	(void)arg;
	const struct husk_spec *s = c->spec;
	char path[400];
	snprintf(path, sizeof path, "%s/config.json", c->state_dir);
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return husk_error(err, errno, "writing %s", path);
	write_all(fd, s->oci.config_text, strlen(s->oci.config_text));
	return s->oci.pid_file ? pid_file_write(s->oci.pid_file, c->pid, err) : 0;
}

static int create(const struct husk_global *g, const struct create_opts *o, struct husk_err *err)
{
	struct husk_spec s;
	struct husk_plan p;
	spec_init(&s);
	plan_init(&p);
	snprintf(s.state_root, sizeof s.state_root, "%s", oci_root(g));
	snprintf(s.name, sizeof s.name, "%s", o->id);
	s.rootless = rootless();
	int r = oci_config_load(o->bundle, &s, err);
	if (!r) {
		s.no_pivot = o->no_pivot;
		s.oci.preserve_fds = (int)o->preserve_fds;
		s.oci.systemd_cgroup = g->systemd_cgroup;
		if ((o->pid_file && !(s.oci.pid_file = strdup(o->pid_file))) ||
		    (o->console && !(s.oci.console_socket = strdup(o->console))))
			r = husk_error(err, ENOMEM, "create");
	}
	if (!r && s.tty && !s.oci.console_socket)
		r = husk_error(err, 0, "process.terminal is true but no --console-socket was given "
			       "(husk create does not stay to relay a terminal)");
	if (!r)
		r = oci_refuse_unsupported(&s, err) || spec_validate(&s, err) ||
		    plan_prepare(&p, &s, err) || container_create_waiting(&s, &p, record_edit, on_created, NULL, err);
	plan_free(&p);
	spec_free(&s);
	return r;
}

int cmd_oci_create(struct husk_global *g, int argc, char **argv)
{
	struct husk_err err = { 0 };
	struct create_opts o = { 0 };
	int r = parse_create(argc, argv, &o, &err);
	if (r > 0)
		return 0;
	if (r < 0 || create(g, &o, &err))
		return oci_fail(&err);
	return 0;
}
