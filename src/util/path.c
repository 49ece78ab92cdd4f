/* Paths that never get cut (path.h). */
#include "util/path.h"

#include <stdarg.h>
#include <stdio.h>

/* vsnprintf's length of the whole result, -1 on a format error */
static int format_into(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return n < 0 ? -1 : n;
	}
	return n;
}

int path_format(char *buf, size_t size, struct husk_err *err, const char *what,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = format_into(buf, size, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < size)
		return 0;
	char start[81];
	va_start(ap, fmt);
	vsnprintf(start, sizeof start, fmt, ap); /* only the start, to name it */
	va_end(ap);
	if (n < 0)
		return husk_error(err, 0, "%s: cannot format the path '%s'", what, start);
	return husk_error(err, 0, "%s: path too long (%d bytes, at most %zu): '%s...'", what, n,
			  size - 1, start);
}

bool path_fits(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = format_into(buf, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}
