#include "image/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "image/json_util.h"

static int dup_str(json_object *o, const char *key, char **out)
{
	const char *v = json_str(o, key);
	*out = NULL;
	if (v && !(*out = strdup(v)))
		return -1;
	return 0;
}

static int parse_process(json_object *cfg, struct image_config *c, struct husk_err *err)
{
	json_object *v;
	if (!cfg)
		return 0;
	if (json_strv(json_object_object_get_ex(cfg, "Entrypoint", &v) ? v : NULL, &c->entrypoint,
		      &c->n_entrypoint))
		return husk_error(err, 0, "image config: Entrypoint is not a list of strings");
	if (json_strv(json_object_object_get_ex(cfg, "Cmd", &v) ? v : NULL, &c->cmd, &c->n_cmd))
		return husk_error(err, 0, "image config: Cmd is not a list of strings");
	if (json_strv(json_object_object_get_ex(cfg, "Env", &v) ? v : NULL, &c->env, &c->n_env))
		return husk_error(err, 0, "image config: Env is not a list of strings");
	for (size_t i = 0; i < c->n_env; i++)
		if (!strchr(c->env[i], '=') || c->env[i][0] == '=')
			return husk_error(err, 0, "image config: Env entry '%s' is not KEY=VALUE", c->env[i]);
	if (dup_str(cfg, "WorkingDir", &c->workdir) || dup_str(cfg, "User", &c->user))
		return husk_error(err, ENOMEM, "image config");
	if (c->workdir && c->workdir[0] && c->workdir[0] != '/')
		return husk_error(err, 0, "image config: WorkingDir '%s' is not absolute", c->workdir);
	return 0;
}

static int parse_rootfs(json_object *o, struct image_config *c, struct husk_err *err)
{
	json_object *rootfs = json_get(o, "rootfs", json_type_object);
	const char *type = json_str(rootfs, "type");
	if (!rootfs || !type || strcmp(type, "layers"))
		return husk_error(err, 0, "image config: no rootfs of type \"layers\"");
	if (json_strv(json_get(rootfs, "diff_ids", json_type_array), &c->diff_ids, &c->n_diff_ids))
		return husk_error(err, 0, "image config: rootfs.diff_ids is not a list of strings");
	for (size_t i = 0; i < c->n_diff_ids; i++)
		if (!digest_valid(c->diff_ids[i]))
			return husk_error(err, 0, "image config: diff_id '%s' is not a sha256 digest",
					  c->diff_ids[i]);
	return 0;
}

int image_config_parse(const char *json, size_t len, struct image_config *c, struct husk_err *err)
{
	memset(c, 0, sizeof *c);
	json_object *o = json_parse_buf(json, len, "image config", err);
	if (!o)
		return -1;
	int r = -1;
	if (!json_object_is_type(o, json_type_object)) {
		husk_error(err, 0, "image config: not a JSON object");
		goto out;
	}
	if (parse_process(json_get(o, "config", json_type_object), c, err) ||
	    parse_rootfs(o, c, err))
		goto out;
	if (dup_str(o, "created", &c->created) || dup_str(o, "architecture", &c->architecture) ||
	    dup_str(o, "os", &c->os)) {
		husk_error(err, ENOMEM, "image config");
		goto out;
	}
	r = 0;
out:
	json_object_put(o);
	if (r)
		image_config_free(c);
	return r;
}

void image_config_free(struct image_config *c)
{
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	strv_free(c->diff_ids);
	free(c->workdir);
	free(c->user);
	free(c->created);
	free(c->architecture);
	free(c->os);
	memset(c, 0, sizeof *c);
}
