/* An OCI bundle's config.json -> struct husk_spec (src/oci/config*.c), and the same
 * text as `husk exec --process F.json` reads a process object. The spec is
 * validated as the OCI face does before anything is touched. */
#include "oci/config.h"
#include "spec.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	struct husk_spec s;
	struct husk_err err = { 0 };
	spec_init(&s);
	if (oci_config_parse(text, size, "config.json", "/bundle", &s, &err) == 0)
		(void)spec_validate(&s, &err);
	else if (!err.set)
		abort();
	spec_free(&s);
	spec_init(&s);
	memset(&err, 0, sizeof err);
	if (oci_process_parse(text, size, "process.json", &s, &err) < 0 && !err.set)
		abort();
	spec_free(&s);
	free(text);
	return 0;
}
