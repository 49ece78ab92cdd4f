/* gzip inflated by ISA-L's igzip (libisal.so.2, Debian's libisal2), about 3x zlib's
 * speed on layers (bench/README.md): husk load, import and pull use it for gzip
 * layers when the library is installed; libarchive's zlib otherwise, or when
 * HUSK_INFLATE=zlib is set. ISA-L checks each member's CRC and length (libarchive
 * does not). Both read concatenated members and stop, as libarchive
 * does, at trailing bytes that do not start another member. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct husk_err;
struct gz;

/* A new inflater, or NULL when ISA-L is not there, not built in, or turned off. */
struct gz *gz_new(void);
void gz_free(struct gz *gz);

/* Inflates from *in (*in_len bytes, advanced past what was used) into out: returns the
 * bytes written (0 with *in_len 0: more input is needed), or -1 with err set on a
 * corrupt stream. in_end: no input follows *in. *done is set once the stream has
 * ended (the rest of the input, if any, is not gzip and is not read). */
ssize_t gz_inflate(struct gz *gz, const uint8_t **in, size_t *in_len, bool in_end,
		   uint8_t *out, size_t cap, bool *done, struct husk_err *err);
