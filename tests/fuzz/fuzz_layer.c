/* A layer as husk load, import and pull unpack it (src/image/unpack.c through
 * layer_stream.c: libarchive's filters, or ISA-L's or zlib's gzip, then libarchive's
 * tar reader and husk's own checks). The first byte sets the size of the chunks the
 * input comes in (% 6) and who inflates gzip (/ 6 % 3: ISA-L, zlib, libarchive); the
 * rest is the layer (a tar, gzip, zstd ...). Unpacked into a
 * fresh directory beside an empty one: whatever the archive says, nothing may
 * appear outside its directory, and a refusal must say why. */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "image/unpack.h"
#include "util/error.h"

#include "fuzz_common.h"

struct reader {
	const uint8_t *p;
	size_t left, chunk;
};

static ssize_t chunks(void *arg, const void **buf)
{
	struct reader *r = arg;
	size_t n = r->left < r->chunk ? r->left : r->chunk;
	*buf = r->p;
	r->p += n;
	r->left -= n;
	return (ssize_t)n;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static int entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	if (!d)
		abort();
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static char base[] = "husk-fuzz-layer-XXXXXX"; /* in the working dir (run.sh's own) */

static void remove_base(void)
{
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char root[PATH_MAX], outside[PATH_MAX];
	if (!root[0]) {
		if (!mkdtemp(base))
			abort();
		atexit(remove_base);
		snprintf(root, sizeof root, "%s/root", base);
		snprintf(outside, sizeof outside, "%s/outside", base);
		if (mkdir(outside, 0755) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	if (mkdir(root, 0755) < 0)
		abort();
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		abort();
	static const size_t sizes[] = { 1, 7, 512, 4096, 65536, SIZE_MAX };
	static const char *const inflaters[] = { "isal", "zlib", "libarchive" };
	struct reader r = { data + 1, size - 1, sizes[data[0] % 6] };
	setenv("HUSK_INFLATE", inflaters[data[0] / 6 % 3], 1);
	struct layer_digests d;
	struct husk_err err = { 0 };
	if (layer_unpack(fd, chunks, &r, &d, &err) < 0 && !err.set)
		abort(); /* a refusal without a reason */
	close(fd);
	if (entries(outside) != 0 || entries(base) != 2)
		abort(); /* something was written outside the layer's directory */
	if (nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		abort();
	return 0;
}
