#include "image/manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/json_util.h"

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static int parse_descriptor(json_object *o, struct descriptor *d, const char *what,
			    struct husk_err *err)
{
	memset(d, 0, sizeof *d);
	const char *dg = json_str(o, "digest");
	if (!digest_valid(dg))
		return husk_error(err, 0, "%s: digest '%s' is not a sha256 digest", what, dg ? dg : "");
	copy_str(d->digest, sizeof d->digest, dg);
	copy_str(d->media_type, sizeof d->media_type, json_str(o, "mediaType"));
	json_object *sz = json_get(o, "size", json_type_int);
	d->size = sz ? json_object_get_int64(sz) : -1;
	if (sz && d->size < 0)
		return husk_error(err, 0, "%s: negative size", what);
	json_object *pf = json_get(o, "platform", json_type_object);
	copy_str(d->os, sizeof d->os, json_str(pf, "os"));
	copy_str(d->arch, sizeof d->arch, json_str(pf, "architecture"));
	copy_str(d->variant, sizeof d->variant, json_str(pf, "variant"));
	json_object *ann = json_get(o, "annotations", json_type_object);
	copy_str(d->ref_name, sizeof d->ref_name, json_str(ann, "org.opencontainers.image.ref.name"));
	return 0;
}

static int parse_list(json_object *a, struct descriptor **out, size_t *n, const char *what,
		      struct husk_err *err)
{
	*out = NULL;
	*n = 0;
	if (!a)
		return husk_error(err, 0, "%s: no list", what);
	size_t len = json_object_array_length(a);
	if (!len)
		return 0;
	if (len > 4096)
		return husk_error(err, 0, "%s: %zu entries is too many", what, len);
	struct descriptor *d = calloc(len, sizeof *d);
	if (!d)
		return husk_error(err, ENOMEM, "%s", what);
	for (size_t i = 0; i < len; i++)
		if (parse_descriptor(json_object_array_get_idx(a, i), &d[i], what, err)) {
			free(d);
			return -1;
		}
	*out = d;
	*n = len;
	return 0;
}

int manifest_parse(const char *json, size_t len, struct manifest *m, struct husk_err *err)
{
	memset(m, 0, sizeof *m);
	json_object *o = json_parse_buf(json, len, "image manifest", err);
	if (!o)
		return -1;
	int r = -1;
	const char *mt = json_str(o, "mediaType");
	json_object *cfg = json_get(o, "config", json_type_object);
	if (mt && strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))
		husk_error(err, 0, "image manifest: unsupported media type '%s'", mt);
	else if (!cfg)
		husk_error(err, 0, "image manifest: no config");
	else if (!parse_descriptor(cfg, &m->config, "image manifest config", err) &&
		 !parse_list(json_get(o, "layers", json_type_array), &m->layers, &m->n_layers,
			     "image manifest layers", err))
		r = 0;
	json_object_put(o);
	return r;
}

void manifest_free(struct manifest *m)
{
	free(m->layers);
	memset(m, 0, sizeof *m);
}

int index_parse(const char *json, size_t len, struct image_index *ix, struct husk_err *err)
{
	memset(ix, 0, sizeof *ix);
	json_object *o = json_parse_buf(json, len, "image index", err);
	if (!o)
		return -1;
	int r = parse_list(json_get(o, "manifests", json_type_array), &ix->manifests, &ix->n,
			   "image index manifests", err);
	json_object_put(o);
	return r;
}

void index_free(struct image_index *ix)
{
	free(ix->manifests);
	memset(ix, 0, sizeof *ix);
}

const struct descriptor *index_pick(const struct image_index *ix, const char *os, const char *arch)
{
	for (size_t i = 0; i < ix->n; i++)
		if (!strcmp(ix->manifests[i].os, os) && !strcmp(ix->manifests[i].arch, arch))
			return &ix->manifests[i];
	if (ix->n == 1 && !ix->manifests[0].os[0])
		return &ix->manifests[0];
	return NULL;
}

bool manifest_is_index(const char *json, size_t len)
{
	struct husk_err err = { 0 };
	json_object *o = json_parse_buf(json, len, "manifest", &err);
	if (!o)
		return false;
	const char *mt = json_str(o, "mediaType");
	bool r = mt ? (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)) :
		      json_get(o, "manifests", json_type_array) != NULL;
	json_object_put(o);
	return r;
}

static int parse_docker_entry(json_object *o, struct docker_manifest *d, struct husk_err *err)
{
	const char *cfg = json_str(o, "Config");
	if (!cfg)
		return husk_error(err, 0, "manifest.json: an image without \"Config\"");
	if (!(d->config = strdup(cfg)))
		return husk_error(err, ENOMEM, "manifest.json");
	if (json_strv(json_get(o, "RepoTags", json_type_array), &d->tags, &d->n_tags))
		return husk_error(err, 0, "manifest.json: RepoTags is not a list of strings");
	if (json_strv(json_get(o, "Layers", json_type_array), &d->layers, &d->n_layers))
		return husk_error(err, 0, "manifest.json: Layers is not a list of strings");
	return 0;
}

int docker_manifest_parse(const char *json, size_t len, struct docker_manifest **out, size_t *n,
			  struct husk_err *err)
{
	*out = NULL;
	*n = 0;
	json_object *o = json_parse_buf(json, len, "manifest.json", err);
	if (!o)
		return -1;
	int r = -1;
	size_t cnt = json_object_is_type(o, json_type_array) ? json_object_array_length(o) : 0;
	struct docker_manifest *d = cnt ? calloc(cnt, sizeof *d) : NULL;
	if (!cnt) {
		husk_error(err, 0, "manifest.json: not a non-empty list of images");
		goto out;
	}
	if (!d) {
		husk_error(err, ENOMEM, "manifest.json");
		goto out;
	}
	for (size_t i = 0; i < cnt; i++)
		if (parse_docker_entry(json_object_array_get_idx(o, i), &d[i], err)) {
			docker_manifest_free(d, cnt);
			goto out;
		}
	*out = d;
	*n = cnt;
	r = 0;
out:
	json_object_put(o);
	return r;
}

void docker_manifest_free(struct docker_manifest *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++) {
		free(d[i].config);
		strv_free(d[i].tags);
		strv_free(d[i].layers);
	}
	free(d);
}
