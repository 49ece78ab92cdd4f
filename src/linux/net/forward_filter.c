/* husk0 allowed in iptables' FORWARD chain (forward_filter.h says why). The rules
 * go in through iptables-restore, one transaction for both, as docker's own go in
 * through iptables: its FORWARD chain holds xtables matches (conntrack, comment)
 * that only iptables writes in a form it reads back. It runs only on a host that
 * has the filter table, on the first bridge container (7 ms measured) and the last. */
#include "linux/net/forward_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/net/ipam.h"
#include "linux/net/nft/batch.h"
#include "util/explain.h"
#include "util/fs.h"
#include "util/path.h"

extern char **environ;

#define RECORD "forward_filter"
/* Where the tools are when PATH does not say (husk run under sudo, a unit file) */
#define TOOL_PATH "/usr/sbin:/sbin:/usr/bin:/bin"

/* Which iptables holds a filter table: the nft backend (table ip filter) or the
 * legacy one (/proc/net/ip_tables_names); NULL for neither. */
static const char *filter_backend(void)
{
	if (nft_table_get("filter") == 0)
		return "iptables-nft-restore";
	char names[256];
	ssize_t n = read_file("/proc/net/ip_tables_names", names, sizeof names);
	for (char *p = n > 0 ? strtok(names, "\n") : NULL; p; p = strtok(NULL, "\n"))
		if (!strcmp(p, "filter"))
			return "iptables-legacy-restore";
	return NULL;
}

/* The first of NAME, then iptables-restore, found in PATH and TOOL_PATH. */
static int find_tool(const char *name, char *out, size_t len)
{
	const char *names[] = { name, "iptables-restore" };
	const char *env = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof dirs, "%s:" TOOL_PATH, env && *env ? env : "");
	for (size_t i = 0; i < 2; i++) {
		for (const char *d = dirs; *d; d += strcspn(d, ":") + (d[strcspn(d, ":")] == ':')) {
			size_t dl = strcspn(d, ":");
			if (dl == 0)
				continue;
			snprintf(out, len, "%.*s/%s", (int)dl, d, names[i]);
			if (access(out, X_OK) == 0)
				return 0;
		}
	}
	return -1;
}

/* Runs TOOL -w --noflush with INPUT on stdin (a memfd: no pipe to break if the tool
 * exits early): 0, or -1 with its first line of stderr, or why it could not run. */
static int restore(const char *tool, const char *input, char *why, size_t len)
{
	int in = memfd_create("husk-iptables", MFD_CLOEXEC), errp[2] = { -1, -1 };
	size_t n_in = strlen(input);
	if (in < 0 || write(in, input, n_in) != (ssize_t)n_in || lseek(in, 0, SEEK_SET) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(why, len, "memfd, pipe: %s", strerror(errno));
		if (in >= 0)
			close(in);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	char *argv[] = { (char *)tool, "-w", "--noflush", NULL };
	pid_t pid;
	int r = posix_spawn(&pid, tool, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in);
	close(errp[1]);
	if (r != 0) {
		snprintf(why, len, "%s: %s", tool, strerror(r));
		close(errp[0]);
		return -1;
	}
	/* to EOF: the tool must never block on, or be killed by, a full or closed stderr */
	char msg[256] = "", rest[512];
	size_t got = 0;
	for (ssize_t n; (n = read(errp[0], rest, sizeof rest)) != 0;) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		size_t k = (size_t)n < sizeof msg - 1 - got ? (size_t)n : sizeof msg - 1 - got;
		memcpy(msg + got, rest, k);
		got += k;
	}
	close(errp[0]);
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(why, len, "%s: %s", tool, *msg ? msg : "exited with an error");
	return -1;
}

/* "*filter", one "OP FORWARD RULE" per line of rules, "COMMIT" */
static void script(char *buf, size_t len, const char *op, const char *rules)
{
	size_t off = (size_t)snprintf(buf, len, "*filter\n");
	for (const char *p = rules; *p && off < len; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0)) {
		int n = (int)strcspn(p, "\n");
		if (n)
			off += (size_t)snprintf(buf + off, len - off, "%s FORWARD %.*s\n", op, n, p);
	}
	if (off < len)
		snprintf(buf + off, len - off, "COMMIT\n");
}

/* Deletes the recorded rules: at once, or one by one if some are gone already. */
static void delete_rules(const char *tool, const char *rules)
{
	char in[1024], why[256];
	script(in, sizeof in, "-D", rules);
	if (restore(tool, in, why, sizeof why) == 0)
		return;
	for (const char *p = rules; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0)) {
		char one[512];
		snprintf(one, sizeof one, "%.*s\n", (int)strcspn(p, "\n"), p);
		script(in, sizeof in, "-D", one);
		restore(tool, in, why, sizeof why);
	}
}

/* The record: the tool's path, then one rule per line. */
static int record_read(char *tool, size_t tool_len, char *rules, size_t rules_len)
{
	char rec[1024];
	if (ipam_file_read(RECORD, rec, sizeof rec) <= 0)
		return -1;
	size_t n = strcspn(rec, "\n");
	if (!rec[n])
		return -1;
	snprintf(tool, tool_len, "%.*s", (int)n, rec);
	snprintf(rules, rules_len, "%s", rec + n + 1);
	return 0;
}

void forward_filter_remove(void)
{
	char tool[512], rules[768];
	if (record_read(tool, sizeof tool, rules, sizeof rules) < 0)
		return;
	EXPLAIN_START(t);
	delete_rules(tool, rules);
	ipam_file_remove(RECORD);
	EXPLAIN(t, "iptables -D FORWARD ...   # husk's two " RECORD " rules, as before husk");
}

void forward_filter_allow(const char *bridge)
{
	const char *backend = filter_backend();
	if (!backend)
		return;
	forward_filter_remove(); /* a dead husk's, not to be doubled */
	EXPLAIN_START(t);
	char tool[512], rules[768], rec[1024], in[1024], why[256];
	snprintf(rules, sizeof rules,
		 "-i %s -m comment --comment husk -j ACCEPT\n"
		 "-o %s -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -m comment --comment husk -j ACCEPT\n",
		 bridge, bridge);
	if (find_tool(backend, tool, sizeof tool) < 0) {
		husk_warn("network: iptables has a filter table but no %s or iptables-restore was "
			  "found: forwarded traffic of %s may be dropped", backend, bridge);
		return;
	}
	/* recorded first: if we die right after, the last husk out still removes them */
	if (!path_fits(rec, sizeof rec, "%s\n%s", tool, rules))
		errno = ENAMETOOLONG;
	if (!rec[0] || ipam_file_write(RECORD, rec) < 0) {
		husk_warn("network: recording %s/" RECORD ": %s", IPAM_DIR, strerror(errno));
		return;
	}
	script(in, sizeof in, "-I", rules);
	if (restore(tool, in, why, sizeof why) < 0) {
		ipam_file_remove(RECORD);
		husk_warn("network: allowing %s in iptables' FORWARD chain: %s; its forwarded "
			  "traffic may be dropped", bridge, why);
		return;
	}
	EXPLAIN(t, "iptables -I FORWARD -i %s -j ACCEPT; iptables -I FORWARD -o %s -m conntrack "
		"--ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT   # iptables' FORWARD may drop (dockerd "
		"sets policy DROP); removed with the last bridge container", bridge, bridge);
}

bool forward_filter_active(void)
{
	char tool[512], rules[768];
	return record_read(tool, sizeof tool, rules, sizeof rules) == 0;
}
