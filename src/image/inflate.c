#include "image/inflate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "image/libs.h"
#include "util/error.h"

#ifdef HUSK_HAVE_ISAL
struct gz {
	struct inflate_state s;
	bool later;   /* not the first member: a bad header there ends the stream */
};

struct gz *gz_new(void)
{
	const char *mode = getenv("HUSK_INFLATE");
	if (mode && strcmp(mode, "zlib") == 0)
		return NULL;
	if (libs_want(HUSK_LIB_ISAL))
		return NULL;
	struct gz *gz = malloc(sizeof *gz);
	if (!gz)
		return NULL;
	isal_inflate_init(&gz->s);
	gz->s.crc_flag = ISAL_GZIP;
	gz->later = false;
	return gz;
}

void gz_free(struct gz *gz)
{
	free(gz);
}

static const char *why(int r)
{
	switch (r) {
	case ISAL_INVALID_WRAPPER: return "not a gzip header";
	case ISAL_UNSUPPORTED_METHOD: return "not deflate";
	case ISAL_INCORRECT_CHECKSUM: return "its CRC or size does not match";
	case ISAL_NEED_DICT: return "a dictionary is asked for";
	default: return "corrupt deflate data";
	}
}

ssize_t gz_inflate(struct gz *gz, const uint8_t **in, size_t *in_len, bool in_end,
		   uint8_t *out, size_t cap, bool *done, struct husk_err *err)
{
	size_t made = 0;
	*done = false;
	while (made < cap) {
		if (gz->s.block_state == ISAL_BLOCK_FINISH) {
			/* a member ended: another one, or the end (libarchive ignores the rest) */
			if (*in_len == 0 && !in_end)
				break;
			if (*in_len == 0 || **in != 0x1f) {
				*done = true;
				break;
			}
			isal_inflate_reset(&gz->s);
			gz->s.crc_flag = ISAL_GZIP;
			gz->later = true;
		}
		if (*in_len == 0 && !in_end)
			break;
		size_t avail = *in_len > UINT32_MAX ? UINT32_MAX : *in_len;
		size_t room = cap - made > UINT32_MAX ? UINT32_MAX : cap - made;
		gz->s.next_in = (uint8_t *)*in;
		gz->s.avail_in = (uint32_t)avail;
		gz->s.next_out = out + made;
		gz->s.avail_out = (uint32_t)room;
		int r = isal_inflate(&gz->s);
		/* after an error ISA-L's counts are not to be trusted (fuzz_layer found
		 * avail_in at UINT32_MAX after ISAL_INVALID_LOOKBACK): nothing is taken
		 * from them then, nor when they claim more than was given */
		if (r >= 0 && (gz->s.avail_in > avail || gz->s.avail_out > room))
			r = ISAL_INVALID_BLOCK;
		if (r < 0) {
			if (gz->later && gz->s.total_out == 0) { /* trailing bytes, not a member */
				*done = true;
				break;
			}
			husk_error(err, 0, "inflating the gzip stream: %s", why(r));
			return -1;
		}
		size_t used = avail - gz->s.avail_in, wrote = room - gz->s.avail_out;
		*in += used;
		*in_len -= used;
		made += wrote;
		if (gz->s.block_state == ISAL_BLOCK_FINISH)
			continue;
		if (in_end && *in_len == 0 && wrote == 0) {
			if (gz->later && gz->s.total_out == 0) { /* a lone 0x1f at the end */
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
#else
struct gz *gz_new(void)
{
	return NULL;
}

void gz_free(struct gz *gz)
{
	(void)gz;
}

ssize_t gz_inflate(struct gz *gz, const uint8_t **in, size_t *in_len, bool in_end,
		   uint8_t *out, size_t cap, bool *done, struct husk_err *err)
{
	(void)gz, (void)in, (void)in_len, (void)in_end, (void)out, (void)cap, (void)done;
	return husk_error(err, ENOSYS, "built without ISA-L");
}
#endif
