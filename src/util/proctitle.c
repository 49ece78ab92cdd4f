#include "util/proctitle.h"

#include <string.h>

static char *area;
static size_t area_len;

void proctitle_init(int argc, char **argv)
{
	if (argc < 1)
		return;
	/* argv strings are contiguous: the area runs from argv[0] to the end of the last */
	area = argv[0];
	area_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]) + 1;
}

void proctitle_set(const char *title)
{
	if (!area)
		return;
	size_t n = strlen(title);
	if (n >= area_len)
		n = area_len - 1;
	/* the kernel reads cmdline up to the first NUL when the area was rewritten */
	memset(area, 0, area_len);
	memcpy(area, title, n);
}
