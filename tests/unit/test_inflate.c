/* image/inflate.c, with ISA-L and with zlib behind it, against zlib's compressor: what
 * zlib compresses, gz_inflate gives back byte for byte, fed and drained in chunks of
 * every size; what zlib would refuse (a bad CRC, a bad length, a cut stream) it
 * refuses; concatenated members and trailing bytes are read as libarchive reads
 * them. A backend that is not there is skipped; 77 when neither is. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "image/inflate.h"
#include "util/error.h"

static const char *backend; /* HUSK_INFLATE's value for the cases being run */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

/* not inlined: gcc then mistakes with()'s lengths for overflows */
__attribute__((noinline)) static void append(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) { /* doubling: ASan's realloc always copies */
		b->cap = (b->len + n + 1) * 2;
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* the first n bytes of base, then tail_len bytes of tail, as a new buffer */
static struct buf with(const struct buf *base, size_t n, const void *tail, size_t tail_len)
{
	struct buf b = { 0 };
	append(&b, base->p, n);
	append(&b, tail, tail_len);
	return b;
}

/* one gzip member of data, by zlib */
static void gzip_member(struct buf *out, const unsigned char *data, size_t n, int level)
{
	z_stream z = { 0 };
	deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	unsigned char *tmp = malloc(deflateBound(&z, n) + 64);
	z.next_in = (unsigned char *)data;
	z.avail_in = (unsigned)n;
	z.next_out = tmp;
	z.avail_out = (unsigned)(deflateBound(&z, n) + 64);
	deflate(&z, Z_FINISH);
	append(out, tmp, z.total_out);
	deflateEnd(&z);
	free(tmp);
}

/* gz_inflate of the whole input, given in_chunk bytes at a time into out_cap-byte
 * outputs: 0 and the bytes in out, or -1 */
static int inflate_all(const struct buf *in, size_t in_chunk, size_t out_cap, struct buf *out)
{
	struct gz *gz = gz_new();
	struct husk_err err = { 0 };
	unsigned char *o = malloc(out_cap);
	size_t off = 0;
	int r = 0;
	out->len = 0;
	for (;;) {
		size_t n = in->len - off < in_chunk ? in->len - off : in_chunk;
		const uint8_t *p = in->p + off;
		size_t left = n;
		bool end = off + n == in->len, done = false;
		ssize_t got;
		while ((got = gz_inflate(gz, &p, &left, end, o, out_cap, &done, &err)) > 0 || !done) {
			if (got < 0) {
				r = -1;
				goto out;
			}
			append(out, o, (size_t)got);
			if (got == 0 && left == 0 && !end)
				break;
			if (got == 0 && end && !done) { /* no progress at the end */
				r = -1;
				goto out;
			}
		}
		if (done)
			break;
		off += n - left;
	}
out:
	free(o);
	gz_free(gz);
	return r;
}

static void sample(struct buf *b, size_t n, unsigned seed)
{
	b->p = malloc(n + 1);
	b->len = n;
	b->cap = n + 1;
	srand(seed);
	for (size_t i = 0; i < n; i++) /* some text-like runs, some noise */
		b->p[i] = (i / 512) % 3 ? (unsigned char)('a' + i % 23) : (unsigned char)rand();
}

static void round_trip(const char *what, const struct buf *in, const struct buf *want)
{
	static const size_t chunks[] = { 1, 7, 4096, 1 << 20 };
	static const size_t caps[] = { 1, 13, 128 * 1024 };
	for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++)
		for (size_t j = 0; j < sizeof caps / sizeof *caps; j++) {
			if (chunks[i] == 1 && in->len > 20000)
				continue; /* slow under ASan; the small streams have it */
			struct buf out = { 0 };
			int r = inflate_all(in, chunks[i], caps[j], &out);
			CHECKF(r == 0 && out.len == want->len &&
				       (!want->len || memcmp(out.p, want->p, want->len) == 0),
			       "%s: %s, input chunks %zu, output %zu: r %d, %zu of %zu bytes", backend, what,
			       chunks[i], caps[j], r, out.len, want->len);
			free(out.p);
		}
}

static void refused(const char *what, const struct buf *in)
{
	struct buf out = { 0 };
	CHECKF(inflate_all(in, 4096, 128 * 1024, &out) == -1, "%s: %s: not refused", backend, what);
	CHECKF(inflate_all(in, 1, 13, &out) == -1, "%s: %s (small chunks): not refused", backend,
	       what);
	free(out.p);
}

static void cases(void)
{
	struct buf a, b, empty = { 0 }, ab = { 0 };
	sample(&a, 300000, 1);
	sample(&b, 5000, 2);
	append(&ab, a.p, a.len);
	append(&ab, b.p, b.len);

	struct buf one = { 0 }, stored = { 0 }, two = { 0 }, none = { 0 };
	gzip_member(&one, a.p, a.len, 6);
	round_trip("one member", &one, &a);
	gzip_member(&stored, a.p, a.len, 0);
	round_trip("stored blocks (level 0)", &stored, &a);
	gzip_member(&two, a.p, a.len, 9);
	gzip_member(&two, b.p, b.len, 1);
	round_trip("two members", &two, &ab);
	gzip_member(&none, (const unsigned char *)"", 0, 6);
	round_trip("an empty member", &none, &empty);
	struct buf small = { 0 }, bb = { 0 }, small2 = { 0 };
	gzip_member(&small, b.p, b.len, 6);
	round_trip("a small member", &small, &b);
	append(&bb, b.p, b.len);
	append(&bb, b.p, b.len);
	append(&small2, small.p, small.len);
	append(&small2, small.p, small.len);
	round_trip("two small members", &small2, &bb);

	struct buf trail = with(&one, one.len, "\0\0\0\0 not gzip", 14);
	round_trip("trailing bytes", &trail, &a);
	struct buf lone = with(&one, one.len, "\x1f", 1);
	round_trip("a lone 0x1f after the member", &lone, &a);
	struct buf badhdr = with(&one, one.len, "\x1f\x8b\x63garbage", 10);
	round_trip("a bad second header (libarchive stops there)", &badhdr, &a);

	struct buf cut = with(&one, one.len / 2, "", 0);
	refused("a stream cut in half", &cut);
	struct buf notrailer = with(&one, one.len - 8, "", 0);
	refused("a stream without its trailer", &notrailer);
	struct buf crc = with(&one, one.len, "", 0);
	crc.p[crc.len - 8] ^= 1;
	refused("a wrong CRC", &crc);
	struct buf isize = with(&one, one.len, "", 0);
	isize.p[isize.len - 1] ^= 1;
	refused("a wrong length", &isize);
	struct buf method = with(&one, one.len, "", 0);
	method.p[2] = 7;
	refused("a method other than deflate", &method);
	struct buf flip = with(&one, one.len, "", 0);
	for (size_t i = 100; i < flip.len - 100; i += 997)
		flip.p[i] ^= 0x5a;
	refused("corrupt deflate data", &flip);
	struct buf cut2 = with(&two, two.len - 20, "", 0);
	refused("a second member cut", &cut2);

	struct buf *all[] = { &a, &b, &ab, &one, &stored, &two, &none, &small, &bb, &small2,
			      &trail, &lone, &badhdr, &cut, &notrailer, &crc, &isize, &method,
			      &flip, &cut2 };
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		free(all[i]->p);
}

int main(void)
{
	static const struct { const char *mode; enum gz_kind kind; } backends[] = {
		{ "isal", GZ_ISAL }, { "zlib", GZ_ZLIB },
	};
	int ran = 0;
	for (size_t i = 0; i < sizeof backends / sizeof *backends; i++) {
		backend = backends[i].mode;
		setenv("HUSK_INFLATE", backend, 1);
		struct gz *probe = gz_new();
		bool here = probe && gz_kind(probe) == backends[i].kind;
		gz_free(probe);
		if (!here) {
			fprintf(stderr, "skip %s: not there or not built in\n", backend);
			continue;
		}
		cases();
		ran++;
	}
	setenv("HUSK_INFLATE", "libarchive", 1);
	struct gz *none = gz_new();
	CHECK(none == NULL); /* libarchive's filter inflates then */
	gz_free(none);
	if (!ran)
		return 77;
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
