#include "cli/run_image.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/config.h"
#include "image/images.h"
#include "util/cleanup.h"

static int strv_append(char ***v, size_t *n, char *const *add)
{
	for (size_t i = 0; add && add[i]; i++) {
		char **p = realloc(*v, (*n + 2) * sizeof **v);
		if (!p)
			return -1;
		*v = p;
		if (!(p[*n] = strdup(add[i])))
			return -1;
		p[++*n] = NULL;
	}
	return 0;
}

/* docker's rule: --entrypoint replaces the image's Entrypoint and drops its Cmd; a
 * COMMAND replaces Cmd */
static int image_argv(struct husk_spec *s, const struct run_image_opts *o,
		      const struct image_config *c, struct husk_err *err)
{
	char **argv = calloc(1, sizeof *argv);
	size_t n = 0;
	char *ep[] = { o->entrypoint, NULL };
	static char *const sh[] = { "/bin/sh", NULL };
	int r = argv ? 0 : -1;
	if (!r && o->has_entrypoint)
		r = strv_append(&argv, &n, o->entrypoint[0] ? ep : NULL);
	else if (!r)
		r = strv_append(&argv, &n, c->entrypoint);
	if (!r && o->cmd_given)
		r = strv_append(&argv, &n, o->cmd);
	else if (!r && !o->has_entrypoint)
		r = strv_append(&argv, &n, c->cmd);
	if (!r && !n) /* no command anywhere: husk run's own default */
		r = strv_append(&argv, &n, sh);
	if (r) {
		for (size_t i = 0; argv && argv[i]; i++)
			free(argv[i]);
		free(argv);
		return husk_error(err, ENOMEM, "image command");
	}
	free(s->argv);
	s->argv = argv;
	s->argv_owned = true;
	return 0;
}

/* the image's Env first, then -e/--env-file (already in s->env) over it */
static int image_env(struct husk_spec *s, const struct image_config *c, struct husk_err *err)
{
	char **user = s->env;
	size_t n_user = s->n_env;
	s->env = NULL;
	s->n_env = 0;
	int r = 0;
	for (size_t i = 0; !r && i < c->n_env; i++)
		r = spec_setenv(s, c->env[i], err);
	for (size_t i = 0; !r && i < n_user; i++)
		r = spec_setenv(s, user[i], err);
	for (size_t i = 0; i < n_user; i++)
		free(user[i]);
	free(user);
	return r;
}

static int set_lower(struct husk_spec *s, const struct store *st, const struct image_record *r,
		     struct husk_err *err)
{
	s->lower = calloc(r->n_layers + 1, sizeof *s->lower);
	if (!s->lower)
		return husk_error(err, ENOMEM, "image layers");
	for (size_t i = 0; i < r->n_layers; i++) {
		char p[PATH_MAX];
		const char *d = r->layers[r->n_layers - 1 - i]; /* top first */
		if (!store_has_layer(st, d))
			return husk_error(err, ENOENT, "image %s: layer %s is missing from %s "
					  "(husk load or pull it again)", s->rootfs, d, st->root);
		store_layer_path(st, d, p, sizeof p);
		if (!(s->lower[i] = strdup(p)))
			return husk_error(err, ENOMEM, "image layers");
		s->n_lower = i + 1;
	}
	return 0;
}

static int dup_if_unset(char **dst, const char *v, struct husk_err *err)
{
	if (*dst || !v || !v[0])
		return 0;
	return (*dst = strdup(v)) ? 0 : husk_error(err, ENOMEM, "image config");
}

static int apply_image(struct husk_spec *s, const struct run_image_opts *o, struct husk_err *err)
{
	struct store st;
	struct image_record r;
	if (store_open(&st, cli_image_root(o->g), false, err) || image_lookup(&st, s->rootfs, &r, err))
		return -1;
	struct image_config c = { 0 };
	size_t len;
	cleanup_free char *cfg = store_get_blob(&st, r.id, &len, err);
	int ret = -1;
	if (!cfg || image_config_parse(cfg, len, &c, err))
		goto out;
	if (!r.n_layers) {
		husk_error(err, 0, "image %s has no layers", s->rootfs);
		goto out;
	}
	if (!(s->image = strdup(s->rootfs)) || !(s->image_id = strdup(r.id)) ||
	    asprintf(&s->layer_root, "%s/containers", st.root) < 0) {
		s->layer_root = NULL;
		husk_error(err, ENOMEM, "image");
		goto out;
	}
	if (set_lower(s, &st, &r, err) || image_argv(s, o, &c, err) || image_env(s, &c, err) ||
	    dup_if_unset(&s->workdir, c.workdir, err) || dup_if_unset(&s->user, c.user, err))
		goto out;
	ret = 0;
out:
	image_config_free(&c);
	image_record_free(&r);
	return ret;
}

int run_image_apply(struct husk_spec *s, const struct run_image_opts *o, struct husk_err *err)
{
	struct stat sb;
	if (stat(s->rootfs, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return apply_image(s, o, err);
	if (o->has_entrypoint) {
		struct image_config none = { 0 };
		if (image_argv(s, o, &none, err))
			return -1;
	}
	if (!o->overlay)
		return 0;
	s->lower = calloc(2, sizeof *s->lower);
	if (!s->lower || !(s->lower[0] = realpath(s->rootfs, NULL)))
		return husk_error(err, s->lower ? errno : ENOMEM, "--overlay: rootfs '%s'", s->rootfs);
	s->n_lower = 1;
	if (asprintf(&s->layer_root, "%s/containers", cli_image_root(o->g)) < 0) {
		s->layer_root = NULL;
		return husk_error(err, ENOMEM, "--overlay");
	}
	return 0;
}
