/* husk list [--format table|json] [-q]: the OCI containers under --root, as runc
 * list prints them: a table (ID PID STATUS BUNDLE CREATED OWNER), their state objects
 * as one JSON array, or only their ids. Records of husk run's containers (the
 * docker-like face, same root under podman) are not OCI containers: not listed. */
#include <dirent.h>
#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/state.h"
#include "oci/oci.h"
#include "oci/secondary.h"
#include "util/cleanup.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the ids of the root's OCI records, sorted; *n of them */
static char **list_ids(const struct husk_global *g, size_t *n)
{
	char **ids = NULL;
	size_t cap = 0;
	*n = 0;
	DIR *d = opendir(oci_root(g));
	if (!d)
		return NULL;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.' || !oci_is_oci_record(g, e->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			char **v = realloc(ids, cap * sizeof *v);
			if (!v)
				break;
			ids = v;
		}
		if (!(ids[*n] = strdup(e->d_name)))
			break;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(ids, *n, sizeof *ids, cmp_str);
	return ids;
}

static void owner_name(const char *dir, char *buf, size_t len)
{
	struct stat st;
	struct passwd *pw;
	if (stat(dir, &st) < 0)
		snprintf(buf, len, "?");
	else if ((pw = getpwuid(st.st_uid)))
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "#%u", (unsigned)st.st_uid);
}

static void print_row(const struct oci_ctr *c, json_object *st)
{
	char owner[64];
	json_object *v = NULL;
	owner_name(c->dir, owner, sizeof owner);
	json_object_object_get_ex(st, "created", &v);
	printf("%-12s %-8d %-10s %-40s %-30s %s\n", c->id, (int)c->pid, oci_status_name(c->status),
	       state_get_str(c->rec, "bundle", ""), v ? json_object_get_string(v) : "", owner);
}

static int list_print(const struct husk_global *g, bool json, bool quiet)
{
	size_t n = 0;
	char **ids = list_ids(g, &n);
	json_object *arr = json ? json_object_new_array() : NULL;
	if (!json && !quiet)
		printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
		       "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct husk_err err = { 0 };
		struct oci_ctr c;
		if (oci_ctr_open(g, ids[i], &c, &err) == 0) { /* one deleted meanwhile is skipped */
			json_object *st = oci_ctr_state_json(&c);
			if (quiet)
				puts(c.id);
			else if (json)
				json_object_array_add(arr, json_object_get(st));
			else
				print_row(&c, st);
			json_object_put(st);
			oci_ctr_close(&c);
		}
		free(ids[i]);
	}
	free(ids);
	if (json) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	return 0;
}

int cmd_oci_list(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, quiet = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
		if (c == 'h') {
			puts("Usage: husk list [--format table|json] [-q]\n\n"
			     "The OCI containers under --root (ID PID STATUS BUNDLE CREATED OWNER),\n"
			     "their state objects as a JSON array, or (-q) only their ids.");
			return 0;
		} else if (c == 'q') {
			quiet = true;
		} else if (c != 'f') {
			return cli_bad_option("list", argv);
		} else if (!cli_format(optarg, &json)) {
			return HUSK_EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		husk_warn("list: unexpected argument '%s' (usage: husk list [--format table|json] [-q])",
			  argv[optind]);
		return HUSK_EXIT_FAILURE;
	}
	return list_print(g, json, quiet);
}
