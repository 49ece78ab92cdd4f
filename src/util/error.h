/* husk error object: one message, built where the failure happens, printed once
 * at the top as "husk: <what failed>: <why>". */
#pragma once
#include <stdarg.h>
#include <stddef.h>

/* docker's exit codes */
enum {
	HUSK_EXIT_FAILURE = 125, /* husk itself failed */
	HUSK_EXIT_CANNOT_EXEC = 126,
	HUSK_EXIT_NOT_FOUND = 127,
};

struct husk_err {
	int set;       /* non-zero once a message is recorded */
	int errnum;    /* errno of the failing call, 0 if none */
	int exit_code; /* exit status husk should end with (125 by default) */
	char msg[512];
};

/* Records "fmt: strerror(errnum)" (errnum 0: just fmt) and returns -1.
 * The first error wins: a later clean-up failure never hides the cause. */
int husk_error(struct husk_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, with an explicit exit code (126, 127 ...). */
int husk_error_code(struct husk_err *err, int exit_code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Prints "husk: <msg>" on stderr and returns the exit code to use. */
int husk_error_print(const struct husk_err *err);

/* Appends fmt to the n bytes in line (size >= n + 2), cut to fit, and a '\n';
 * returns the line's length. */
size_t line_vappend(char *line, size_t size, size_t n, const char *fmt, va_list ap);

/* Prints one line "husk: <fmt>" on stderr (for warnings). */
void husk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
