/* config.json "process": args, env, cwd, user, terminal, capabilities, rlimits,
 * noNewPrivileges, oomScoreAdj, the LSM labels. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "oci/config.h"
#include "oci/config_internal.h"
#include "util/cleanup.h"

/* KEY=VALUE as given (the runtime-spec puts no rule on names); a repeated KEY
 * replaces the earlier one, as execve's consumers expect one value per key. */
static int put_env(struct cfg *c, const char *kv, size_t i)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return cfg_bad(c, "process.env", "element %zu '%s' is not KEY=VALUE", i, kv);
	char *copy = cfg_strdup(c, kv);
	if (!copy)
		return -1;
	struct husk_spec *s = c->s;
	size_t klen = (size_t)(eq - kv) + 1;
	for (size_t j = 0; j < s->n_env; j++)
		if (!strncmp(s->env[j], kv, klen)) {
			free(s->env[j]);
			s->env[j] = copy;
			return 0;
		}
	char **n = realloc(s->env, (s->n_env + 2) * sizeof *n);
	if (!n) {
		free(copy);
		return husk_error(c->err, ENOMEM, "process.env");
	}
	s->env = n;
	s->env[s->n_env++] = copy;
	s->env[s->n_env] = NULL;
	return 0;
}

static int process_args(struct cfg *c, json_object *p)
{
	cleanup_free char **env = NULL;
	size_t n_env = 0, n_args = 0;
	if (cfg_strv(c, p, "args", "process.args", &c->o->args, &n_args))
		return -1;
	if (!c->o->args || !n_args)
		return cfg_bad(c, "process.args", "missing or empty (the command to run)");
	if (!c->o->args[0][0])
		return cfg_bad(c, "process.args", "the command (element 0) is empty");
	free(c->s->argv);
	c->s->argv = malloc((n_args + 1) * sizeof *c->s->argv);
	if (!c->s->argv)
		return husk_error(c->err, ENOMEM, "process.args");
	memcpy(c->s->argv, c->o->args, (n_args + 1) * sizeof *c->s->argv);

	if (cfg_strv(c, p, "env", "process.env", &env, &n_env))
		return -1;
	int r = 0;
	for (size_t i = 0; i < n_env; i++) {
		if (!r)
			r = put_env(c, env[i], i);
		free(env[i]);
	}
	if (r)
		return -1;
	if (cfg_string(c, p, "cwd", "process.cwd", &c->s->workdir))
		return -1;
	if (!c->s->workdir)
		return cfg_bad(c, "process.cwd", "missing");
	if (c->s->workdir[0] != '/')
		return cfg_bad(c, "process.cwd", "'%s' is not an absolute path", c->s->workdir);
	return 0;
}

static int process_user(struct cfg *c, json_object *p)
{
	json_object *u, *gids;
	size_t n;
	int64_t v = -1;
	if (cfg_object(c, p, "user", "process.user", &u))
		return -1;
	if (cfg_int(c, u, "uid", "process.user.uid", 0, UINT32_MAX - 1, &v))
		return -1;
	c->o->uid = v < 0 ? 0 : (uint32_t)v;
	v = -1;
	if (cfg_int(c, u, "gid", "process.user.gid", 0, UINT32_MAX - 1, &v))
		return -1;
	c->o->gid = v < 0 ? 0 : (uint32_t)v;
	v = -1;
	if (cfg_int(c, u, "umask", "process.user.umask", 0, 0777, &v))
		return -1;
	c->o->has_umask = v >= 0;
	c->o->umask = v >= 0 ? (mode_t)v : 022;
	if (cfg_array(c, u, "additionalGids", "process.user.additionalGids", &gids, &n))
		return -1;
	free(c->o->additional_gids);
	c->o->additional_gids = calloc(n ? n : 1, sizeof(gid_t));
	if (!c->o->additional_gids)
		return husk_error(c->err, ENOMEM, "process.user");
	c->o->n_additional_gids = n;
	for (size_t i = 0; i < n; i++) {
		json_object *g = json_object_array_get_idx(gids, i);
		if (!cfg_is(g, json_type_int) || json_object_get_int64(g) < 0 ||
		    json_object_get_int64(g) >= UINT32_MAX)
			return cfg_bad(c, "process.user.additionalGids", "element %zu is not a gid", i);
		c->o->additional_gids[i] = (gid_t)json_object_get_int64(g);
	}
	return 0;
}

/* "CAP_NET_ADMIN" -> its number through libcap's table (no host lookup) */
static int cap_number(const char *name)
{
	char lower[64];
	size_t i = 0;
	for (; name[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	lower[i] = '\0';
	cap_value_t v;
	if (name[i] || strncmp(lower, "cap_", 4) || cap_from_name(lower, &v) < 0 || v < 0 || v > 63)
		return -1;
	return v;
}

static int process_caps(struct cfg *c, json_object *p)
{
	static const char *const sets[OCI_CAP_SETS] = {
		[OCI_CAP_BOUNDING] = "bounding", [OCI_CAP_EFFECTIVE] = "effective",
		[OCI_CAP_INHERITABLE] = "inheritable", [OCI_CAP_PERMITTED] = "permitted",
		[OCI_CAP_AMBIENT] = "ambient",
	};
	json_object *caps;
	if (cfg_object(c, p, "capabilities", "process.capabilities", &caps))
		return -1;
	/* no capabilities object: the process gets none (the spec's default) */
	c->o->has_caps = true;
	memset(c->o->caps, 0, sizeof c->o->caps);
	for (int k = 0; caps && k < OCI_CAP_SETS; k++) {
		char key[64];
		snprintf(key, sizeof key, "process.capabilities.%s", sets[k]);
		char **names = NULL;
		int r = cfg_strv(c, caps, sets[k], key, &names, NULL);
		for (size_t i = 0; !r && names && names[i]; i++) {
			int n = cap_number(names[i]);
			/* as runc and crun: an engine may know capabilities this husk does not
			 * (docker --privileged lists all of its own) */
			if (n < 0)
				husk_warn("warning: %s: unknown capability '%s' ignored", key, names[i]);
			else
				c->o->caps[k] |= UINT64_C(1) << n;
		}
		for (size_t i = 0; names && names[i]; i++)
			free(names[i]);
		free(names);
		if (r)
			return -1;
	}
	return 0;
}

static int rlimit_number(const char *name)
{
	static const struct { const char *name; int res; } names[] = {
		{ "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_CORE", RLIMIT_CORE },
		{ "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_DATA", RLIMIT_DATA },
		{ "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_LOCKS", RLIMIT_LOCKS },
		{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
		{ "RLIMIT_NICE", RLIMIT_NICE },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
		{ "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_RSS", RLIMIT_RSS },
		{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
		{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i].name))
			return names[i].res;
	return -1;
}

static int process_rlimits(struct cfg *c, json_object *p)
{
	json_object *a;
	size_t n;
	if (cfg_array(c, p, "rlimits", "process.rlimits", &a, &n))
		return -1;
	free(c->o->rlimits);
	c->o->rlimits = calloc(n ? n : 1, sizeof *c->o->rlimits);
	if (!c->o->rlimits)
		return husk_error(c->err, ENOMEM, "process.rlimits");
	c->o->n_rlimits = n;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		char key[64];
		snprintf(key, sizeof key, "process.rlimits[%zu]", i);
		cleanup_free char *type = NULL;
		struct oci_rlimit *r = &c->o->rlimits[i];
		if (!cfg_is(e, json_type_object))
			return cfg_bad(c, key, "expected an object");
		if (cfg_string(c, e, "type", key, &type) ||
		    cfg_uint(c, e, "soft", key, &r->soft) || cfg_uint(c, e, "hard", key, &r->hard))
			return -1;
		if (!type || (r->resource = rlimit_number(type)) < 0)
			return cfg_bad(c, key, "unknown type '%s'", type ? type : "(missing)");
		for (size_t j = 0; j < i; j++)
			if (c->o->rlimits[j].resource == r->resource)
				return cfg_bad(c, key, "%s is given twice", type);
	}
	return 0;
}

int cfg_process(struct cfg *c, json_object *p)
{
	json_object *size;
	int64_t v = 0;
	if (process_args(c, p) || process_user(c, p) || process_caps(c, p) || process_rlimits(c, p) ||
	    cfg_bool(c, p, "terminal", "process.terminal", &c->s->tty) ||
	    cfg_bool(c, p, "noNewPrivileges", "process.noNewPrivileges", &c->s->sec.no_new_privs) ||
	    cfg_string(c, p, "apparmorProfile", "process.apparmorProfile", &c->o->apparmor_profile) ||
	    cfg_string(c, p, "selinuxLabel", "process.selinuxLabel", &c->o->selinux_label) ||
	    cfg_object(c, p, "consoleSize", "process.consoleSize", &size))
		return -1;
	/* the engine's stdin is the container's: never husk's /dev/null */
	c->s->interactive = true;
	if (cfg_get(p, "oomScoreAdj")) {
		if (cfg_int(c, p, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &v))
			return -1;
		c->o->has_oom_score_adj = true;
		c->o->oom_score_adj = (int)v;
	}
	if (size) {
		int64_t h = 0, w = 0;
		if (cfg_int(c, size, "height", "process.consoleSize.height", 0, 65535, &h) ||
		    cfg_int(c, size, "width", "process.consoleSize.width", 0, 65535, &w))
			return -1;
		c->o->console_height = (unsigned)h;
		c->o->console_width = (unsigned)w;
	}
	return 0;
}

int oci_process_replace(struct husk_spec *s, const char *text, size_t len, const char *file,
			struct husk_err *err)
{
	struct husk_oci *o = &s->oci;
	for (size_t i = 0; i < s->n_env; i++)
		free(s->env[i]);
	free(s->env);
	s->env = NULL;
	s->n_env = 0;
	free(o->rlimits);
	o->rlimits = NULL;
	o->n_rlimits = 0;
	free(o->additional_gids);
	o->additional_gids = NULL;
	o->n_additional_gids = 0;
	o->has_umask = o->has_oom_score_adj = false;
	o->uid = o->gid = 0;
	o->console_height = o->console_width = 0;
	s->tty = s->sec.no_new_privs = false;
	return oci_process_parse(text, len, file, s, err);
}

void oci_process_set_args(struct husk_spec *s, char **args, size_t n)
{
	for (size_t i = 0; s->oci.args && s->oci.args[i]; i++)
		free(s->oci.args[i]);
	free(s->oci.args);
	s->oci.args = args;
	free(s->argv);
	s->argv = malloc((n + 1) * sizeof *s->argv);
	if (s->argv)
		memcpy(s->argv, args, (n + 1) * sizeof *s->argv);
}

int oci_process_put_env(struct husk_spec *s, const char *kv, struct husk_err *err)
{
	struct cfg c = { .file = "--env", .s = s, .o = &s->oci, .err = err };
	return put_env(&c, kv, 0);
}

int oci_process_set_cwd(struct husk_spec *s, const char *cwd, struct husk_err *err)
{
	if (cwd[0] != '/')
		return husk_error(err, 0, "invalid --cwd '%s': not an absolute path", cwd);
	free(s->workdir);
	s->workdir = strdup(cwd);
	return s->workdir ? 0 : husk_error(err, ENOMEM, "--cwd");
}

int oci_process_add_cap(struct husk_spec *s, const char *name, struct husk_err *err)
{
	int n = cap_number(name);
	if (n < 0)
		return husk_error(err, 0, "invalid --cap '%s': unknown capability", name);
	uint64_t bit = UINT64_C(1) << n;
	s->oci.has_caps = true;
	s->oci.caps[OCI_CAP_BOUNDING] |= bit;
	s->oci.caps[OCI_CAP_EFFECTIVE] |= bit;
	s->oci.caps[OCI_CAP_PERMITTED] |= bit;
	return 0;
}
