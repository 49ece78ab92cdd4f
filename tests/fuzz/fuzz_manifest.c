/* Image manifests, indexes and docker-save's manifest.json (src/image/manifest.c):
 * the same bytes through each reader, as a registry or an archive may hand husk any
 * of them under any name. */
#include "image/manifest.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	struct husk_err err = { 0 };
	struct manifest m = { 0 };
	if (manifest_parse(json, size, &m, &err) == 0) {
		for (size_t i = 0; i < m.n_layers; i++)
			/* -1: the descriptor gave no size */
			if (m.layers[i].size < -1 || !memchr(m.layers[i].digest, '\0', sizeof m.layers[i].digest))
				abort();
		manifest_free(&m);
	} else if (!err.set) {
		abort();
	}
	memset(&err, 0, sizeof err);
	struct image_index ix = { 0 };
	if (index_parse(json, size, &ix, &err) == 0) {
		const struct descriptor *d = index_pick(&ix, "linux", "amd64");
		if (d && (d < ix.manifests || d >= ix.manifests + ix.n))
			abort();
		index_free(&ix);
	} else if (!err.set) {
		abort();
	}
	(void)manifest_is_index(json, size);
	memset(&err, 0, sizeof err);
	struct docker_manifest *dm = NULL;
	size_t n = 0;
	if (docker_manifest_parse(json, size, &dm, &n, &err) == 0)
		docker_manifest_free(dm, n);
	else if (!err.set)
		abort();
	return 0;
}
