#include "image/images.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/config.h"
#include "image/json_util.h"
#include "image/ref.h"
#include "linux/userns/rootless_ns.h"
#include "util/cleanup.h"
#include "util/fs.h"

static void record_path(const struct store *st, const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s/images/%s.json", st->root, digest_hex(id));
}

json_object *image_tags_read(const struct store *st)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/repositories.json", st->root);
	json_object *o = access(p, F_OK) == 0 ? json_object_from_file(p) : NULL;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = json_object_new_object();
	}
	return o;
}

int image_tags_write(const struct store *st, json_object *tags, struct husk_err *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/repositories.json", st->root);
	const char *s = json_object_to_json_string_ext(tags, JSON_C_TO_STRING_PRETTY);
	return store_write_file(p, s, strlen(s), err);
}

static int check_layers(const struct image_config *c, const struct layer_in *layers, size_t n,
			struct husk_err *err)
{
	if (c->n_diff_ids != n)
		return husk_error(err, 0, "image config lists %zu layers, the image has %zu",
				  c->n_diff_ids, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(c->diff_ids[i], layers[i].diff_id))
			return husk_error(err, 0, "layer %zu: its content has diff_id %s, the config says %s",
					  i + 1, layers[i].diff_id, c->diff_ids[i]);
	return 0;
}

static void layer_size_path(const struct store *st, const char *diff_id, char *out, size_t len)
{
	snprintf(out, len, "%s/layers/%s.size", st->root, digest_hex(diff_id));
}

static int64_t layer_size(const struct store *st, struct layer_in *l)
{
	if (l->staged[0])
		return l->size;
	char p[PATH_MAX], buf[32];
	layer_size_path(st, l->diff_id, p, sizeof p);
	return read_file(p, buf, sizeof buf) > 0 ? strtoll(buf, NULL, 10) : 0;
}

static int store_layers(struct store *st, struct layer_in *layers, size_t n, int64_t *total,
			struct husk_err *err)
{
	*total = 0;
	for (size_t i = 0; i < n; i++) {
		*total += layer_size(st, &layers[i]);
		if (!layers[i].staged[0])
			continue;
		if (!store_has_layer(st, layers[i].diff_id)) {
			char p[PATH_MAX], sz[32];
			layer_size_path(st, layers[i].diff_id, p, sizeof p);
			snprintf(sz, sizeof sz, "%lld\n", (long long)layers[i].size);
			if (store_write_file(p, sz, strlen(sz), err))
				return -1;
		}
		if (store_commit_layer(st, layers[i].staged, layers[i].diff_id, err))
			return -1;
		layers[i].staged[0] = '\0';
	}
	return 0;
}

static int write_record(struct store *st, const char *id, const char *manifest_digest,
			const struct image_config *c, int64_t size, struct husk_err *err)
{
	json_object *o = json_object_new_object();
	json_object *ls = json_object_new_array();
	for (size_t i = 0; i < c->n_diff_ids; i++)
		json_object_array_add(ls, json_object_new_string(c->diff_ids[i]));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "manifest", json_object_new_string(manifest_digest));
	json_object_object_add(o, "layers", ls);
	json_object_object_add(o, "size", json_object_new_int64(size));
	json_object_object_add(o, "created", json_object_new_string(c->created ? c->created : ""));
	json_object_object_add(o, "added", json_object_new_int64((int64_t)time(NULL)));
	char p[PATH_MAX];
	record_path(st, id, p, sizeof p);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	int r = store_write_file(p, s, strlen(s), err);
	json_object_put(o);
	return r;
}

static int set_tags(struct store *st, const char *id, char *const *tags, size_t n,
		    struct husk_err *err)
{
	if (!n)
		return 0;
	json_object *t = image_tags_read(st);
	for (size_t i = 0; i < n; i++) {
		char tag[512];
		if (ref_with_tag(tags[i], tag, sizeof tag)) {
			json_object_put(t);
			return husk_error(err, 0, "invalid image name '%s'", tags[i]);
		}
		json_object_object_add(t, tag, json_object_new_string(id));
	}
	int r = image_tags_write(st, t, err);
	json_object_put(t);
	return r;
}

int image_commit(struct store *st, const char *config, size_t config_len, const char *manifest,
		 size_t manifest_len, struct layer_in *layers, size_t n, char *const *tags,
		 size_t n_tags, char id[DIGEST_STR_LEN], struct husk_err *err)
{
	struct image_config c;
	char mdigest[DIGEST_STR_LEN] = "";
	if (image_config_parse(config, config_len, &c, err))
		return -1;
	int r = -1;
	int64_t size = 0;
	if (check_layers(&c, layers, n, err) || sha256_buffer(config, config_len, id) ||
	    (manifest && sha256_buffer(manifest, manifest_len, mdigest)))
		goto out;
	if (store_lock(st, err))
		goto out;
	if (store_layers(st, layers, n, &size, err) ||
	    store_put_blob(st, id, config, config_len, err) ||
	    (manifest && store_put_blob(st, mdigest, manifest, manifest_len, err)) ||
	    write_record(st, id, mdigest, &c, size, err) || set_tags(st, id, tags, n_tags, err))
		goto unlock;
	r = 0;
unlock:
	store_unlock(st);
out:
	image_config_free(&c);
	return r;
}

int image_record_read(const struct store *st, const char *id, struct image_record *r,
		      struct husk_err *err)
{
	memset(r, 0, sizeof *r);
	char p[PATH_MAX];
	record_path(st, id, p, sizeof p);
	json_object *o = json_object_from_file(p);
	if (!o)
		return husk_error(err, errno, "image record %s", p);
	int ret = -1;
	const char *rid = json_str(o, "id");
	if (!rid || strcmp(rid, id) ||
	    json_strv(json_get(o, "layers", json_type_array), &r->layers, &r->n_layers)) {
		husk_error(err, 0, "image record %s is corrupt", p);
		goto out;
	}
	for (size_t i = 0; i < r->n_layers; i++)
		if (!digest_valid(r->layers[i])) {
			husk_error(err, 0, "image record %s is corrupt", p);
			goto out;
		}
	snprintf(r->id, sizeof r->id, "%s", rid);
	snprintf(r->manifest, sizeof r->manifest, "%s", json_str(o, "manifest") ?: "");
	snprintf(r->created, sizeof r->created, "%s", json_str(o, "created") ?: "");
	json_object *v = json_get(o, "size", json_type_int);
	r->size = v ? json_object_get_int64(v) : 0;
	v = json_get(o, "added", json_type_int);
	r->added = v ? json_object_get_int64(v) : 0;
	ret = 0;
out:
	json_object_put(o);
	if (ret)
		image_record_free(r);
	return ret;
}

void image_record_free(struct image_record *r)
{
	strv_free(r->layers);
	r->layers = NULL;
	r->n_layers = 0;
}

struct prefix_match {
	const char *prefix;
	char found[DIGEST_STR_LEN];
	int n;
};

static int match_prefix(const char *id, void *arg)
{
	struct prefix_match *m = arg;
	if (!strncmp(digest_hex(id), m->prefix, strlen(m->prefix))) {
		snprintf(m->found, sizeof m->found, "%s", id);
		m->n++;
	}
	return 0;
}

/* ref as a tag: NAME:TAG, NAME (:latest), and the prefixes podman and docker add */
static const char *lookup_tag(json_object *tags, const char *ref)
{
	static const char *const prefixes[] = { "", "localhost/", "docker.io/library/", "docker.io/" };
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		char name[600], tag[640];
		snprintf(name, sizeof name, "%s%s", prefixes[i], ref);
		if (ref_with_tag(name, tag, sizeof tag))
			continue;
		json_object *v = json_get(tags, tag, json_type_string);
		if (v)
			return json_object_get_string(v);
	}
	return NULL;
}

int image_lookup(const struct store *st, const char *ref, struct image_record *r,
		 struct husk_err *err)
{
	char id[DIGEST_STR_LEN] = "";
	json_object *tags = image_tags_read(st);
	const char *t = lookup_tag(tags, ref);
	if (t && digest_valid(t))
		snprintf(id, sizeof id, "%s", t);
	json_object_put(tags);
	const char *hex = !strncmp(ref, "sha256:", 7) ? ref + 7 : ref;
	if (!id[0] && strlen(hex) >= 4 && strlen(hex) <= DIGEST_HEX_LEN &&
	    strspn(hex, "0123456789abcdef") == strlen(hex)) {
		struct prefix_match m = { .prefix = hex };
		image_each(st, match_prefix, &m);
		if (m.n > 1)
			return husk_error(err, 0, "image id '%s' is ambiguous: %d images match", ref, m.n);
		if (m.n == 1)
			snprintf(id, sizeof id, "%s", m.found);
	}
	if (!id[0])
		return husk_error(err, 0, "no such image: %s (and it is not a directory)", ref);
	return image_record_read(st, id, r, err);
}

int image_each(const struct store *st, int (*fn)(const char *id, void *arg), void *arg)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/images", st->root);
	DIR *d = opendir(p);
	if (!d)
		return 0;
	struct dirent *de;
	int r = 0;
	while (!r && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n != DIGEST_HEX_LEN + 5 || strcmp(de->d_name + DIGEST_HEX_LEN, ".json"))
			continue;
		char id[DIGEST_STR_LEN];
		snprintf(id, sizeof id, "sha256:%.*s", DIGEST_HEX_LEN, de->d_name);
		if (digest_valid(id))
			r = fn(id, arg);
	}
	closedir(d);
	return r;
}

int image_remove_record(const struct store *st, const char *id, struct husk_err *err)
{
	char p[PATH_MAX];
	record_path(st, id, p, sizeof p);
	if (unlink(p) < 0 && errno != ENOENT)
		return husk_error(err, errno, "removing %s", p);
	return 0;
}

struct used {
	char **ids;
	size_t n, cap;
};

static int add_used(struct used *u, const char *id)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 64;
		char **v = realloc(u->ids, cap * sizeof *v);
		if (!v)
			return -1;
		u->ids = v;
		u->cap = cap;
	}
	return (u->ids[u->n] = strdup(id)) ? (int)u->n++ * 0 : -1;
}

/* What the image records name: their layers, and their configs and manifests. */
struct used_sets {
	const struct store *st;
	struct used layers, blobs;
};

static int collect_used(const char *id, void *arg)
{
	struct used_sets *u = arg;
	struct image_record r;
	struct husk_err err = { 0 };
	if (image_record_read(u->st, id, &r, &err))
		return -1; /* unreadable: prune nothing rather than something in use */
	int ret = add_used(&u->blobs, r.id);
	if (!ret && r.manifest[0])
		ret = add_used(&u->blobs, r.manifest);
	for (size_t i = 0; i < r.n_layers && !ret; i++)
		ret = add_used(&u->layers, r.layers[i]);
	image_record_free(&r);
	return ret;
}

static bool is_used(const struct used *u, char *const *keep, const char *hex)
{
	for (size_t i = 0; i < u->n; i++)
		if (!strcmp(digest_hex(u->ids[i]), hex))
			return true;
	for (size_t i = 0; keep && keep[i]; i++)
		if (digest_valid(keep[i]) && !strcmp(digest_hex(keep[i]), hex))
			return true;
	return false;
}

static void used_free(struct used *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->ids[i]);
	free(u->ids);
}

/* fn(st, "sha256:<hex>", arg) for each digest-named entry of <store>/SUB that is
 * neither in u nor in keep */
static void each_unused(const struct store *st, const char *sub, const struct used *u,
			char *const *keep, void (*fn)(const struct store *, const char *, void *),
			void *arg)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", st->root, sub);
	DIR *d = opendir(p);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strlen(de->d_name) != DIGEST_HEX_LEN || is_used(u, keep, de->d_name))
			continue;
		char id[DIGEST_STR_LEN];
		snprintf(id, sizeof id, "sha256:%s", de->d_name);
		fn(st, id, arg);
	}
	if (d)
		closedir(d);
}

struct layer_prune {
	int removed;
	int64_t freed;
};

static void remove_layer(const struct store *st, const char *id, void *arg)
{
	struct layer_prune *lp = arg;
	char dir[PATH_MAX], sp[PATH_MAX], buf[32];
	store_layer_path(st, id, dir, sizeof dir);
	layer_size_path(st, id, sp, sizeof sp);
	if (read_file(sp, buf, sizeof buf) > 0)
		lp->freed += strtoll(buf, NULL, 10);
	/* a rootless store's layers hold files of the user's subuids */
	if (rootless_remove_tree(dir) == 0) {
		unlink(sp);
		lp->removed++;
	}
}

/* a config or manifest no record names: rmi's image, or one an older husk left */
static void remove_blob(const struct store *st, const char *id, void *arg)
{
	(void)arg;
	char p[PATH_MAX];
	store_blob_path(st, id, p, sizeof p);
	unlink(p);
}

int image_prune(const struct store *st, char *const *keep, int64_t *freed)
{
	struct used_sets u = { .st = st };
	struct layer_prune lp = { 0 };
	if (image_each(st, collect_used, &u) == 0) {
		each_unused(st, "layers", &u.layers, keep, remove_layer, &lp);
		each_unused(st, "blobs/sha256", &u.blobs, NULL, remove_blob, NULL);
	}
	used_free(&u.layers);
	used_free(&u.blobs);
	*freed = lp.freed;
	return lp.removed;
}
