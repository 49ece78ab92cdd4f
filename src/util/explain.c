#include "util/explain.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"

bool explain_enabled;

uint64_t explain_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void explain_line(uint64_t start_us, const char *fmt, ...)
{
	char line[1024];
	uint64_t dur = explain_now() - start_us;
	int n = snprintf(line, sizeof line, "husk: [%6llu us] ", (unsigned long long)dur);
	va_list ap;
	va_start(ap, fmt);
	size_t len = line_vappend(line, sizeof line, (size_t)n, fmt, ap);
	va_end(ap);
	(void)!write(STDERR_FILENO, line, len);
}
