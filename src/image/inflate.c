#include "image/inflate.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "image/libs.h"
#include "util/error.h"

struct gz {
	enum gz_kind kind;
	bool later;      /* not the first member: a bad header there ends the stream */
	bool member_end; /* the last member's trailer was read (the next one resets) */
#ifdef HUSK_HAVE_ISAL
	struct inflate_state s;
#endif
#ifdef HUSK_HAVE_ZLIB
	z_stream z;
#endif
};

static struct gz *gz_alloc(enum gz_kind kind)
{
	struct gz *gz = calloc(1, sizeof *gz);
	if (gz)
		gz->kind = kind;
	return gz;
}

static struct gz *isal_new(void)
{
#ifdef HUSK_HAVE_ISAL
	if (libs_want(HUSK_LIB_ISAL))
		return NULL;
	struct gz *gz = gz_alloc(GZ_ISAL);
	if (gz) {
		isal_inflate_init(&gz->s);
		gz->s.crc_flag = ISAL_GZIP;
	}
	return gz;
#else
	return NULL;
#endif
}

static struct gz *zlib_new(void)
{
#ifdef HUSK_HAVE_ZLIB
	if (libs_want(HUSK_LIB_ZLIB))
		return NULL;
	struct gz *gz = gz_alloc(GZ_ZLIB);
	if (gz && inflateInit2(&gz->z, 16 + MAX_WBITS) != Z_OK) { /* gzip wrapper only */
		free(gz);
		return NULL;
	}
	return gz;
#else
	return NULL;
#endif
}

/* HUSK_INFLATE's value as a mode; -1: not one */
static int mode_of(const char *v)
{
	if (!v || !*v || !strcmp(v, "isal"))
		return GZ_MODE_AUTO;
	if (!strcmp(v, "zlib"))
		return GZ_MODE_ZLIB;
	if (!strcmp(v, "libarchive"))
		return GZ_MODE_LIBARCHIVE;
	return -1;
}

int gz_mode(struct husk_err *err)
{
	const char *v = getenv("HUSK_INFLATE");
	int m = mode_of(v);
	if (m < 0)
		return husk_error(err, 0, "invalid HUSK_INFLATE '%s': expected isal, zlib or "
				  "libarchive", v);
	return m;
}

struct gz *gz_new(void)
{
	int m = mode_of(getenv("HUSK_INFLATE")); /* refused earlier (gz_mode): the default */
	if (m == GZ_MODE_LIBARCHIVE)
		return NULL;
	struct gz *gz = m == GZ_MODE_ZLIB ? NULL : isal_new();
	return gz ? gz : zlib_new();
}

enum gz_kind gz_kind(const struct gz *gz)
{
	return gz->kind;
}

void gz_free(struct gz *gz)
{
#ifdef HUSK_HAVE_ZLIB
	if (gz && gz->kind == GZ_ZLIB)
		inflateEnd(&gz->z);
#endif
	free(gz);
}

/* One call of the inflater on at most avail bytes into at most room bytes. */
struct step {
	size_t used, wrote;
	bool member_end; /* the member's trailer was read and checked */
	uint64_t member_out; /* bytes the member has given so far */
	const char *why;     /* an error: what is wrong */
};

#ifdef HUSK_HAVE_ISAL
static const char *isal_why(int r)
{
	switch (r) {
	case ISAL_INVALID_WRAPPER: return "not a gzip header";
	case ISAL_UNSUPPORTED_METHOD: return "not deflate";
	case ISAL_INCORRECT_CHECKSUM: return "its CRC or size does not match";
	case ISAL_NEED_DICT: return "a dictionary is asked for";
	default: return "corrupt deflate data";
	}
}

static void isal_step(struct gz *gz, const uint8_t *in, size_t avail, uint8_t *out, size_t room,
		      struct step *st)
{
	if (gz->member_end) {
		isal_inflate_reset(&gz->s);
		gz->s.crc_flag = ISAL_GZIP;
	}
	gz->s.next_in = (uint8_t *)in;
	gz->s.avail_in = (uint32_t)avail;
	gz->s.next_out = out;
	gz->s.avail_out = (uint32_t)room;
	int r = isal_inflate(&gz->s);
	/* after an error ISA-L's counts are not to be trusted (fuzz_layer found
	 * avail_in at UINT32_MAX after ISAL_INVALID_LOOKBACK): nothing is taken
	 * from them then, nor when they claim more than was given */
	if (r >= 0 && (gz->s.avail_in > avail || gz->s.avail_out > room))
		r = ISAL_INVALID_BLOCK;
	st->member_out = gz->s.total_out;
	if (r < 0) {
		st->why = isal_why(r);
		return;
	}
	st->used = avail - gz->s.avail_in;
	st->wrote = room - gz->s.avail_out;
	st->member_end = gz->s.block_state == ISAL_BLOCK_FINISH;
}
#endif

#ifdef HUSK_HAVE_ZLIB
static void zlib_step(struct gz *gz, const uint8_t *in, size_t avail, uint8_t *out, size_t room,
		      struct step *st)
{
	if (gz->member_end)
		inflateReset(&gz->z);
	gz->z.next_in = (Bytef *)in;
	gz->z.avail_in = (uInt)avail;
	gz->z.next_out = out;
	gz->z.avail_out = (uInt)room;
	int r = inflate(&gz->z, Z_NO_FLUSH);
	st->member_out = gz->z.total_out;
	if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) {
		const char *m = gz->z.msg ? gz->z.msg : "";
		st->why = !strcmp(m, "incorrect data check") || !strcmp(m, "incorrect length check")
				  ? "its CRC or size does not match"
			  : !strcmp(m, "incorrect header check") ? "not a gzip header"
			  : !strcmp(m, "unknown compression method") ? "not deflate"
			  : r == Z_NEED_DICT ? "a dictionary is asked for"
					      : "corrupt deflate data";
		return;
	}
	st->used = avail - gz->z.avail_in;
	st->wrote = room - gz->z.avail_out;
	st->member_end = r == Z_STREAM_END;
}
#endif

static void step(struct gz *gz, const uint8_t *in, size_t avail, uint8_t *out, size_t room,
		 struct step *st)
{
	memset(st, 0, sizeof *st);
#ifdef HUSK_HAVE_ISAL
	if (gz->kind == GZ_ISAL) {
		isal_step(gz, in, avail, out, room, st);
		return;
	}
#endif
#ifdef HUSK_HAVE_ZLIB
	if (gz->kind == GZ_ZLIB) {
		zlib_step(gz, in, avail, out, room, st);
		return;
	}
#endif
	(void)in, (void)avail, (void)out, (void)room;
	st->why = "no inflater";
}

ssize_t gz_inflate(struct gz *gz, const uint8_t **in, size_t *in_len, bool in_end,
		   uint8_t *out, size_t cap, bool *done, struct husk_err *err)
{
	size_t made = 0;
	*done = false;
	while (made < cap) {
		if (gz->member_end) {
			/* a member ended: another one, or the end (libarchive ignores the rest) */
			if (*in_len == 0 && !in_end)
				break;
			if (*in_len == 0 || **in != 0x1f) {
				*done = true;
				break;
			}
			gz->later = true;
		}
		if (*in_len == 0 && !in_end)
			break;
		size_t avail = *in_len > UINT32_MAX ? UINT32_MAX : *in_len;
		size_t room = cap - made > UINT32_MAX ? UINT32_MAX : cap - made;
		struct step st;
		step(gz, *in, avail, out + made, room, &st);
		if (st.why) {
			if (gz->later && st.member_out == 0) { /* trailing bytes, not a member */
				*done = true;
				break;
			}
			husk_error(err, 0, "inflating the gzip stream: %s", st.why);
			return -1;
		}
		*in += st.used;
		*in_len -= st.used;
		made += st.wrote;
		gz->member_end = st.member_end;
		if (st.member_end)
			continue;
		if (in_end && *in_len == 0 && st.wrote == 0) {
			if (gz->later && st.member_out == 0) { /* a lone 0x1f at the end */
				*done = true;
				break;
			}
			husk_error(err, 0, "inflating the gzip stream: it ends early");
			return -1;
		}
		if (*in_len == 0 && !in_end)
			break;
	}
	return (ssize_t)made;
}
