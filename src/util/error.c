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

void husk_warn(const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(line, sizeof line, "husk: ");
	n += vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
	line[n - 1] = '\0';
	log_write("error", line + 6); /* without "husk: " */
}
