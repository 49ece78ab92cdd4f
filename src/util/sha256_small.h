/* SHA-256 of a buffer without libcrypto (for small blobs; layers use image/digest.h's
 * streaming hasher, libcrypto's). */
#pragma once
#include <stddef.h>
#include <stdint.h>

void sha256_small(const void *data, size_t n, unsigned char md[32]);
