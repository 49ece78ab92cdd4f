/* husk stats [--no-stream] [--format table|json] [NAME...]: CPU %, memory usage and
 * limit, processes and network I/O of running containers, read from their cgroups
 * (v1 or v2) and from /proc/PID/net/dev, refreshed every second like docker stats. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "engine/state.h"
#include "util/cleanup.h"
#include "util/fs.h"

struct sample {
	char name[65];
	bool running;
	uint64_t cpu_ns, at_ns;
	int64_t mem, mem_limit, pids;
	int64_t rx, tx; /* -1: not measured (host network) */
	double cpu_pct;
};

static void stats_usage(FILE *out)
{
	fputs("Usage: husk stats [--no-stream] [--format table|json] [NAME...]\n\n"
	      "Show the resource use of running containers (all of them without NAME), refreshed\n"
	      "every second: CPU %, memory usage / limit, processes, network I/O.\n\n"
	      "      --no-stream    print one measurement and exit\n"
	      "      --format F     table (default) or json (one array per refresh)\n"
	      "      --help         print this help\n",
	      out);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The directory of a controller: v2's single one, or v1's "cpu,cpuacct" kind. */
static const char *cg_dir(json_object *cg, const char *ctrl)
{
	const char *v2 = state_get_str(cg, "path", NULL);
	json_object *paths = NULL;
	if (v2 || !json_object_object_get_ex(cg, "paths", &paths))
		return v2;
	size_t n = strlen(ctrl);
	json_object_object_foreach(paths, key, val) {
		for (const char *p = key; (p = strstr(p, ctrl)); p += n)
			if ((p == key || p[-1] == ',') && (p[n] == ',' || !p[n]))
				return json_object_get_string(val);
	}
	return NULL;
}

/* A number from dir/file, or from the line "key N" of it when key is set. */
static int64_t cg_read(const char *dir, const char *file, const char *key)
{
	char path[400], buf[8192];
	if (!dir)
		return -1;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (read_file(path, buf, sizeof buf) < 0)
		return -1;
	if (!key)
		return !strncmp(buf, "max", 3) ? INT64_MAX : strtoll(buf, NULL, 10);
	size_t k = strlen(key);
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, key, k) && line[k] == ' ')
			return strtoll(line + k + 1, NULL, 10);
	return -1;
}

static int64_t host_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (int64_t)pages * size : INT64_MAX;
}

static void sample_cgroup(json_object *cg, struct sample *s)
{
	bool v2 = !strcmp(state_get_str(cg, "mode", ""), "v2");
	const char *mem = cg_dir(cg, "memory");
	int64_t inactive;
	if (v2) {
		int64_t usec = cg_read(cg_dir(cg, "cpu"), "cpu.stat", "usage_usec");
		s->cpu_ns = usec > 0 ? (uint64_t)usec * 1000 : 0;
		s->mem = cg_read(mem, "memory.current", NULL);
		s->mem_limit = cg_read(mem, "memory.max", NULL);
		inactive = cg_read(mem, "memory.stat", "inactive_file");
	} else {
		int64_t ns = cg_read(cg_dir(cg, "cpuacct"), "cpuacct.usage", NULL);
		s->cpu_ns = ns > 0 ? (uint64_t)ns : 0;
		s->mem = cg_read(mem, "memory.usage_in_bytes", NULL);
		s->mem_limit = cg_read(mem, "memory.limit_in_bytes", NULL);
		inactive = cg_read(mem, "memory.stat", "total_inactive_file");
	}
	/* docker's "usage": the page cache that could be dropped at once does not count */
	if (inactive > 0 && inactive < s->mem)
		s->mem -= inactive;
	int64_t host = host_memory();
	if (s->mem_limit <= 0 || s->mem_limit > host)
		s->mem_limit = host;
	s->pids = cg_read(cg_dir(cg, "pids"), "pids.current", NULL);
}

/* Bytes received and sent on every interface but lo, in PID 1's network namespace. */
static void sample_net(pid_t pid, struct sample *s)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/net/dev", (int)pid);
	cleanup_fclose FILE *f = fopen(path, "re");
	char line[512];
	s->rx = s->tx = 0;
	while (f && fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		char ifname[32];
		long long v[9];
		if (!colon || sscanf(line, " %31[^:]", ifname) != 1 || !strcmp(ifname, "lo"))
			continue;
		if (sscanf(colon + 1, "%lld %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
			s->rx += v[0];
			s->tx += v[8];
		}
	}
}

static void take_sample(const struct ctr_record *c, struct sample *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", c->name);
	s->rx = s->tx = -1;
	s->at_ns = mono_ns();
	int fd = c->state == CTR_RUNNING ? ctr_pid1_fd(c) : -1;
	if (fd < 0)
		return;
	close(fd);
	s->running = true;
	json_object *cg = NULL, *net = NULL;
	json_object_object_get_ex(c->rec, "cgroup", &cg);
	json_object_object_get_ex(c->rec, "network", &net);
	sample_cgroup(cg, s);
	if (strcmp(state_get_str(net, "mode", ""), "host"))
		sample_net(c->pid, s);
}

static void set_cpu(struct sample *s, const struct sample *prev, size_t nprev)
{
	for (size_t i = 0; i < nprev; i++)
		if (!strcmp(prev[i].name, s->name) && prev[i].running && s->running &&
		    s->at_ns > prev[i].at_ns && s->cpu_ns >= prev[i].cpu_ns) {
			/* of one CPU, as docker: 200% is two CPUs busy */
			s->cpu_pct = 100.0 * (double)(s->cpu_ns - prev[i].cpu_ns) /
				     (double)(s->at_ns - prev[i].at_ns);
			return;
		}
}

static void print_row(const struct sample *s, int width)
{
	char mem[80] = "--", lim[32], net[80] = "--", rx[32], tx[32], cpu[16] = "--", pct[16] = "--",
	     pids[24] = "--";
	if (s->running) {
		snprintf(cpu, sizeof cpu, "%.2f%%", s->cpu_pct);
		format_bytes((double)s->mem, mem, sizeof mem);
		format_bytes((double)s->mem_limit, lim, sizeof lim);
		snprintf(mem + strlen(mem), sizeof mem - strlen(mem), " / %s", lim);
		snprintf(pct, sizeof pct, "%.2f%%", 100.0 * (double)s->mem / (double)s->mem_limit);
		snprintf(pids, sizeof pids, "%lld", (long long)s->pids);
		if (s->rx >= 0) {
			format_bytes((double)s->rx, rx, sizeof rx);
			format_bytes((double)s->tx, tx, sizeof tx);
			snprintf(net, sizeof net, "%s / %s", rx, tx);
		}
	}
	printf("%-*s   %-8s   %-22s   %-8s   %-22s   %s\n", width, s->name, cpu, mem, pct, net, pids);
}

static void print_table(const struct sample *v, size_t n, bool clear)
{
	int width = 4;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(v[i].name) > width)
			width = (int)strlen(v[i].name);
	if (clear)
		fputs("\033[H\033[2J", stdout); /* as docker stats: the table in place */
	printf("%-*s   %-8s   %-22s   %-8s   %-22s   %s\n", width, "NAME", "CPU %",
	       "MEM USAGE / LIMIT", "MEM %", "NET I/O", "PIDS");
	for (size_t i = 0; i < n; i++)
		print_row(&v[i], width);
}

static void print_json(const struct sample *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(v[i].name));
		json_object_object_add(o, "running", json_object_new_boolean(v[i].running));
		json_object_object_add(o, "cpu_percent", json_object_new_double(v[i].cpu_pct));
		json_object_object_add(o, "memory_usage", json_object_new_int64(v[i].mem));
		json_object_object_add(o, "memory_limit", json_object_new_int64(v[i].mem_limit));
		json_object_object_add(o, "pids", json_object_new_int64(v[i].pids));
		json_object_object_add(o, "net_rx_bytes", json_object_new_int64(v[i].rx));
		json_object_object_add(o, "net_tx_bytes", json_object_new_int64(v[i].tx));
		json_object_array_add(a, o);
	}
	puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
}

/* The containers to show this round: those named, or every running one. */
static int collect(const struct husk_global *g, char **names, size_t nn, bool first,
		   struct ctr_record **v, size_t *n)
{
	if (!nn) {
		if (ctr_list(g, v, n) < 0)
			return -1;
		size_t k = 0;
		for (size_t i = 0; i < *n; i++) {
			if ((*v)[i].state == CTR_RUNNING)
				(*v)[k++] = (*v)[i];
			else
				ctr_close(&(*v)[i]);
		}
		*n = k;
		return 0;
	}
	*v = calloc(nn, sizeof **v);
	*n = 0;
	if (!*v)
		return -1;
	for (size_t i = 0; i < nn; i++) {
		if (ctr_open(g, names[i], &(*v)[*n]) == 0)
			(*n)++;
		else if (first) { /* the message is out; later, a removed one just goes */
			ctr_list_free(*v, *n);
			return -1;
		}
	}
	return 0;
}

static int stats_loop(const struct husk_global *g, char **names, size_t nn, bool stream, bool json)
{
	struct sample *prev = NULL;
	size_t nprev = 0;
	for (int round = 0;; round++) {
		struct ctr_record *v;
		size_t n;
		if (collect(g, names, nn, round == 0, &v, &n) < 0) {
			free(prev);
			return 1;
		}
		struct sample *cur = calloc(n ? n : 1, sizeof *cur);
		for (size_t i = 0; cur && i < n; i++) {
			take_sample(&v[i], &cur[i]);
			set_cpu(&cur[i], prev, nprev);
		}
		ctr_list_free(v, n);
		if (cur && round > 0) {
			if (json)
				print_json(cur, n);
			else
				print_table(cur, n, stream);
			fflush(stdout);
		}
		free(prev);
		prev = cur;
		nprev = n;
		if (round > 0 && !stream)
			break;
		/* the first window is short, so the first figures come quickly */
		struct timespec ts = { round ? 1 : 0, round ? 0 : 500 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	free(prev);
	return 0;
}

int cmd_stats(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-stream", no_argument, NULL, 'N' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const struct cli_opts cmd = { "stats", "+", opts, stats_usage };
	struct cli_flag_format o = { 0 }; /* flag: --no-stream */
	int r = cli_options(&cmd, argc, argv, cli_flag_or_format, &o);
	if (r >= 0)
		return r;
	return stats_loop(g, argv + optind, (size_t)(argc - optind), !o.flag, o.json);
}
