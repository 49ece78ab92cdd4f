#include "image/load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/images.h"
#include "image/libs.h"
#include "image/load_archive.h"
#include "image/manifest.h"
#include "image/tarpath.h"
#include "image/unpack.h"
#include "util/cleanup.h"

/* the reader of one archive entry, for layer_unpack: the sniffed first block, then
 * the rest */
struct entry_reader {
	struct archive *a;
	const void *first;
	size_t first_len;
};

static ssize_t entry_read(void *arg, const void **buf)
{
	struct entry_reader *r = arg;
	if (r->first) {
		*buf = r->first;
		r->first = NULL;
		return (ssize_t)r->first_len;
	}
	size_t n;
	la_int64_t off;
	int rc = archive_read_data_block(r->a, buf, &n, &off);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)n;
}

/* JSON (configs, manifests, indexes) is kept; anything else is a layer */
static bool looks_like_json(const char *name, const void *buf, size_t n)
{
	const char *p = buf;
	size_t i = 0;
	while (i < n && strchr(" \t\r\n", p[i]))
		i++;
	return (i < n && (p[i] == '{' || p[i] == '[')) || !strcmp(name, "oci-layout");
}

static bool skipped_name(const char *clean)
{
	const char *base = strrchr(clean, '/');
	base = base ? base + 1 : clean;
	/* docker-save's legacy per-layer files */
	return !strcmp(base, "VERSION") || !strcmp(base, "repositories");
}

static int read_json(struct archive *a, struct archive_entry *e, struct loaded *L,
		     const char *name, const void *first, size_t n, struct husk_err *err)
{
	la_int64_t size = archive_entry_size(e);
	if (size > (64 << 20))
		return husk_error(err, EFBIG, "load: archive member '%s'", name);
	char *buf = malloc((size_t)(size > 0 ? size : 0) + n + 1);
	if (!buf)
		return husk_error(err, ENOMEM, "load");
	memcpy(buf, first, n);
	size_t len = n;
	struct entry_reader r = { .a = a };
	const void *b;
	ssize_t got;
	while ((got = entry_read(&r, &b)) > 0) {
		if (len + (size_t)got > (size_t)(size > 0 ? size : 0) + n) {
			free(buf);
			return husk_error(err, EFBIG, "load: archive member '%s'", name);
		}
		memcpy(buf + len, b, (size_t)got);
		len += (size_t)got;
	}
	buf[len] = '\0';
	if (got < 0 || loaded_add_json(L, name, buf, len)) {
		free(buf);
		return husk_error(err, got < 0 ? EIO : ENOMEM, "load: archive member '%s'", name);
	}
	return 0;
}

static int read_layer(struct archive *a, struct loaded *L, const char *name, const void *first,
		      size_t n, struct husk_err *err)
{
	struct staged_layer *l = loaded_add_layer(L, name);
	if (!l)
		return husk_error(err, ENOMEM, "load");
	if (mkdir(l->dir, 0755) < 0)
		return husk_error(err, errno, "load: %s", l->dir);
	cleanup_close int dfd = open(l->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return husk_error(err, errno, "load: %s", l->dir);
	struct entry_reader r = { .a = a, .first = first, .first_len = n };
	struct layer_digests d;
	if (layer_unpack(dfd, entry_read, &r, &d, err))
		return husk_error(err, 0, "load: layer '%s'", name);
	snprintf(l->blob, sizeof l->blob, "%s", d.blob);
	snprintf(l->diff, sizeof l->diff, "%s", d.diff);
	l->size = d.size;
	return 0;
}

static int read_member(struct archive *a, struct archive_entry *e, struct loaded *L,
		       struct husk_err *err)
{
	char name[PATH_MAX];
	const char *why;
	const char *raw = archive_entry_pathname(e);
	if (!raw || tar_path_clean(raw, name, sizeof name, &why))
		return husk_error(err, 0, "load: archive member '%s': %s", raw ? raw : "", why);
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFLNK)
		return loaded_add_alias(L, name, archive_entry_symlink(e), err);
	if (archive_entry_hardlink(e)) {
		char target[PATH_MAX];
		if (tar_path_clean(archive_entry_hardlink(e), target, sizeof target, &why))
			return husk_error(err, 0, "load: archive member '%s': %s", name, why);
		return loaded_add_alias_clean(L, name, target, err);
	}
	if (type != AE_IFREG || skipped_name(name))
		return 0;
	const void *buf = NULL;
	size_t n = 0;
	la_int64_t off;
	int rc = archive_read_data_block(a, &buf, &n, &off);
	if (rc == ARCHIVE_EOF)
		return 0; /* empty file */
	if (rc != ARCHIVE_OK)
		return husk_error(err, 0, "load: '%s': %s", name, archive_error_string(a));
	if (looks_like_json(name, buf, n))
		return read_json(a, e, L, name, buf, n, err);
	return read_layer(a, L, name, buf, n, err);
}

static int read_archive(int fd, struct loaded *L, struct husk_err *err)
{
	if (libs_need(HUSK_LIB_ARCHIVE, err))
		return -1;
	struct archive *a = archive_read_new();
	if (!a)
		return husk_error(err, ENOMEM, "load");
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	int r = 0;
	if (archive_read_open_fd(a, fd, 1 << 20) != ARCHIVE_OK) {
		r = husk_error(err, 0, "load: %s", archive_error_string(a));
	} else {
		struct archive_entry *e;
		int rc;
		while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN)
			if ((r = read_member(a, e, L, err)))
				break;
		if (!r && rc != ARCHIVE_EOF)
			r = husk_error(err, 0, "load: not a docker-save or OCI archive: %s",
				       archive_error_string(a));
	}
	archive_read_free(a);
	return r;
}

int image_load(struct store *st, const char *path, load_report_fn report, void *arg,
	       struct husk_err *err)
{
	cleanup_close int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0)
		return husk_error(err, errno, "load: '%s'", path);
	struct loaded L;
	if (loaded_init(&L, st, err))
		return -1;
	int r = read_archive(fd, &L, err);
	if (!r && loaded_find_json(&L, "manifest.json"))
		r = load_docker(&L, report, arg, err);
	else if (!r && loaded_find_json(&L, "index.json"))
		r = load_oci(&L, report, arg, err);
	else if (!r)
		r = husk_error(err, 0, "load: '%s' has neither manifest.json (docker save) nor "
			       "index.json (OCI layout)", path);
	loaded_free(&L);
	return r;
}
