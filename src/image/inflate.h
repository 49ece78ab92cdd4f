/* gzip layers inflated by ISA-L's igzip (libisal.so.2, Debian's libisal2), about 3x
 * zlib's speed on layers (bench/README.md), or by zlib (libz.so.1) where ISA-L is not
 * installed or HUSK_INFLATE=zlib is set. Both are opened with dlopen and both check
 * each member's CRC and length, which libarchive's gzip reader does not: it is used
 * only when neither library is there or HUSK_INFLATE=libarchive. All three read
 * concatenated members and stop, as libarchive does, at trailing bytes that do not
 * start another member. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct husk_err;
struct gz;

enum gz_kind { GZ_ISAL, GZ_ZLIB };

/* HUSK_INFLATE: unset, empty or "isal" (ISA-L, else zlib, else libarchive), "zlib"
 * or "libarchive"; -1, naming the value, for anything else. The commands that unpack
 * check it before they touch the store. */
enum gz_mode { GZ_MODE_AUTO, GZ_MODE_ZLIB, GZ_MODE_LIBARCHIVE };
int gz_mode(struct husk_err *err);

/* A new inflater, or NULL when neither library is there or built in, or both are
 * turned off (then libarchive's filter inflates). */
struct gz *gz_new(void);
enum gz_kind gz_kind(const struct gz *gz);
void gz_free(struct gz *gz);

/* Inflates from *in (*in_len bytes, advanced past what was used) into out: returns the
 * bytes written (0 with *in_len 0: more input is needed), or -1 with err set on a
 * corrupt stream. in_end: no input follows *in. *done is set once the stream has
 * ended (the rest of the input, if any, is not gzip and is not read). */
ssize_t gz_inflate(struct gz *gz, const uint8_t **in, size_t *in_len, bool in_end,
		   uint8_t *out, size_t cap, bool *done, struct husk_err *err);
