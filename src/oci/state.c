/* husk state ID: the OCI state JSON (ociVersion, id, status, pid, bundle,
 * annotations, rootfs, created). Reads only the record and /proc: it works with an
 * environment holding nothing but XDG_RUNTIME_DIR, as conmon calls it. */
#include <stdio.h>
#include <string.h>

#include "oci/oci.h"

int cmd_oci_state(struct husk_global *g, int argc, char **argv)
{
	struct husk_err err = { 0 };
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts("Usage: husk state ID\n\nPrint the OCI state of a container as JSON.");
		return 0;
	}
	if (argc != 2) {
		husk_error(&err, 0, "state: expected exactly one container ID (usage: husk state ID)");
		return oci_fail(&err);
	}
	struct oci_ctr c;
	if (oci_ctr_open(g, argv[1], &c, &err))
		return oci_fail(&err);
	json_object *st = oci_ctr_state_json(&c);
	printf("%s\n", json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(st);
	oci_ctr_close(&c);
	return 0;
}
