/* The IPAM directory's files (src/linux/net/ipam.c): "subnet" and the lease records
 * that a later husk replays when their owner died ("veth NAME", "nft ELEM" lines;
 * src/linux/net/nft/dnat.c parses the element). The input is the subnet file's line,
 * then the lease record. A parsed element must format back to what parses the same. */
#include <stdio.h>

#include "linux/net/ipam.h"
#include "linux/net/nft/dnat.h"

#include "fuzz_common.h"

static void element(const char *line)
{
	struct dnat_elem e, again;
	if (dnat_elem_parse(line, &e) < 0)
		return;
	char buf[128];
	dnat_elem_format(&e, buf, sizeof buf);
	if (dnat_elem_parse(buf, &again) < 0 || memcmp(&e, &again, sizeof e))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	size_t n = strcspn(s, "\n");
	char first[64];
	snprintf(first, sizeof first, "%.*s", (int)(n < sizeof first ? n : sizeof first - 1), s);
	struct subnet sn;
	if (subnet_parse(first, &sn) == 0) {
		char buf[40];
		struct subnet again;
		subnet_format(&sn, buf, sizeof buf);
		if (subnet_parse(buf, &again) < 0 || again.net != sn.net || again.prefix != sn.prefix ||
		    !subnet_contains(&sn, subnet_gateway(&sn)))
			abort();
	}
	/* the record, line by line as network.c's reclaim reads it */
	for (const char *p = s + n + (s[n] == '\n'); *p;) {
		size_t len = strcspn(p, "\n");
		char line[256];
		snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
		if (!strncmp(line, "nft ", 4))
			element(line + 4);
		p += len + (p[len] == '\n');
	}
	free(s);
	return 0;
}
