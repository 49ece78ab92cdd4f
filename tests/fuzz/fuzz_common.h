/* What the fuzzers share: the input as a C string, and a file that holds it. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a malloc'd NUL-terminated string (cut at the first NUL, as argv would be) */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Rewrites the memfd fd with data: the parsers that take a path read it through
 * /proc/self/fd/N. Returns fd (made on the first call). */
static inline int fuzz_memfd(int *fd, const uint8_t *data, size_t size)
{
	if (*fd < 0 && (*fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(*fd, 0) < 0 || pwrite(*fd, data, size, 0) != (ssize_t)size)
		abort();
	return *fd;
}
