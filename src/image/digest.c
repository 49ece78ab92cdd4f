#include "image/digest.h"

#include <stdio.h>
#include <string.h>

#include "image/libs.h"
#include "util/sha256_small.h"

int sha256_init(struct sha256 *h)
{
	h->ctx = NULL;
	if (libs_need(HUSK_LIB_CRYPTO, NULL))
		return -1;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		h->ctx = NULL;
		return -1;
	}
	h->ctx = c;
	return 0;
}

void sha256_update(struct sha256 *h, const void *data, size_t n)
{
	if (h->ctx && n)
		EVP_DigestUpdate(h->ctx, data, n);
}

static void to_str(const unsigned char md[32], char out[DIGEST_STR_LEN])
{
	static const char hex[] = "0123456789abcdef";
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[7 + DIGEST_HEX_LEN] = '\0';
}

void sha256_final(struct sha256 *h, char out[DIGEST_STR_LEN])
{
	unsigned char md[32];
	unsigned int len = 0;
	out[0] = '\0';
	if (!h->ctx)
		return;
	EVP_DigestFinal_ex(h->ctx, md, &len);
	sha256_discard(h);
	to_str(md, out);
}

void sha256_discard(struct sha256 *h)
{
	if (h->ctx) /* else libcrypto may not even be open */
		EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

/* no libcrypto: husk run IMAGE verifies its config with this, and the monitor it
 * forks then maps no libcrypto (util/sha256_small.c) */
int sha256_buffer(const void *data, size_t n, char out[DIGEST_STR_LEN])
{
	unsigned char md[32];
	sha256_small(data, n, md);
	to_str(md, out);
	return 0;
}

bool digest_valid(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7))
		return false;
	for (int i = 0; i < DIGEST_HEX_LEN; i++) {
		char c = s[7 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return s[7 + DIGEST_HEX_LEN] == '\0';
}

const char *digest_hex(const char *s)
{
	return s + 7;
}
