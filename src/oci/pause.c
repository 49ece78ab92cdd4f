/* husk pause ID / husk resume ID: freeze and thaw every process of an OCI container
 * (docker pause, ctr task pause). v1: the freezer controller's freezer.state (FROZEN,
 * THAWED); v2: cgroup.freeze, done when cgroup.events says "frozen 1" (or 0). Both
 * return once the kernel reports the change complete, so `state` says paused (or
 * running) as soon as the command returns; state reads the same files. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/state.h"
#include "oci/oci.h"
#include "oci/secondary.h"
#include "util/fs.h"

#define FREEZE_TIMEOUT_MS 5000

static bool record_is_v2(const struct oci_ctr *c)
{
	json_object *cg = NULL;
	return json_object_object_get_ex(c->rec, "cgroup", &cg) &&
	       !strcmp(state_get_str(cg, "mode", ""), "v2");
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Is the change complete? v1 reads freezer.state, v2 the "frozen" line of cgroup.events. */
static bool freeze_done(const char *dir, bool v2, bool freeze)
{
	char path[340], buf[512];
	snprintf(path, sizeof path, "%s/%s", dir, v2 ? "cgroup.events" : "freezer.state");
	if (read_file(path, buf, sizeof buf) < 0)
		return false;
	if (!v2)
		return !strncmp(buf, freeze ? "FROZEN" : "THAWED", 6);
	const char *f = strstr(buf, "frozen ");
	return f && f[7] == (freeze ? '1' : '0');
}

static int set_frozen(const struct oci_ctr *c, bool freeze, struct husk_err *err)
{
	const char *what = freeze ? "pause" : "resume";
	char dir[300];
	bool v2 = record_is_v2(c);
	oci_ctr_cgroup_dir(c, "freezer", dir, sizeof dir);
	if (!dir[0])
		return husk_error(err, 0, "%s %s: the container has no freezer cgroup", what, c->id);
	char path[340];
	snprintf(path, sizeof path, "%s/%s", dir, v2 ? "cgroup.freeze" : "freezer.state");
	const char *val = v2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED");
	for (long waited = 0, step = 1; waited < FREEZE_TIMEOUT_MS; waited += step) {
		/* v1 may stay FREEZING while a task is busy in the kernel: write again */
		if (write_file(path, val) < 0)
			return husk_error(err, errno, "%s %s: cannot write %s to %s", what, c->id, val, path);
		if (freeze_done(dir, v2, freeze))
			return 0;
		sleep_ms(step);
		step = step < 64 ? 2 * step : 100;
	}
	if (freeze) /* do not leave it half frozen */
		write_file(path, v2 ? "0" : "THAWED");
	return husk_error(err, 0, "%s %s: the kernel did not finish in %d ms (%s)", what, c->id,
			  FREEZE_TIMEOUT_MS, dir);
}

static int freeze_cmd(struct husk_global *g, int argc, char **argv, bool freeze)
{
	const char *what = freeze ? "pause" : "resume";
	struct husk_err err = { 0 };
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: husk %s ID\n\n%s every process of a container (the cgroup freezer).\n",
		       what, freeze ? "Freeze" : "Thaw");
		return 0;
	}
	if (argc != 2) {
		husk_error(&err, 0, "%s: expected exactly one container ID (usage: husk %s ID)", what, what);
		return oci_fail(&err);
	}
	struct oci_ctr c;
	if (oci_ctr_open(g, argv[1], &c, &err))
		return oci_fail(&err);
	int r = 0;
	if (freeze && c.status != OCI_RUNNING && c.status != OCI_CREATED)
		r = husk_error(&err, 0, "pause %s: container not running (it is %s)", c.id,
			       oci_status_name(c.status));
	else if (!freeze && c.status != OCI_PAUSED)
		r = husk_error(&err, 0, "resume %s: container not paused (it is %s)", c.id,
			       oci_status_name(c.status));
	else
		r = set_frozen(&c, freeze, &err);
	oci_ctr_close(&c);
	return r ? oci_fail(&err) : 0;
}

int cmd_oci_pause(struct husk_global *g, int argc, char **argv)
{
	return freeze_cmd(g, argc, argv, true);
}

int cmd_oci_resume(struct husk_global *g, int argc, char **argv)
{
	return freeze_cmd(g, argc, argv, false);
}
