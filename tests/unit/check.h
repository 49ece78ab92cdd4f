/* The assertions the unit tests share: they count, and name the failing line. */
#pragma once
#include <stdio.h>

static int failed, passed;

static inline void check_failed(const char *file, int line, const char *cond)
{
	failed++;
	fprintf(stderr, "%s:%d: FAILED: %s", file, line, cond);
}

/* cond, then (when it fails) the rest of the line */
#define CHECK_THEN(cond, ...)                                        \
	do {                                                         \
		if (cond) {                                          \
			passed++;                                    \
		} else {                                             \
			check_failed(__FILE__, __LINE__, #cond);     \
			__VA_ARGS__;                                 \
		}                                                    \
	} while (0)

#define CHECK(cond) CHECK_THEN(cond, fputc('\n', stderr))
/* CHECK with a printf-style note, for checks made in a loop. */
#define CHECKF(cond, ...) \
	CHECK_THEN(cond, fputs(": ", stderr), fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))
