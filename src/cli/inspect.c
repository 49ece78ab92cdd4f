/* husk inspect NAME...: each container's record as JSON (an array, as docker's):
 * its state (status, PID 1, monitor, exit code, OOM kill, times, restarts), its
 * configuration, limits, cgroup paths, network addresses and ports. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "engine/state.h"

static void inspect_usage(FILE *out)
{
	fputs("Usage: husk inspect NAME...\n\n"
	      "Print what husk knows of containers, as a JSON array.\n\n"
	      "      --help   print this help\n",
	      out);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? json_object_get(v) : NULL;
}

static json_object *time_json(json_object *rec, const char *key)
{
	char buf[64];
	int64_t t = state_get_int(rec, key, 0);
	if (t <= 0)
		return NULL;
	format_time(t, buf, sizeof buf);
	return json_object_new_string(buf);
}

static json_object *state_json(const struct ctr_record *c)
{
	json_object *rec = c->rec, *o = json_object_new_object();
	char status[256];
	ctr_status_text(c, status, sizeof status);
	json_object_object_add(o, "status", json_object_new_string(ctr_state_name(c->state)));
	json_object_object_add(o, "description", json_object_new_string(status));
	json_object_object_add(o, "running", json_object_new_boolean(c->state == CTR_RUNNING));
	json_object_object_add(o, "pid", json_object_new_int(c->state == CTR_EXITED ? 0 : c->pid));
	json_object_object_add(o, "monitor_pid", json_object_new_int(c->owner));
	json_object_object_add(o, "detached", json_object_new_boolean(c->detached));
	bool ended = c->state == CTR_EXITED || c->state == CTR_RESTARTING ||
		     json_object_object_get_ex(rec, "exit_code", NULL);
	json_object_object_add(o, "exit_code",
			       ended ? json_object_new_int((int)state_get_int(rec, "exit_code", 0)) : NULL);
	json_object_object_add(o, "oom_killed", json_object_new_boolean(state_get_bool(rec, "oom_killed")));
	json_object_object_add(o, "error", get(rec, "error"));
	json_object_object_add(o, "started_at", time_json(rec, "started_at"));
	json_object_object_add(o, "finished_at", time_json(rec, "finished_at"));
	json_object_object_add(o, "restart_policy", get(rec, "restart_policy"));
	json_object_object_add(o, "restart_count",
			       json_object_new_int((int)state_get_int(rec, "restart_count", 0)));
	return o;
}

static json_object *inspect_one(const struct ctr_record *c)
{
	json_object *rec = c->rec, *o = json_object_new_object();
	json_object *config = NULL;
	json_object_object_get_ex(rec, "config", &config);
	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "created", time_json(rec, "created"));
	json_object_object_add(o, "state", state_json(c));
	json_object_object_add(o, "rootfs", get(rec, "rootfs"));
	if (json_object_object_get_ex(rec, "image", NULL)) {
		json_object_object_add(o, "image", get(rec, "image"));
		json_object_object_add(o, "image_id", get(rec, "image_id"));
		json_object_object_add(o, "lower", get(rec, "lower"));
	}
	json_object_object_add(o, "command", get(rec, "command"));
	json_object_object_add(o, "limits", get(config, "resources"));
	json_object_object_add(o, "cgroup", get(rec, "cgroup"));
	json_object_object_add(o, "network", get(rec, "network"));
	json_object_object_add(o, "log_path", get(rec, "log_path"));
	json_object_object_add(o, "state_dir", json_object_new_string(c->dir));
	json_object_object_add(o, "config", config ? json_object_get(config) : NULL);
	return o;
}

int cmd_inspect(struct husk_global *g, int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		inspect_usage(stdout);
		return 0;
	}
	if (argc > 1 && argv[1][0] == '-') {
		husk_warn("unknown option '%s' (see husk inspect --help)", argv[1]);
		return HUSK_EXIT_FAILURE;
	}
	if (argc < 2) {
		husk_warn("no container named (usage: husk inspect NAME...)");
		return HUSK_EXIT_FAILURE;
	}
	int rc = 0;
	json_object *a = json_object_new_array();
	for (int i = 1; i < argc; i++) {
		struct ctr_record c;
		if (ctr_open(g, argv[i], &c) < 0) {
			rc = 1;
			continue;
		}
		json_object_array_add(a, inspect_one(&c));
		ctr_close(&c);
	}
	if (json_object_array_length(a))
		puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		puts("[]");
	json_object_put(a);
	return rc;
}
