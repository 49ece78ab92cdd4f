/* spin MS [PREFIX]: busy-loop for MS milliseconds of wall-clock time and print
 *   wall_us=2000123 cpu_us=1000456
 * (the loop's wall time and the process's own CPU time, in microseconds).
 *
 * With PREFIX it takes part in a handshake, so that whoever reads the cgroup's CPU
 * counters brackets exactly the loop: it creates PREFIX.ready, waits for PREFIX.go,
 * spins, writes its figures to PREFIX.done, then waits for PREFIX.stop before it
 * exits. While waiting it only sleeps (10 ms steps, 120 s at most), so the counters
 * hardly move outside the loop. */
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

static void put(const char *prefix, const char *suffix, const char *text)
{
	/* write to a temporary name, then rename: the reader never sees half a file */
	char path[512], tmp[520];
	snprintf(path, sizeof path, "%s.%s", prefix, suffix);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		perror(path);
		exit(1);
	}
}

static void await(const char *prefix, const char *suffix)
{
	char path[512];
	snprintf(path, sizeof path, "%s.%s", prefix, suffix);
	struct timespec step = { 0, 10 * 1000 * 1000 };
	for (int i = 0; i < 12000 && access(path, F_OK) != 0; i++)
		nanosleep(&step, NULL);
}

int main(int argc, char **argv)
{
	long long ms = argc > 1 ? atoll(argv[1]) : 2000;
	const char *prefix = argc > 2 ? argv[2] : NULL;
	if (prefix) {
		put(prefix, "ready", "ready\n");
		await(prefix, "go");
	}
	long long w0 = now_us(CLOCK_MONOTONIC), c0 = now_us(CLOCK_PROCESS_CPUTIME_ID);
	volatile unsigned long x = 0;
	while (now_us(CLOCK_MONOTONIC) - w0 < ms * 1000)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
	long long w = now_us(CLOCK_MONOTONIC) - w0, c = now_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
	char line[128];
	snprintf(line, sizeof line, "wall_us=%lld cpu_us=%lld\n", w, c);
	fputs(line, stdout);
	if (prefix) {
		put(prefix, "done", line);
		await(prefix, "stop");
	}
	return 0;
}
