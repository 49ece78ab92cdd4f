/* Image records and tags in the store (images/<hex>.json, repositories.json). */
#pragma once
#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>

#include "image/store.h"

struct image_record {
	char id[DIGEST_STR_LEN];       /* the config's digest */
	char manifest[DIGEST_STR_LEN]; /* "" when the image came without one */
	char **layers;                 /* diff_ids, bottom first (NULL-terminated) */
	size_t n_layers;
	int64_t size;                  /* bytes of all its layers' files */
	char created[64];              /* from the config, RFC 3339 */
	int64_t added;                 /* when this store got it (unix seconds) */
};

/* A layer to commit: already in the store (staged "") or unpacked in staged/. */
struct layer_in {
	char diff_id[DIGEST_STR_LEN];
	char staged[PATH_MAX];
	int64_t size;
};

/* Under the store's lock: checks that the config's rootfs.diff_ids are exactly the
 * layers given (else nothing is stored), moves the staged layers into place, stores
 * the config (and the manifest, if any), the record, and points the tags at it. */
int image_commit(struct store *st, const char *config, size_t config_len, const char *manifest,
		 size_t manifest_len, struct layer_in *layers, size_t n, char *const *tags,
		 size_t n_tags, char id[DIGEST_STR_LEN], struct husk_err *err);

/* NAME[:TAG], an id (sha256:<hex>, or 4+ hex digits of one) -> its record. */
int image_lookup(const struct store *st, const char *ref, struct image_record *r,
		 struct husk_err *err);
int image_record_read(const struct store *st, const char *id, struct image_record *r,
		      struct husk_err *err);
void image_record_free(struct image_record *r);
/* repositories.json ({} when missing); put it when done. */
json_object *image_tags_read(const struct store *st);
/* Writes repositories.json (hold the lock). */
int image_tags_write(const struct store *st, json_object *tags, struct husk_err *err);
/* Each image id in the store, in no order: fn returns non-zero to stop. */
int image_each(const struct store *st, int (*fn)(const char *id, void *arg), void *arg);
/* Removes an image's record (its layers, config and manifest stay for
 * image_prune). Hold the lock. */
int image_remove_record(const struct store *st, const char *id, struct husk_err *err);
/* Removes layers no image record uses, except those in `keep` (NULL-terminated
 * diff_ids used by containers), and the configs and manifests no record names.
 * Hold the lock. Returns the number of layers removed. */
int image_prune(const struct store *st, char *const *keep, int64_t *freed);
