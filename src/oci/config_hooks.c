/* config.json "hooks": prestart, createRuntime, createContainer, startContainer,
 * poststart, poststop; each {path, args, env, timeout}. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "oci/config_internal.h"

static int one_hook(struct cfg *c, json_object *e, const char *key, struct oci_hook *h)
{
	int64_t timeout = 0;
	if (!cfg_is(e, json_type_object))
		return cfg_bad(c, key, "expected an object");
	if (cfg_string(c, e, "path", key, &h->path) || cfg_strv(c, e, "args", key, &h->args, NULL) ||
	    cfg_strv(c, e, "env", key, &h->env, NULL) ||
	    cfg_int(c, e, "timeout", key, 1, 24 * 3600, &timeout))
		return -1;
	if (!h->path || h->path[0] != '/')
		return cfg_bad(c, key, "path '%s' is not absolute", h->path ? h->path : "(missing)");
	if (cfg_get(e, "timeout") && timeout <= 0)
		return cfg_bad(c, key, "timeout must be positive");
	h->timeout = (int)timeout;
	return 0;
}

int cfg_hooks(struct cfg *c, json_object *root)
{
	json_object *hooks;
	if (cfg_object(c, root, "hooks", "hooks", &hooks) || !hooks)
		return hooks ? -1 : 0;
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		json_object *a;
		size_t n;
		char key[64];
		const char *name = spec_oci_hook_name((enum oci_hook_kind)k);
		snprintf(key, sizeof key, "hooks.%s", name);
		if (cfg_array(c, hooks, name, key, &a, &n))
			return -1;
		if (!(c->o->hooks[k] = calloc(n ? n : 1, sizeof *c->o->hooks[k])))
			return husk_error(c->err, ENOMEM, "%s", key);
		for (size_t i = 0; i < n; i++) {
			snprintf(key, sizeof key, "hooks.%s[%zu]", name, i);
			c->o->n_hooks[k] = i + 1;
			if (one_hook(c, json_object_array_get_idx(a, i), key, &c->o->hooks[k][i]))
				return -1;
		}
	}
	return 0;
}
