/* husk import TARBALL NAME[:TAG]: a flat root filesystem tarball (any compression)
 * as a one-layer image. */
#pragma once
#include <sys/types.h>

#include "image/store.h"

/* path "-" reads stdin. The new image's id goes to id. */
int image_import(struct store *st, const char *path, const char *tag, char id[DIGEST_STR_LEN],
		 struct husk_err *err);

/* The layer_read_fn of a plain file descriptor (struct fd_reader as arg). */
struct fd_reader {
	int fd;
	char buf[256 * 1024];
};
ssize_t fd_reader_read(void *arg, const void **buf);
