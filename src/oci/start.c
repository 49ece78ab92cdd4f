/* husk start ID: releases a created container's process (engine/start_gate.h) and
 * returns once it exec'd the user's command; then the poststart hooks. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/hooks.h"
#include "engine/start_gate.h"
#include "engine/state.h"
#include "oci/oci.h"

static void mark_running(json_object *o, void *arg)
{
	(void)arg;
	json_object_object_add(o, "status", json_object_new_string("running"));
	json_object_object_add(o, "started_at", json_object_new_int64((int64_t)time(NULL)));
}

int cmd_oci_start(struct husk_global *g, int argc, char **argv)
{
	struct husk_err err = { 0 };
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts("Usage: husk start ID\n\nStart the process of a created container.");
		return 0;
	}
	if (argc != 2) {
		husk_error(&err, 0, "start: expected exactly one container ID (usage: husk start ID)");
		return oci_fail(&err);
	}
	struct oci_ctr c;
	if (oci_ctr_open(g, argv[1], &c, &err))
		return oci_fail(&err);
	int r = 0;
	if (c.status != OCI_CREATED)
		r = husk_error(&err, 0, "cannot start container %s: it is %s, not created", c.id,
			       oci_status_name(c.status));
	else
		r = start_gate_release(c.dir, c.id, &err);
	if (!r)
		r = state_update(c.dir, mark_running, NULL, &err);
	if (!r && oci_ctr_has_hooks(&c, "poststart_hooks")) {
		struct husk_spec s;
		struct husk_err herr = { 0 };
		spec_init(&s);
		/* a poststart hook that fails is a warning: the container runs on */
		if (oci_ctr_spec(&c, &s, &herr) ||
		    hooks_run(&s, OCI_HOOK_POSTSTART, "running", c.pid, &herr))
			husk_warn("warning: %s", herr.msg);
		spec_free(&s);
	}
	oci_ctr_close(&c);
	return r ? oci_fail(&err) : 0;
}
