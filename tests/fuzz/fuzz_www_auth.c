/* A registry's WWW-Authenticate header (src/image/registry.c): what husk pull turns
 * into the URL of its anonymous token request. The URL must start with the realm's
 * http(s):// and fit its buffer; a short buffer must be refused, never cut. */
#include "image/registry.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = fuzz_str(data, size);
	char url[2048], small[24];
	if (www_authenticate_parse(h, url, sizeof url) == 0) {
		if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
			abort();
		if (!memchr(url, '\0', sizeof url))
			abort();
		/* the same header into a buffer too small for it: refused */
		if (strlen(url) >= sizeof small && www_authenticate_parse(h, small, sizeof small) == 0)
			abort();
	}
	free(h);
	return 0;
}
