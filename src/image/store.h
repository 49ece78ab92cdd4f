/* The content-addressed image store, /var/lib/husk (a rootless husk's
 * ~/.local/share/husk; HUSK_IMAGE_ROOT or --image-root move it):
 *
 *   .lock                   flock: every change of the store holds it, briefly
 *   layers/<hex>/           a layer unpacked, named by its diff_id; shared by every
 *                           image that has it; an overlayfs lowerdir as it is
 *   blobs/sha256/<hex>      manifests and configs, named by their digest
 *   images/<hex>.json       an image record (the config's digest is the image id)
 *   repositories.json       NAME:TAG -> image id
 *   tmp/<random>/           staging: unpacked and verified here, then renamed into
 *                           place; each is flock'ed by its husk while it lives, so
 *                           the next husk removes what a dead one left
 *
 * Nothing appears under layers/, blobs/ or images/ except by rename(2) of a
 * complete, verified object: an interrupted load or pull leaves only a tmp/ dir. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <limits.h>

#include "image/digest.h"
#include "util/error.h"

#define HUSK_DEFAULT_IMAGE_ROOT "/var/lib/husk"

struct store {
	char root[PATH_MAX - 128];
	int lock_fd; /* -1 unless store_lock() holds it */
};

/* root: an absolute path (cli_image_root decides which). With create,
 * makes the layout (and removes stale staging dirs); without, a missing store is
 * an empty one (0, and store_exists() says false). */
int store_open(struct store *st, const char *root, bool create, struct husk_err *err);
bool store_exists(const struct store *st);
int store_lock(struct store *st, struct husk_err *err);
void store_unlock(struct store *st);

struct staging {
	char path[PATH_MAX];
	int lock_fd;
};
/* A fresh tmp/ dir of the store, locked as ours. */
int staging_create(struct store *st, struct staging *sg, struct husk_err *err);
/* Removes it (with whatever is left in it) and drops the lock. */
void staging_discard(struct staging *sg);

/* Paths inside the store. */
void store_layer_path(const struct store *st, const char *diff_id, char *out, size_t len);
void store_blob_path(const struct store *st, const char *digest, char *out, size_t len);
bool store_has_layer(const struct store *st, const char *diff_id);
/* Renames the directory `dir` (in the store's tmp/) to layers/<hex>; if another
 * husk got there first, ours is removed. Hold the lock. */
int store_commit_layer(struct store *st, const char *dir, const char *diff_id,
		       struct husk_err *err);
/* Writes a blob, checking that its sha256 is `digest` (refused, nothing written,
 * if not). */
int store_put_blob(struct store *st, const char *digest, const void *data, size_t n,
		   struct husk_err *err);
/* A blob's bytes (NUL-terminated, *n without it), checked against its digest;
 * NULL with err set. */
char *store_get_blob(const struct store *st, const char *digest, size_t *n,
		     struct husk_err *err);
/* Writes path atomically (a temporary file in the same dir, then rename). */
int store_write_file(const char *path, const void *data, size_t n, struct husk_err *err);
