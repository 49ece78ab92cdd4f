#include "image/import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/images.h"
#include "image/manifest.h"
#include "image/unpack.h"
#include "spec.h"
#include "util/cleanup.h"
#include "util/path.h"

ssize_t fd_reader_read(void *arg, const void **buf)
{
	struct fd_reader *r = arg;
	ssize_t n;
	do
		n = read(r->fd, r->buf, sizeof r->buf);
	while (n < 0 && errno == EINTR);
	*buf = r->buf;
	return n;
}

/* the config docker import writes: no command of its own (husk run's /bin/sh then) */
static char *import_config(const char *diff_id)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	char *s = NULL;
	if (asprintf(&s, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"%s\","
		     "\"config\":{\"Env\":[\"PATH=%s\"]},"
		     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]},"
		     "\"history\":[{\"created\":\"%s\",\"created_by\":\"husk import\"}]}",
		     when, HUSK_DEFAULT_PATH, diff_id, when) < 0)
		return NULL;
	return s;
}

static char *import_manifest(const char *config, const struct layer_digests *d, off_t blob_size)
{
	char cdigest[DIGEST_STR_LEN];
	char *s = NULL;
	if (sha256_buffer(config, strlen(config), cdigest) < 0 ||
	    asprintf(&s, "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
		     "\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"%s\",\"size\":%zu},"
		     "\"layers\":[{\"mediaType\":\"" MT_OCI_LAYER "\",\"digest\":\"%s\",\"size\":%lld}]}",
		     cdigest, strlen(config), d->blob, (long long)blob_size) < 0)
		return NULL;
	return s;
}

static int unpack_into(const char *dir, struct fd_reader *rd, struct layer_digests *d,
		       struct husk_err *err)
{
	cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return husk_error(err, errno, "import: %s", dir);
	return layer_unpack(dfd, fd_reader_read, rd, d, err);
}

int image_import(struct store *st, const char *path, const char *tag, char id[DIGEST_STR_LEN],
		 struct husk_err *err)
{
	cleanup_close int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0)
		return husk_error(err, errno, "import: '%s'", path);
	struct staging sg;
	if (staging_create(st, &sg, err))
		return -1;
	int r = -1;
	cleanup_free struct fd_reader *rd = malloc(sizeof *rd);
	struct layer_in l = { 0 };
	struct layer_digests d;
	cleanup_free char *config = NULL, *manifest = NULL;
	if (!rd) {
		husk_error(err, ENOMEM, "import");
		goto out;
	}
	if (path_format(l.staged, sizeof l.staged, err, "import", "%s/layer", sg.path))
		goto out;
	rd->fd = fd;
	if (mkdir(l.staged, 0755) < 0) {
		husk_error(err, errno, "import: %s", l.staged);
		goto out;
	}
	if (unpack_into(l.staged, rd, &d, err))
		goto out;
	snprintf(l.diff_id, sizeof l.diff_id, "%s", d.diff);
	l.size = d.size;
	struct stat sb;
	if (!(config = import_config(d.diff)) ||
	    !(manifest = import_manifest(config, &d, fstat(fd, &sb) == 0 ? sb.st_size : 0))) {
		husk_error(err, ENOMEM, "import");
		goto out;
	}
	char *tags[] = { (char *)tag };
	r = image_commit(st, config, strlen(config), manifest, strlen(manifest), &l, 1, tags,
			 tag ? 1 : 0, id, err);
out:
	staging_discard(&sg);
	return r;
}
