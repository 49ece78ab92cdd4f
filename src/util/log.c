#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static bool log_json, log_debug;

int log_open(const char *path, bool json)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	log_json = json;
	return 0;
}

void log_set_debug(bool on) { log_debug = on; }
bool log_debug_enabled(void) { return log_debug; }

/* RFC 3339 with nanoseconds, UTC, as Go's time.RFC3339Nano parses it */
void log_now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

void log_write(const char *level, const char *msg)
{
	if (log_fd < 0 || (!strcmp(level, "debug") && !log_debug))
		return;
	char when[64], line[1200];
	int saved = errno;
	log_now_rfc3339(when, sizeof when);
	json_object *m = json_object_new_string(msg);
	const char *quoted = m ? json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "\"\"";
	int n;
	if (log_json)
		n = snprintf(line, sizeof line, "{\"level\":\"%s\",\"msg\":%s,\"time\":\"%s\"}\n",
			     level, quoted, when);
	else
		n = snprintf(line, sizeof line, "time=\"%s\" level=%s msg=%s\n", when, level, quoted);
	json_object_put(m);
	if (n > 0 && (size_t)n < sizeof line)
		(void)!write(log_fd, line, (size_t)n); /* one write: lines never interleave */
	errno = saved;
}

void log_debugf(const char *fmt, ...)
{
	if (log_fd < 0 || !log_debug)
		return;
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_write("debug", msg);
}
