/* husk ps [-a] [--format table|json]: the containers under the state root. Running
 * ones (and those whose monitor died) by default; -a adds the stopped ones. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "engine/state.h"
#include "util/cleanup.h"

enum { COL_NAME, COL_PID, COL_STATUS, COL_CREATED, COL_COMMAND, COL_ROOTFS, COL_PORTS, NCOLS };
static const char *const headers[NCOLS] = { "NAME", "PID", "STATUS", "CREATED", "COMMAND",
					    "ROOTFS", "PORTS" };

static void ps_usage(FILE *out)
{
	fputs("Usage: husk ps [-a] [--format table|json]\n\n"
	      "List containers: NAME, PID (of PID 1, on the host), STATUS, CREATED, COMMAND,\n"
	      "ROOTFS (or IMAGE), PORTS.\n\n"
	      "  -a, --all        show stopped containers too\n"
	      "      --format F   table (default) or json\n"
	      "      --help       print this help\n",
	      out);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* "0.0.0.0:8080->80/tcp, ..." */
static void ports_text(json_object *ports, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	size_t n = ports && json_object_is_type(ports, json_type_array) ? json_object_array_length(ports) : 0;
	for (size_t i = 0; i < n && off < len; i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		const char *ip = state_get_str(p, "host_ip", "");
		off += (size_t)snprintf(buf + off, len - off, "%s%s:%lld->%lld/%s", off ? ", " : "",
					*ip ? ip : "0.0.0.0", (long long)state_get_int(p, "host_port", 0),
					(long long)state_get_int(p, "container_port", 0),
					state_get_str(p, "protocol", "tcp"));
	}
}

static void command_text(json_object *argv, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	size_t n = argv && json_object_is_type(argv, json_type_array) ? json_object_array_length(argv) : 0;
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "",
					json_object_get_string(json_object_array_get_idx(argv, i)));
	if (strlen(buf) > 40) /* as docker does: the start is enough to tell them apart */
		strcpy(buf + 37, "...");
}

static void row(const struct ctr_record *c, char cells[NCOLS][256])
{
	snprintf(cells[COL_NAME], 256, "%s", c->name);
	if (c->pid > 0 && (c->state == CTR_RUNNING || c->state == CTR_MONITOR_DIED))
		snprintf(cells[COL_PID], 256, "%d", (int)c->pid);
	else
		snprintf(cells[COL_PID], 256, "-");
	ctr_status_text(c, cells[COL_STATUS], 256);
	format_ago(state_get_int(c->rec, "created", 0), cells[COL_CREATED], 256);
	command_text(get(c->rec, "command"), cells[COL_COMMAND], 256);
	/* a container of an image shows the image: its rootfs is an overlay in the state dir */
	snprintf(cells[COL_ROOTFS], 256, "%s",
		 state_get_str(c->rec, "image", state_get_str(c->rec, "rootfs", "-")));
	ports_text(get(get(c->rec, "config"), "ports"), cells[COL_PORTS], 256);
}

static void print_table(const struct ctr_record *v, size_t n, const bool *show)
{
	char (*cells)[NCOLS][256] = calloc(n ? n : 1, sizeof *cells);
	if (!cells)
		return;
	int width[NCOLS];
	for (int k = 0; k < NCOLS; k++)
		width[k] = (int)strlen(headers[k]);
	for (size_t i = 0; i < n; i++) {
		if (!show[i])
			continue;
		row(&v[i], cells[i]);
		for (int k = 0; k < NCOLS; k++)
			if ((int)strlen(cells[i][k]) > width[k])
				width[k] = (int)strlen(cells[i][k]);
	}
	for (int k = 0; k < NCOLS; k++)
		printf("%-*s%s", k < NCOLS - 1 ? width[k] : 0, headers[k], k < NCOLS - 1 ? "   " : "\n");
	for (size_t i = 0; i < n; i++)
		for (int k = 0; show[i] && k < NCOLS; k++)
			printf("%-*s%s", k < NCOLS - 1 ? width[k] : 0, cells[i][k], k < NCOLS - 1 ? "   " : "\n");
	free(cells);
}

static json_object *json_row(const struct ctr_record *c)
{
	json_object *o = json_object_new_object();
	char status[256];
	ctr_status_text(c, status, sizeof status);
	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "pid", json_object_new_int(c->state == CTR_EXITED ? 0 : c->pid));
	json_object_object_add(o, "state", json_object_new_string(ctr_state_name(c->state)));
	json_object_object_add(o, "status", json_object_new_string(status));
	if (c->state == CTR_EXITED || c->state == CTR_RESTARTING)
		json_object_object_add(o, "exit_code",
				       json_object_new_int((int)state_get_int(c->rec, "exit_code", 0)));
	json_object_object_add(o, "created", json_object_new_int64(state_get_int(c->rec, "created", 0)));
	json_object *cmd = get(c->rec, "command");
	json_object_object_add(o, "command", cmd ? json_object_get(cmd) : json_object_new_array());
	json_object_object_add(o, "rootfs", json_object_new_string(state_get_str(c->rec, "rootfs", "")));
	if (get(c->rec, "image"))
		json_object_object_add(o, "image", json_object_new_string(state_get_str(c->rec, "image", "")));
	json_object *ports = get(get(c->rec, "config"), "ports");
	json_object_object_add(o, "ports", ports ? json_object_get(ports) : json_object_new_array());
	return o;
}

static void print_json(const struct ctr_record *v, size_t n, const bool *show)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		if (show[i])
			json_object_array_add(a, json_row(&v[i]));
	if (!json_object_array_length(a))
		puts("[]");
	else
		puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
}

int cmd_ps(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const struct cli_opts cmd = { "ps", "a", opts, ps_usage };
	struct cli_flag_format o = { 0 }; /* flag: -a */
	int r = cli_options(&cmd, argc, argv, cli_flag_or_format, &o);
	if (r >= 0)
		return r;
	bool all = o.flag, json = o.json;
	if (optind < argc) {
		husk_warn("unexpected argument '%s' (see husk ps --help)", argv[optind]);
		return HUSK_EXIT_FAILURE;
	}
	struct ctr_record *v;
	size_t n;
	if (ctr_list(g, &v, &n) < 0) {
		husk_warn("reading %s: %m", cli_root(g));
		return HUSK_EXIT_FAILURE;
	}
	cleanup_free bool *show = calloc(n ? n : 1, sizeof *show);
	for (size_t i = 0; show && i < n; i++)
		show[i] = all || v[i].state != CTR_EXITED;
	if (show && json)
		print_json(v, n, show);
	else if (show)
		print_table(v, n, show);
	ctr_list_free(v, n);
	return 0;
}
