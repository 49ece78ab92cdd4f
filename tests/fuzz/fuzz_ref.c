/* Image references (src/image/ref.c): NAME[:TAG|@DIGEST] as a user types them. */
#include "image/ref.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct image_ref r;
	const char *why = NULL;
	if (ref_parse(s, &r, &why) == 0) {
		if (!r.registry[0] || !r.repository[0] || (!r.tag[0] && !r.digest[0]))
			abort();
	} else if (!why) {
		abort();
	}
	char out[512];
	(void)ref_with_tag(s, out, sizeof out);
	(void)ref_has_tag(s);
	free(s);
	return 0;
}
