/* The two archive formats husk load reads, over what load.c collected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/images.h"
#include "image/load_archive.h"
#include "image/manifest.h"

static const struct member *find_path(const struct loaded *L, const char *path)
{
	char clean[PATH_MAX];
	if (archive_path_join("", path, clean, sizeof clean))
		return NULL;
	return loaded_find(L, clean);
}

/* blobs/sha256/<hex> as named by a digest */
static const struct member *find_blob(const struct loaded *L, const char *digest)
{
	char p[128];
	snprintf(p, sizeof p, "blobs/sha256/%s", digest_hex(digest));
	return loaded_find(L, p);
}

static int check_json_digest(const struct member *m, const char *digest, const char *what,
			     struct husk_err *err)
{
	char got[DIGEST_STR_LEN];
	if (sha256_buffer(m->json, m->len, got) || strcmp(got, digest))
		return husk_error(err, 0, "load: %s %s: its content has digest %s", what, digest, got);
	return 0;
}

static void fill_layer(struct layer_in *in, const struct staged_layer *l)
{
	snprintf(in->diff_id, sizeof in->diff_id, "%s", l->diff);
	snprintf(in->staged, sizeof in->staged, "%s", l->dir);
	in->size = l->size;
}

/* a layer named blobs/sha256/<hex> must have that digest */
static int check_blob_name(const char *path, const struct staged_layer *l, struct husk_err *err)
{
	char clean[PATH_MAX];
	if (archive_path_join("", path, clean, sizeof clean) || strncmp(clean, "blobs/sha256/", 13))
		return 0;
	if (strcmp(clean + 13, digest_hex(l->blob)))
		return husk_error(err, 0, "load: layer %s: its content has digest %s", clean, l->blob);
	return 0;
}

/* a config named by its digest (<hex>.json, blobs/sha256/<hex>) must have it */
static int check_config_name(const char *path, const struct member *cfg, struct husk_err *err)
{
	char clean[PATH_MAX], want[DIGEST_STR_LEN];
	if (archive_path_join("", path, clean, sizeof clean))
		return 0;
	const char *base = strrchr(clean, '/');
	base = base ? base + 1 : clean;
	size_t n = strlen(base);
	if (n == DIGEST_HEX_LEN + 5 && !strcmp(base + DIGEST_HEX_LEN, ".json"))
		n = DIGEST_HEX_LEN;
	if (n != DIGEST_HEX_LEN)
		return 0;
	snprintf(want, sizeof want, "sha256:%.*s", DIGEST_HEX_LEN, base);
	if (!digest_valid(want))
		return 0;
	return check_json_digest(cfg, want, "config", err);
}

static int load_docker_image(struct loaded *L, const struct docker_manifest *d,
			     load_report_fn report, void *arg, struct husk_err *err)
{
	const struct member *cfg = find_path(L, d->config);
	if (!cfg || !cfg->json)
		return husk_error(err, 0, "load: manifest.json names config '%s', not in the archive",
				  d->config);
	if (check_config_name(d->config, cfg, err))
		return -1;
	struct layer_in *in = calloc(d->n_layers ? d->n_layers : 1, sizeof *in);
	if (!in)
		return husk_error(err, ENOMEM, "load");
	int r = -1;
	for (size_t i = 0; i < d->n_layers; i++) {
		const struct member *m = find_path(L, d->layers[i]);
		if (!m || !m->layer) {
			husk_error(err, 0, "load: manifest.json names layer '%s', not in the archive",
				   d->layers[i]);
			goto out;
		}
		if (check_blob_name(d->layers[i], m->layer, err))
			goto out;
		fill_layer(&in[i], m->layer);
	}
	char id[DIGEST_STR_LEN];
	if (image_commit(L->st, cfg->json, cfg->len, NULL, 0, in, d->n_layers, d->tags, d->n_tags,
			 id, err))
		goto out;
	report(id, d->n_tags ? d->tags[0] : NULL, arg);
	r = 0;
out:
	free(in);
	return r;
}

int load_docker(struct loaded *L, load_report_fn report, void *arg, struct husk_err *err)
{
	const struct member *mj = loaded_find_json(L, "manifest.json");
	struct docker_manifest *d;
	size_t n;
	if (docker_manifest_parse(mj->json, mj->len, &d, &n, err))
		return -1;
	int r = 0;
	for (size_t i = 0; i < n && !r; i++)
		r = load_docker_image(L, &d[i], report, arg, err);
	docker_manifest_free(d, n);
	return r;
}

static int load_oci_manifest(struct loaded *L, const struct descriptor *desc, const char *tag,
			     load_report_fn report, void *arg, struct husk_err *err)
{
	const struct member *mm = find_blob(L, desc->digest);
	if (!mm || !mm->json)
		return husk_error(err, 0, "load: manifest %s is not in the archive", desc->digest);
	struct manifest m;
	if (check_json_digest(mm, desc->digest, "manifest", err) ||
	    manifest_parse(mm->json, mm->len, &m, err))
		return -1;
	int r = -1;
	struct layer_in *in = calloc(m.n_layers ? m.n_layers : 1, sizeof *in);
	const struct member *cfg = find_blob(L, m.config.digest);
	if (!in) {
		husk_error(err, ENOMEM, "load");
		goto out;
	}
	if (!cfg || !cfg->json) {
		husk_error(err, 0, "load: config %s is not in the archive", m.config.digest);
		goto out;
	}
	if (check_json_digest(cfg, m.config.digest, "config", err))
		goto out;
	for (size_t i = 0; i < m.n_layers; i++) {
		const struct member *l = find_blob(L, m.layers[i].digest);
		if (!l || !l->layer) {
			husk_error(err, 0, "load: layer %s is not in the archive", m.layers[i].digest);
			goto out;
		}
		if (strcmp(l->layer->blob, m.layers[i].digest)) {
			husk_error(err, 0, "load: layer %s: its content has digest %s",
				   m.layers[i].digest, l->layer->blob);
			goto out;
		}
		fill_layer(&in[i], l->layer);
	}
	char id[DIGEST_STR_LEN];
	char *tags[] = { (char *)tag };
	if (image_commit(L->st, cfg->json, cfg->len, mm->json, mm->len, in, m.n_layers, tags,
			 tag ? 1 : 0, id, err))
		goto out;
	report(id, tag, arg);
	r = 0;
out:
	free(in);
	manifest_free(&m);
	return r;
}

/* the name of an index entry: a full reference, or (OCI's convention) a tag only */
static const char *entry_tag(const struct descriptor *d, char *buf, size_t len)
{
	if (!d->ref_name[0])
		return NULL;
	if (strchr(d->ref_name, '/') || strchr(d->ref_name, ':'))
		return d->ref_name;
	snprintf(buf, len, "%s", d->ref_name);
	return buf;
}

int load_oci(struct loaded *L, load_report_fn report, void *arg, struct husk_err *err)
{
	const struct member *ij = loaded_find_json(L, "index.json");
	struct image_index ix;
	if (index_parse(ij->json, ij->len, &ix, err))
		return -1;
	int r = ix.n ? 0 : husk_error(err, 0, "load: index.json lists no image");
	for (size_t i = 0; i < ix.n && !r; i++) {
		const struct descriptor *d = &ix.manifests[i];
		char tagbuf[300];
		const char *tag = entry_tag(d, tagbuf, sizeof tagbuf);
		const struct member *mm = find_blob(L, d->digest);
		if (mm && mm->json && manifest_is_index(mm->json, mm->len)) {
			/* a multi-arch image: its linux/amd64 manifest */
			struct image_index sub;
			if ((r = check_json_digest(mm, d->digest, "index", err)) ||
			    (r = index_parse(mm->json, mm->len, &sub, err)))
				break;
			const struct descriptor *pick = index_pick(&sub, "linux", "amd64");
			r = pick ? load_oci_manifest(L, pick, tag, report, arg, err) :
				   husk_error(err, 0, "load: index %s has no linux/amd64 image", d->digest);
			index_free(&sub);
			continue;
		}
		r = load_oci_manifest(L, d, tag, report, arg, err);
	}
	index_free(&ix);
	return r;
}
