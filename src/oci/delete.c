/* husk delete [--force] ID: removes a stopped (or created) container: its processes,
 * its cgroup, its state directory; then the poststop hooks. --force kills a running
 * one first and exits 0 when there is no such container (podman always passes it). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>

#include "engine/hooks.h"
#include "engine/state.h"
#include "linux/cgroup/cgroup.h"
#include "linux/cgroup/oci_limits.h"
#include "linux/fs/host_mounts.h"
#include "cli/cli.h"
#include "oci/oci.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/reap.h"

/* SIGKILL to the init; its death ends its PID namespace. Waits (up to 10 s) until it
 * is gone (a zombie for the engine to reap is gone enough). */
static int kill_and_wait(const struct oci_ctr *c, struct husk_err *err)
{
	cleanup_close int pfd = oci_ctr_pidfd(c);
	if (pfd < 0)
		return 0;
	if (pidfd_send_signal(pfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
		return husk_error(err, errno, "delete %s: kill", c->id);
	return wait_pidfds(&pfd, 1, 10000) == 0 ?
		       0 : husk_error(err, ETIMEDOUT, "delete %s: its process did not die", c->id);
}

static void remove_cgroup(const struct oci_ctr *c)
{
	json_object *cg = NULL;
	json_object_object_get_ex(c->rec, "cgroup", &cg);
	const char *rel = state_get_str(cg, "rel", NULL);
	/* the resources are not read again: every controller a cgroupsPath may have used
	 * (an rmdir where none was made finds nothing) */
	if (rel)
		cgroup_remove_at(c->id, rel, state_get_str(cg, "own", ""), oci_limits_any_controller);
}

/* a bundle without a mount namespace: its mounts in the host's, below its root */
static void remove_host_mounts(const struct oci_ctr *c)
{
	json_object *hm = NULL, *keep = NULL;
	if (!json_object_object_get_ex(c->rec, "host_mounts", &hm) || !hm)
		return;
	const char *root = state_get_str(hm, "root", NULL);
	if (!root)
		return;
	json_object_object_get_ex(hm, "keep", &keep);
	size_t n = keep && json_object_is_type(keep, json_type_array) ? json_object_array_length(keep) : 0;
	cleanup_free int *ids = calloc(n ? n : 1, sizeof *ids);
	if (!ids)
		return;
	for (size_t i = 0; i < n; i++)
		ids[i] = json_object_get_int(json_object_array_get_idx(keep, i));
	struct host_mounts m = { .root = (char *)root, .keep = ids, .n_keep = n };
	host_mounts_undo(&m);
}

static int delete_one(const struct husk_global *g, const char *id, bool force)
{
	struct husk_err err = { 0 };
	struct oci_ctr c;
	if (oci_ctr_open(g, id, &c, &err))
		return force && err.errnum == ENOENT ? 0 : oci_fail(&err);
	int r = 0;
	if (!force && (c.status == OCI_RUNNING || c.status == OCI_PAUSED || c.status == OCI_CREATING))
		r = husk_error(&err, 0, "cannot delete container %s that is not stopped: %s "
			       "(husk delete --force kills it)", id, oci_status_name(c.status));
	if (!r && c.status == OCI_PAUSED) {
		char dir[300];
		oci_ctr_cgroup_dir(&c, "freezer", dir, sizeof dir);
		char file[340];
		bool v1 = strstr(dir, "/freezer/") != NULL;
		snprintf(file, sizeof file, "%s/%s", dir, v1 ? "freezer.state" : "cgroup.freeze");
		/* a frozen process cannot die of SIGKILL until it is thawed */
		if (dir[0])
			write_file(file, v1 ? "THAWED" : "0");
	}
	if (!r)
		r = kill_and_wait(&c, &err);
	if (!r) {
		struct husk_spec s;
		struct husk_err herr = { 0 };
		spec_init(&s);
		bool have_spec = oci_ctr_has_hooks(&c, "poststop_hooks") &&
				 oci_ctr_spec(&c, &s, &herr) == 0;
		remove_cgroup(&c);
		remove_host_mounts(&c);
		state_remove(c.dir, -1);
		/* poststop: after the container is gone; a failure is a warning */
		if (have_spec && hooks_run(&s, OCI_HOOK_POSTSTOP, "stopped", 0, &herr))
			husk_warn("warning: %s", herr.msg);
		spec_free(&s);
	}
	oci_ctr_close(&c);
	return r ? oci_fail(&err) : 0;
}

static void delete_usage(FILE *out)
{
	fputs("Usage: husk delete [--force] ID\n\nRemove a stopped container: its cgroup and "
	      "state.\n  -f, --force  kill it first if it runs; a missing container is not an "
	      "error\n", out);
}

int cmd_oci_delete(struct husk_global *g, int argc, char **argv)
{
	bool force;
	int r = cli_force_options("delete", delete_usage, argc, argv, &force);
	if (r >= 0)
		return r;
	if (optind + 1 != argc) {
		struct husk_err err = { 0 };
		husk_error(&err, 0, "delete: expected exactly one container ID (usage: husk delete "
			   "[--force] ID)");
		return oci_fail(&err);
	}
	return delete_one(g, argv[optind], force);
}
