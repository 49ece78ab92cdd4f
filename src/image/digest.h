/* sha256 digests (OpenSSL's libcrypto, opened on first use: image/libs.h): a streaming hasher and the "sha256:<hex>"
 * form that manifests, configs and the store use. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define DIGEST_HEX_LEN 64
/* "sha256:" + 64 hex digits + NUL */
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN + 1)

struct sha256 {
	void *ctx; /* EVP_MD_CTX */
};

int sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t n);
/* Writes "sha256:<hex>" into out (DIGEST_STR_LEN bytes) and frees the context. */
void sha256_final(struct sha256 *h, char out[DIGEST_STR_LEN]);
/* Frees the context without a result (error paths); safe twice. */
void sha256_discard(struct sha256 *h);
/* One-shot "sha256:<hex>" of a buffer. */
int sha256_buffer(const void *data, size_t n, char out[DIGEST_STR_LEN]);

/* Is s exactly "sha256:" followed by 64 lower-case hex digits? (pure) */
bool digest_valid(const char *s);
/* The hex part of a valid digest (s + 7). */
const char *digest_hex(const char *s);
