#include "image/pull.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "image/config.h"
#include "image/images.h"
#include "image/manifest.h"
#include "image/ref.h"
#include "image/registry.h"
#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/path.h"

#define ACCEPT_ALL MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST

struct pull {
	struct store *st;
	const struct pull_opts *o;
	struct registry reg;
	char *manifest; /* the image's (platform) manifest */
	size_t manifest_len;
	char *config;
	size_t config_len;
	struct manifest m;
	struct image_config cfg;
};

static int check_digest(const char *buf, size_t len, const char *want, const char *what,
			struct husk_err *err)
{
	char got[DIGEST_STR_LEN];
	if (sha256_buffer(buf, len, got) || strcmp(got, want))
		return husk_error(err, 0, "pull: %s %s: its content has digest %s", what, want, got);
	return 0;
}

/* the manifest for ref (a tag or digest); an index gives its linux/amd64 entry */
static int get_manifest(struct pull *p, const struct image_ref *r, struct husk_err *err)
{
	const char *ref = r->digest[0] ? r->digest : r->tag;
	size_t len;
	cleanup_free char *ct = NULL;
	char *doc = registry_get(&p->reg, "manifests", ref, ACCEPT_ALL, &len, &ct, err);
	if (!doc || (r->digest[0] && check_digest(doc, len, r->digest, "manifest", err))) {
		free(doc);
		return -1;
	}
	if ((ct && (strstr(ct, "index") || strstr(ct, "manifest.list"))) || manifest_is_index(doc, len)) {
		struct image_index ix;
		int rc = index_parse(doc, len, &ix, err);
		free(doc);
		if (rc)
			return -1;
		const struct descriptor *d = index_pick(&ix, "linux", "amd64");
		char digest[DIGEST_STR_LEN] = "";
		if (d)
			snprintf(digest, sizeof digest, "%s", d->digest);
		index_free(&ix);
		if (!digest[0])
			return husk_error(err, 0, "pull: %s has no linux/amd64 image", ref);
		doc = registry_get(&p->reg, "manifests", digest, ACCEPT_ALL, &len, NULL, err);
		if (!doc || check_digest(doc, len, digest, "manifest", err)) {
			free(doc);
			return -1;
		}
	}
	p->manifest = doc;
	p->manifest_len = len;
	return manifest_parse(doc, len, &p->m, err);
}

static int get_config(struct pull *p, struct husk_err *err)
{
	p->config = registry_get(&p->reg, "blobs", p->m.config.digest, NULL, &p->config_len, NULL, err);
	if (!p->config || check_digest(p->config, p->config_len, p->m.config.digest, "config", err) ||
	    image_config_parse(p->config, p->config_len, &p->cfg, err))
		return -1;
	if (p->cfg.n_diff_ids != p->m.n_layers)
		return husk_error(err, 0, "pull: the config lists %zu layers, the manifest %zu",
				  p->cfg.n_diff_ids, p->m.n_layers);
	return 0;
}

struct progress {
	struct blob_stream *s;
	const struct descriptor *d;
	struct timespec last;
	bool show;
};

static void show_progress(struct progress *pr, bool final)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double dt = (double)(now.tv_sec - pr->last.tv_sec) + (now.tv_nsec - pr->last.tv_nsec) / 1e9;
	if (!final && dt < 0.1)
		return;
	pr->last = now;
	long long got = registry_blob_received(pr->s);
	fprintf(stderr, "\r%.12s: %7.1f MB", digest_hex(pr->d->digest), got / 1048576.0);
	if (pr->d->size > 0)
		fprintf(stderr, " / %.1f MB", pr->d->size / 1048576.0);
	if (final)
		fputc('\n', stderr);
}

static ssize_t progress_read(void *arg, const void **buf)
{
	struct progress *pr = arg;
	ssize_t n = registry_blob_read(pr->s, buf);
	if (pr->show)
		show_progress(pr, false);
	return n;
}

static int pull_layer(struct pull *p, const char *dir, size_t i, struct layer_in *in,
		      struct husk_err *err)
{
	const struct descriptor *d = &p->m.layers[i];
	if (mkdir(dir, 0755) < 0)
		return husk_error(err, errno, "pull: %s", dir);
	cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct progress pr = { .d = d, .show = p->o->progress };
	if (dfd < 0 || !(pr.s = registry_blob_open(&p->reg, d->digest, err)))
		return err->set ? -1 : husk_error(err, errno, "pull: %s", dir);
	struct layer_digests ld;
	int r = layer_unpack(dfd, progress_read, &pr, &ld, err);
	struct husk_err e2 = { 0 };
	if (registry_blob_close(pr.s, &e2) && !err->set)
		r = husk_error(err, 0, "%s", e2.msg);
	else if (e2.set && r) /* the transfer's failure explains the unpack's */
		memcpy(err, &e2, sizeof e2);
	if (r)
		return -1;
	if (pr.show)
		show_progress(&pr, true);
	if (strcmp(ld.blob, d->digest))
		return husk_error(err, 0, "pull: layer %s: its content has digest %s", d->digest, ld.blob);
	snprintf(in->diff_id, sizeof in->diff_id, "%s", ld.diff);
	snprintf(in->staged, sizeof in->staged, "%s", dir);
	in->size = ld.size;
	return 0;
}

static int pull_layers(struct pull *p, struct layer_in *in, struct staging *sg, struct husk_err *err)
{
	for (size_t i = 0; i < p->m.n_layers; i++) {
		const char *diff = p->cfg.diff_ids[i];
		if (store_has_layer(p->st, diff)) {
			snprintf(in[i].diff_id, sizeof in[i].diff_id, "%s", diff);
			if (!p->o->quiet)
				printf("%.12s: already exists\n", digest_hex(p->m.layers[i].digest));
			continue;
		}
		char dir[PATH_MAX];
		if (path_format(dir, sizeof dir, err, "pull", "%s/%zu", sg->path, i) ||
		    pull_layer(p, dir, i, &in[i], err))
			return -1;
		if (!p->o->quiet)
			printf("%.12s: pulled\n", digest_hex(p->m.layers[i].digest));
	}
	return 0;
}

static int pull_run(struct pull *p, const struct image_ref *r, const char *name,
		    char id[DIGEST_STR_LEN], struct husk_err *err)
{
	struct staging sg = { .lock_fd = -1 };
	struct layer_in *in = NULL;
	int rc = -1;
	if (get_manifest(p, r, err) || get_config(p, err) || staging_create(p->st, &sg, err))
		goto out;
	if (!(in = calloc(p->m.n_layers ? p->m.n_layers : 1, sizeof *in))) {
		husk_error(err, ENOMEM, "pull");
		goto out;
	}
	if (pull_layers(p, in, &sg, err))
		goto out;
	char *tags[] = { (char *)name };
	rc = image_commit(p->st, p->config, p->config_len, p->manifest, p->manifest_len, in,
			  p->m.n_layers, tags, r->tag[0] ? 1 : 0, id, err);
out:
	free(in);
	staging_discard(&sg);
	return rc;
}

int image_pull(struct store *st, const char *ref, const struct pull_opts *o,
	       char id[DIGEST_STR_LEN], struct husk_err *err)
{
	bool plain = !strncmp(ref, "http://", 7);
	const char *name = plain ? ref + 7 : !strncmp(ref, "https://", 8) ? ref + 8 : ref;
	struct image_ref r;
	const char *why;
	if (ref_parse(name, &r, &why))
		return husk_error(err, 0, "invalid image reference '%s': %s", ref, why);
	char tagged[600];
	if (ref_with_tag(name, tagged, sizeof tagged))
		return husk_error(err, 0, "invalid image reference '%s': too long", ref);
	struct pull p = { .st = st, .o = o };
	int rc = -1;
	if (registry_open(&p.reg, r.registry, r.repository, plain, o->insecure, err) == 0)
		rc = pull_run(&p, &r, tagged, id, err);
	registry_close(&p.reg);
	free(p.manifest);
	free(p.config);
	manifest_free(&p.m);
	image_config_free(&p.cfg);
	return rc;
}
