/* The records of the OCI face: reading <root>/<id>/state.json and telling the
 * container's status from the kernel (the init alive, the start gate still closed,
 * the freezer), never from a field a dead process could have left stale. */
#include "oci/oci.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/hooks.h"
#include "engine/start_gate.h"
#include "cli/record.h"
#include "engine/state.h"
#include "oci/config.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/parse.h"

const char *oci_root(const struct husk_global *g)
{
	/* rootless (as under rootless podman, uid 0 of its user namespace): the user's
	 * own runtime dir, as runc's $XDG_RUNTIME_DIR/runc */
	return cli_root(g);
}

int oci_check_id(const char *id, struct husk_err *err)
{
	if (!id || !valid_name(id))
		return husk_error(err, 0, "invalid container ID '%s': use [a-zA-Z0-9][a-zA-Z0-9_.-]*, "
				  "at most 64 bytes", id ? id : "");
	return 0;
}

int oci_fail(struct husk_err *err)
{
	husk_error_print(err);
	return 1;
}

const char *oci_status_name(enum oci_status s)
{
	static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
	return names[s];
}

bool oci_is_oci_record(const struct husk_global *g, const char *id)
{
	if (!id || !valid_name(id))
		return false;
	char dir[320];
	snprintf(dir, sizeof dir, "%s/%s", oci_root(g), id);
	json_object *rec = state_read(dir);
	bool yes = rec && !strcmp(state_get_str(rec, "face", ""), "oci");
	if (rec)
		json_object_put(rec);
	return yes;
}

void oci_ctr_cgroup_dir(const struct oci_ctr *c, const char *controller, char *buf, size_t len)
{
	json_object *cg = NULL, *paths = NULL;
	buf[0] = '\0';
	if (!c->rec || !json_object_object_get_ex(c->rec, "cgroup", &cg))
		return;
	if (!strcmp(state_get_str(cg, "mode", ""), "v2")) {
		snprintf(buf, len, "%s", state_get_str(cg, "path", ""));
		return;
	}
	if (!json_object_object_get_ex(cg, "paths", &paths))
		return;
	json_object_object_foreach(paths, ctrls, v) {
		char list[64], *save = NULL;
		snprintf(list, sizeof list, "%s", ctrls);
		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (!strcmp(t, controller)) {
				snprintf(buf, len, "%s", json_object_get_string(v));
				return;
			}
	}
}

static bool frozen(const struct oci_ctr *c)
{
	char dir[300], path[340], buf[64];
	oci_ctr_cgroup_dir(c, "freezer", dir, sizeof dir);
	if (!dir[0])
		return false;
	json_object *cg = NULL;
	json_object_object_get_ex(c->rec, "cgroup", &cg);
	bool v2 = !strcmp(state_get_str(cg, "mode", ""), "v2");
	snprintf(path, sizeof path, "%s/%s", dir, v2 ? "cgroup.freeze" : "freezer.state");
	if (read_file(path, buf, sizeof buf) < 0)
		return false;
	return v2 ? buf[0] == '1' : !strncmp(buf, "FROZEN", 6) || !strncmp(buf, "FREEZING", 8);
}

static void derive(struct oci_ctr *c)
{
	pid_t pid = (pid_t)state_get_int(c->rec, "pid", 0);
	unsigned long long start = (unsigned long long)state_get_int(c->rec, "pid_start", 0);
	c->pid = 0;
	if (pid > 0 && start && state_pid_start(pid) == start)
		c->pid = pid;
	if (!c->pid)
		c->status = state_owner_alive(c->dir) ? OCI_CREATING : OCI_STOPPED;
	else if (start_gate_closed(c->dir))
		c->status = OCI_CREATED;
	else
		c->status = frozen(c) ? OCI_PAUSED : OCI_RUNNING;
}

int oci_ctr_open(const struct husk_global *g, const char *id, struct oci_ctr *c,
		 struct husk_err *err)
{
	memset(c, 0, sizeof *c);
	if (oci_check_id(id, err))
		return -1;
	snprintf(c->id, sizeof c->id, "%s", id);
	snprintf(c->dir, sizeof c->dir, "%s/%s", oci_root(g), id);
	c->rec = state_read(c->dir);
	if (!c->rec) {
		husk_error(err, 0, "container %s does not exist", id);
		err->errnum = ENOENT;
		return -1;
	}
	derive(c);
	return 0;
}

void oci_ctr_close(struct oci_ctr *c)
{
	if (c->rec)
		json_object_put(c->rec);
	c->rec = NULL;
}

int oci_ctr_pidfd(const struct oci_ctr *c)
{
	return state_pidfd(c->pid, (unsigned long long)state_get_int(c->rec, "pid_start", 0));
}

bool oci_ctr_has_hooks(const struct oci_ctr *c, const char *key)
{
	return state_get_int(c->rec, key, -1) != 0;
}

int oci_ctr_spec(const struct oci_ctr *c, struct husk_spec *s, struct husk_err *err)
{
	char file[400];
	snprintf(file, sizeof file, "%s/config.json", c->dir);
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (oci_read_file(file, "container config", &text, &len, err))
		return -1;
	snprintf(s->name, sizeof s->name, "%s", c->id);
	return oci_config_parse(text, len, file, state_get_str(c->rec, "bundle", "/"), s, err);
}

json_object *oci_ctr_state_json(const struct oci_ctr *c)
{
	json_object *o = json_object_new_object(), *ann = NULL;
	json_object_object_add(o, "ociVersion",
			       json_object_new_string(state_get_str(c->rec, "ociVersion", "1.0.2")));
	json_object_object_add(o, "id", json_object_new_string(c->id));
	json_object_object_add(o, "status", json_object_new_string(oci_status_name(c->status)));
	json_object_object_add(o, "pid", json_object_new_int(c->pid));
	json_object_object_add(o, "bundle", json_object_new_string(state_get_str(c->rec, "bundle", "")));
	json_object_object_add(o, "rootfs", json_object_new_string(state_get_str(c->rec, "rootfs", "")));
	json_object_object_add(o, "created",
			       json_object_new_string(state_get_str(c->rec, "created_rfc3339", "")));
	if (json_object_object_get_ex(c->rec, "annotations", &ann) && ann)
		json_object_object_add(o, "annotations", json_object_get(ann));
	else
		json_object_object_add(o, "annotations", json_object_new_object());
	json_object_object_add(o, "owner", json_object_new_string(""));
	return o;
}
