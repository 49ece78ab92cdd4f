/* Paths and names built into fixed buffers: they fit, or the caller gets one line
 * naming the value that did not; nothing is ever cut silently. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* snprintf(buf, size, fmt, ...) that never cuts: 0, or -1 with "<what>: path too
 * long (N bytes, at most M): '<the first bytes>...'" in err; buf is "" then. */
int path_format(char *buf, size_t size, struct husk_err *err, const char *what,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same for callers without an error object: false (buf "") if it does not fit. */
bool path_fits(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
