/* --log FILE [--log-format text|json]: husk's messages also go to a file, one line
 * each, as engines expect from a runc-compatible runtime. containerd takes the last
 * {"level":"error","msg":"...","time":"RFC3339"} line of it as the error it reports. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Opens (creates) the file at once, so it exists before anything can fail. */
int log_open(const char *path, bool json);
/* One line (level "error", "warning", "debug"); nothing if no log is open. */
void log_write(const char *level, const char *msg);
/* --debug: debug lines are written too. */
void log_set_debug(bool on);
bool log_debug_enabled(void);
void log_debugf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Now as RFC 3339 with nanoseconds, UTC (Go's time.RFC3339Nano parses it): the
 * log lines' "time", the OCI state's "created". len: 40 is enough. */
void log_now_rfc3339(char *buf, size_t len);
