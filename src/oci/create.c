#include "oci/oci.h"
int cmd_oci_create(struct husk_global *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return 1; }
