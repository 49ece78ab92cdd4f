/* spin MS [STARTFILE DONEFILE]: busy-loop for MS milliseconds of wall-clock time.
 * Creates STARTFILE when the loop starts and writes DONEFILE when it ends, with the
 * wall time and the process's own CPU time in microseconds:
 *   wall_us=2000123 cpu_us=1000456
 * so the caller can read the cgroup's CPU counters at both ends. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long now_us(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void put(const char *path, const char *text)
{
	/* write to a temporary name, then rename: the reader never sees half a file */
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	long long ms = argc > 1 ? atoll(argv[1]) : 2000;
	if (argc > 2)
		put(argv[2], "started\n");
	long long w0 = now_us(CLOCK_MONOTONIC), c0 = now_us(CLOCK_PROCESS_CPUTIME_ID);
	volatile unsigned long x = 0;
	while (now_us(CLOCK_MONOTONIC) - w0 < ms * 1000)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
	long long w = now_us(CLOCK_MONOTONIC) - w0, c = now_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
	char line[128];
	snprintf(line, sizeof line, "wall_us=%lld cpu_us=%lld\n", w, c);
	if (argc > 3)
		put(argv[3], line);
	else
		fputs(line, stdout);
	return 0;
}
