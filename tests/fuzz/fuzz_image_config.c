/* An image's config (OCI image-spec / docker image JSON, src/image/config.c): what
 * `husk run IMAGE` takes from it (entrypoint, cmd, env, workdir, user) and the
 * layers' diff_ids, each of which must be a valid digest. */
#include "image/config.h"
#include "image/digest.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_config c = { 0 };
	struct husk_err err = { 0 };
	if (image_config_parse((const char *)data, size, &c, &err) == 0) {
		for (size_t i = 0; i < c.n_diff_ids; i++)
			if (!c.diff_ids[i] || strncmp(c.diff_ids[i], "sha256:", 7))
				abort();
		image_config_free(&c);
	} else if (!err.set) {
		abort();
	}
	return 0;
}
