/* One layer tar (uncompressed, gzip or zstd: layer_stream.h reads it) unpacked into an
 * empty directory, while the sha256 of the bytes as given (the blob digest) and of
 * the uncompressed tar (the diff_id) are computed. OCI/docker whiteouts become
 * overlayfs whiteouts (a 0:0 character device; trusted.overlay.opaque=y). No entry
 * may write outside the directory: absolute names, "..", a path through a symlink
 * (or through anything but a directory), a relative symlink climbing above the
 * root, a hard link to a name that is not in this layer, a directory entry over a
 * symlink made earlier: the whole layer is refused, naming the entry. The caller
 * unpacks into a staging directory and removes it on failure. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "util/error.h"

/* The layer's bytes, a chunk at a time: sets *buf, returns its length, 0 at the
 * end, -1 on an error (with errno). */
typedef ssize_t (*layer_read_fn)(void *arg, const void **buf);

struct layer_digests {
	char blob[DIGEST_STR_LEN]; /* sha256 of the bytes read */
	char diff[DIGEST_STR_LEN]; /* sha256 of the uncompressed tar (diff_id) */
	int64_t size;              /* bytes of file data unpacked */
	int64_t entries;
};

int layer_unpack(int dirfd, layer_read_fn fn, void *arg, struct layer_digests *d,
		 struct husk_err *err);
