/* husk pull [REGISTRY/]NAME[:TAG|@DIGEST]: the manifest (an index resolved to
 * linux/amd64), the config, then each layer the store lacks, unpacked as it
 * downloads; every digest and diff_id checked before the image is committed. */
#pragma once
#include <stdbool.h>

#include "image/store.h"

struct pull_opts {
	bool insecure; /* TLS unverified, falling back to plain http */
	bool quiet;    /* stdout: only the image id */
	bool progress; /* bytes per layer on stderr (a terminal) */
};

/* ref may start with http:// (plain http) or https://. */
int image_pull(struct store *st, const char *ref, const struct pull_opts *o,
	       char id[DIGEST_STR_LEN], struct husk_err *err);
