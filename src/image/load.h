/* husk load: `docker save` archives (manifest.json; legacy <id>/layer.tar with its
 * symlinks, podman's <diff_id>.tar, docker 25's blobs/sha256/) and OCI image layout
 * archives (index.json + blobs/sha256/, from podman save --format oci-archive or
 * skopeo copy ... oci-archive:), the whole archive optionally compressed; layers
 * uncompressed, gzip or zstd. One pass over the archive: each layer is unpacked into
 * a staging dir as it streams by (its digests computed on the way), the JSON kept in
 * memory; then every digest is checked against the manifests and configs and only a
 * fully verified image is committed. */
#pragma once
#include "image/store.h"

/* Calls back once per image loaded (its id and first tag, or NULL). */
typedef void (*load_report_fn)(const char *id, const char *tag, void *arg);

/* path "-" reads stdin. */
int image_load(struct store *st, const char *path, load_report_fn report, void *arg,
	       struct husk_err *err);
