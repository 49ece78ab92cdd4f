/* --explain: each step printed as the equivalent shell command with its duration.
 * The line is written by the code that performs the step, right after it, so the
 * explanation cannot drift from what husk does. Off: one predictable branch. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

extern bool explain_enabled;

/* Monotonic time in microseconds (only read when explaining). */
uint64_t explain_now(void);

void explain_line(uint64_t start_us, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* EXPLAIN_START(t) before a step, EXPLAIN(t, "shell command", ...) after it. */
#define EXPLAIN_START(t) uint64_t t = explain_enabled ? explain_now() : 0
#define EXPLAIN(t, ...)                                    \
	do {                                               \
		if (__builtin_expect(explain_enabled, 0)) \
			explain_line((t), __VA_ARGS__);    \
	} while (0)
