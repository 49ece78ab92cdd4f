#include "util/explain.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

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
	n += vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}
