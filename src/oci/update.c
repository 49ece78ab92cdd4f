/* husk update [--resources FILE|-] [--memory SIZE] [--cpu-quota N] ... ID: changes
 * the cgroup limits of a created, running or paused OCI container (docker update,
 * containerd's `update --resources -` with the runtime-spec's linux.resources JSON on
 * stdin). The request (the JSON, then the flags over it) is merged into the
 * linux.resources of the container's kept config.json; the merged config is read
 * and checked as create reads it, its limits are written to the container's cgroup
 * with create's own code, and it is kept for the next update. Nothing is written
 * when the request is invalid. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/state.h"
#include "linux/cgroup/cgroup.h"
#include "linux/cgroup/oci_limits.h"
#include "oci/config.h"
#include "oci/oci.h"
#include "oci/secondary.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/parse.h"

/* flag -> linux.resources path ("memory.limit"); kind: size, int or string */
enum value_kind { V_SIZE, V_INT, V_STR };
static const struct flag_map {
	const char *flag, *section, *key;
	enum value_kind kind;
} flags[] = {
	{ "memory", "memory", "limit", V_SIZE },
	{ "memory-reservation", "memory", "reservation", V_SIZE },
	{ "memory-swap", "memory", "swap", V_SIZE },
	{ "kernel-memory", "memory", "kernel", V_SIZE },
	{ "kernel-memory-tcp", "memory", "kernelTCP", V_SIZE },
	{ "cpu-share", "cpu", "shares", V_INT },
	{ "cpu-quota", "cpu", "quota", V_INT },
	{ "cpu-period", "cpu", "period", V_INT },
	{ "cpu-rt-period", "cpu", "realtimePeriod", V_INT },
	{ "cpu-rt-runtime", "cpu", "realtimeRuntime", V_INT },
	{ "cpuset-cpus", "cpu", "cpus", V_STR },
	{ "cpuset-mems", "cpu", "mems", V_STR },
	{ "pids-limit", "pids", "limit", V_INT },
	{ "blkio-weight", "blockIO", "weight", V_INT },
};

static void update_usage(FILE *out)
{
	fputs("Usage: husk update [--resources FILE|-] [OPTIONS] ID\n\n"
	      "Change the cgroup limits of an OCI container. FILE (- = stdin) holds the\n"
	      "runtime-spec's linux.resources object; the options below override it.\n\n"
	      "  -r, --resources FILE|-      linux.resources JSON\n"
	      "      --memory SIZE           memory.limit (100M, 1g, bytes; -1 = unlimited)\n"
	      "      --memory-reservation SIZE, --memory-swap SIZE, --kernel-memory SIZE,\n"
	      "      --kernel-memory-tcp SIZE\n"
	      "      --cpu-share N, --cpu-quota N, --cpu-period N, --cpu-rt-period N,\n"
	      "      --cpu-rt-runtime N      cpu.shares, .quota, .period, .realtime*\n"
	      "      --cpuset-cpus LIST, --cpuset-mems LIST\n"
	      "      --pids-limit N          pids.limit\n"
	      "      --blkio-weight N        blockIO.weight\n",
	      out);
}

/* "100M" -> bytes; "-1" stays -1 */
static int flag_value(const struct flag_map *f, const char *arg, json_object **out,
		      struct husk_err *err)
{
	int64_t v;
	if (f->kind == V_STR) {
		*out = json_object_new_string(arg);
		return 0;
	}
	if (!strcmp(arg, "-1"))
		v = -1;
	else if (f->kind == V_SIZE ? parse_size(arg, &v) : parse_int(arg, INT64_MIN, INT64_MAX, &v))
		return husk_error(err, 0, "update: invalid --%s '%s'", f->flag, arg);
	*out = json_object_new_int64(v);
	return 0;
}

static void set_path(json_object *res, const char *section, const char *key, json_object *v)
{
	json_object *sec = NULL;
	if (!json_object_object_get_ex(res, section, &sec) || !json_object_is_type(sec, json_type_object)) {
		sec = json_object_new_object();
		json_object_object_add(res, section, sec);
	}
	json_object_object_add(sec, key, v);
}

/* Objects merge member by member; anything else replaces. Takes ownership of src. */
static void merge_into(json_object *dst, json_object *src)
{
	json_object_object_foreach(src, k, v) {
		json_object *d = NULL;
		if (json_object_is_type(v, json_type_object) && json_object_object_get_ex(dst, k, &d) &&
		    json_object_is_type(d, json_type_object))
			merge_into(d, json_object_get(v));
		else
			json_object_object_add(dst, k, json_object_get(v));
	}
	json_object_put(src);
}

/* --resources FILE|- : the JSON object, or NULL after an error */
static json_object *read_request(const char *path, struct husk_err *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (!strcmp(path, "-")) {
		size_t cap = 0;
		ssize_t n;
		do {
			if (len + 4096 > cap) {
				char *t = realloc(text, cap = 2 * cap + 4096);
				if (!t)
					return husk_error(err, ENOMEM, "update: reading stdin"), NULL;
				text = t;
			}
			n = read(0, text + len, cap - len - 1);
			if (n > 0)
				len += (size_t)n;
		} while (n > 0 || (n < 0 && errno == EINTR));
		if (n < 0)
			return husk_error(err, errno, "update: reading stdin"), NULL;
		text[len] = '\0';
	} else if (oci_read_file(path, "--resources", &text, &len, err)) {
		return NULL;
	}
	enum json_tokener_error jerr;
	json_object *o = json_tokener_parse_verbose(text, &jerr);
	if (!o || !json_object_is_type(o, json_type_object)) {
		husk_error(err, 0, "update: --resources %s: %s", path,
			   o ? "expected a JSON object (linux.resources)" : json_tokener_error_desc(jerr));
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* the request: --resources, then the flags over it; NULL after an error */
static json_object *build_request(int argc, char **argv, const char **id, struct husk_err *err)
{
	struct option opts[ARRAY_SIZE(flags) + 3];
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		opts[i] = (struct option){ flags[i].flag, required_argument, NULL, 1000 + (int)i };
	opts[ARRAY_SIZE(flags)] = (struct option){ "resources", required_argument, NULL, 'r' };
	opts[ARRAY_SIZE(flags) + 1] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[ARRAY_SIZE(flags) + 2] = (struct option){ 0 };
	json_object *req = NULL, *over = json_object_new_object();
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
		json_object *v = NULL;
		if (c == 'h') {
			update_usage(stdout);
			exit(0);
		} else if (c == 'r') {
			json_object_put(req);
			if (!(req = read_request(optarg, err)))
				goto fail;
		} else if (c >= 1000 && c < 1000 + (int)ARRAY_SIZE(flags)) {
			const struct flag_map *f = &flags[c - 1000];
			if (flag_value(f, optarg, &v, err))
				goto fail;
			set_path(over, f->section, f->key, v);
		} else {
			husk_error(err, 0, "unknown or incomplete option '%s' (see husk update --help)",
				   argv[optind - 1]);
			goto fail;
		}
	}
	if (optind != argc - 1) {
		husk_error(err, 0, "update: expected exactly one container ID (usage: husk update "
			   "[--resources FILE|-] [OPTIONS] ID)");
		goto fail;
	}
	*id = argv[optind];
	if (!req)
		req = json_object_new_object();
	merge_into(req, over);
	return req;
fail:
	json_object_put(req);
	json_object_put(over);
	return NULL;
}

/* the container's cgroup as create made it (its record's cgroup.rel) */
static int record_cgroup(const struct oci_ctr *c, const struct husk_spec *s, struct cgroup *cg,
			 const char **extra, struct husk_err *err)
{
	json_object *rc = NULL;
	const char *rel = json_object_object_get_ex(c->rec, "cgroup", &rc) ?
			  state_get_str(rc, "rel", NULL) : NULL;
	if (!rel)
		return husk_error(err, 0, "update %s: the container's record names no cgroup", c->id);
	oci_limits_controllers(&s->oci.res, extra);
	if (cgroup_open_at(cg, c->id, rel, extra, err))
		return -1;
	/* v1 refuses a memory limit above memory+swap: lift that first, then both are
	 * written again */
	const char *m = s->res.memory ? cgroup_v1_path(cg, "memory") : NULL;
	char memsw[300];
	if (m && cg->mode != CGROUP_V2) {
		snprintf(memsw, sizeof memsw, "%s/memory.memsw.limit_in_bytes", m);
		if (access(memsw, F_OK) == 0 && write_file(memsw, "-1") < 0)
			return husk_error(err, errno, "update %s: writing -1 to %s", c->id, memsw);
	}
	return 0;
}

/* the merged config: checked as create checks it, applied, kept */
static int apply_config(const struct oci_ctr *c, json_object *cfg, struct husk_err *err)
{
	char file[400], tmp[420];
	snprintf(file, sizeof file, "%s/config.json", c->dir);
	const char *text = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE);
	struct husk_spec s;
	spec_init(&s);
	snprintf(s.name, sizeof s.name, "%s", c->id);
	const char *extra[8] = { NULL };
	struct cgroup cg;
	int r = oci_config_parse(text, strlen(text), file, state_get_str(c->rec, "bundle", "/"), &s, err);
	if (!r)
		r = record_cgroup(c, &s, &cg, extra, err);
	if (!r)
		r = cgroup_set_limits(&cg, &s.res, err);
	if (!r)
		r = oci_limits_apply(&cg, &s.oci.res, err);
	spec_free(&s);
	if (r)
		return -1;
	snprintf(tmp, sizeof tmp, "%s.update-%d", file, (int)getpid());
	FILE *f = fopen(tmp, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, file) < 0) {
		int e = errno;
		unlink(tmp);
		return husk_error(err, e, "update %s: the limits are set, but keeping them in %s failed",
				  c->id, file);
	}
	return 0;
}

int cmd_oci_update(struct husk_global *g, int argc, char **argv)
{
	struct husk_err err = { 0 };
	const char *id = NULL;
	json_object *req = build_request(argc, argv, &id, &err);
	if (!req)
		return oci_fail(&err);
	struct oci_ctr c;
	if (oci_ctr_open(g, id, &c, &err)) {
		json_object_put(req);
		return oci_fail(&err);
	}
	char file[400];
	snprintf(file, sizeof file, "%s/config.json", c.dir);
	json_object *cfg = NULL, *lx = NULL, *res = NULL;
	int r = 0;
	if (c.status == OCI_STOPPED)
		r = husk_error(&err, 0, "update %s: container not running", c.id);
	else if (!(cfg = json_object_from_file(file)))
		r = husk_error(&err, 0, "update %s: cannot read %s", c.id, file);
	if (!r) {
		if (!json_object_object_get_ex(cfg, "linux", &lx) || !json_object_is_type(lx, json_type_object))
			json_object_object_add(cfg, "linux", lx = json_object_new_object());
		if (!json_object_object_get_ex(lx, "resources", &res) ||
		    !json_object_is_type(res, json_type_object))
			json_object_object_add(lx, "resources", res = json_object_new_object());
		merge_into(res, req);
		req = NULL;
		r = apply_config(&c, cfg, &err);
	}
	json_object_put(req);
	json_object_put(cfg);
	oci_ctr_close(&c);
	return r ? oci_fail(&err) : 0;
}
