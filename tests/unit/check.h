/* The one assertion the unit tests share: counts, and names the failing line. */
#pragma once
#include <stdio.h>

static int failed, passed;

#define CHECK(cond)                                                                 \
	do {                                                                        \
		if (cond) {                                                         \
			passed++;                                                   \
		} else {                                                            \
			failed++;                                                   \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                   \
	} while (0)

