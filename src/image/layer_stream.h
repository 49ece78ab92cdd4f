/* A layer's bytes as given (gzip, zstd or plain tar) turned into its uncompressed tar,
 * with the sha256 of both: the blob digest and the diff_id. Reading the input,
 * inflating it (ISA-L for gzip, inflate.h; libarchive's filters otherwise) and the
 * blob digest run in a thread of their own, a few 128 KiB chunks ahead of the
 * reader, which hashes the tar and unpacks it (unpack.c): on two cores a gzip
 * layer unpacks in about the time of the slower half. */
#pragma once
#include <sys/types.h>

#include "image/digest.h"
#include "image/unpack.h"

struct layer_stream;

/* Reads the first chunk (to tell gzip) and starts the thread; NULL with err set. */
struct layer_stream *layer_stream_open(layer_read_fn fn, void *arg, struct husk_err *err);
/* The next chunk of the tar: its length (*buf valid until the next call), 0 at the
 * end, -1 with the error kept for layer_stream_finish/layer_stream_error. */
ssize_t layer_stream_read(struct layer_stream *ls, const void **buf);
/* Reads what follows the tar's end, so that both digests cover every byte; 0, or -1
 * with err set. */
int layer_stream_finish(struct layer_stream *ls, char blob[DIGEST_STR_LEN],
			char diff[DIGEST_STR_LEN], struct husk_err *err);
/* Copies the error that made layer_stream_read fail into err (if err has none). */
void layer_stream_error(struct layer_stream *ls, struct husk_err *err);
/* Stops the thread (it may be in one read of the input) and frees everything. */
void layer_stream_close(struct layer_stream *ls);
