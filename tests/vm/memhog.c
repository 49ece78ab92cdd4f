/* memhog MIB: allocate MIB mebibytes and touch every page, so the memory cgroup
 * has to account for all of it. Under a smaller limit the OOM killer ends it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 200;
	long page = sysconf(_SC_PAGESIZE);
	if (mib <= 0) {
		fprintf(stderr, "usage: memhog MIB\n");
		return 2;
	}
	for (long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			fprintf(stderr, "memhog: malloc failed after %ld MiB\n", i);
			return 1;
		}
		for (long off = 0; off < (1 << 20); off += page)
			p[off] = (char)off | 1;
	}
	printf("memhog: touched %ld MiB\n", mib);
	return 0;
}
