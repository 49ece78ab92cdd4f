#include "util/error.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static int error_vset(struct husk_err *err, int exit_code, int errnum, const char *fmt,
		      va_list ap)
{
	if (err->set)
		return -1;
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof err->msg)
		snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errnum));
	err->set = 1;
	err->errnum = errnum;
	err->exit_code = exit_code;
	return -1;
}

int husk_error(struct husk_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, HUSK_EXIT_FAILURE, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int husk_error_code(struct husk_err *err, int exit_code, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, exit_code, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int husk_error_print(const struct husk_err *err)
{
	if (!err->set)
		return 0;
	/* one write, so lines from concurrent husk processes never interleave */
	char line[sizeof err->msg + 8];
	int n = snprintf(line, sizeof line, "husk: %s\n", err->msg);
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	log_write("error", err->msg);
	return err->exit_code ? err->exit_code : HUSK_EXIT_FAILURE;
}

size_t line_vappend(char *line, size_t size, size_t n, const char *fmt, va_list ap)
{
	int r = vsnprintf(line + n, size - n - 1, fmt, ap);
	n = r < 0 ? n : n + (size_t)r;
	if (n > size - 2)
		n = size - 2; /* cut, but still one line */
	line[n++] = '\n';
	return n;
}

void husk_warn(const char *fmt, ...)
{
	char line[600] = "husk: ";
	va_list ap;
	va_start(ap, fmt);
	size_t n = line_vappend(line, sizeof line, 6, fmt, ap);
	va_end(ap);
	(void)!write(STDERR_FILENO, line, n);
	line[n - 1] = '\0';
	log_write("error", line + 6); /* without "husk: " */
}
