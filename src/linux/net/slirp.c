#include "linux/net/slirp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/explain.h"
#include "util/fs.h"
#include "util/reap.h"

extern char **environ;

void slirp_init(struct slirp *sl)
{
	memset(sl, 0, sizeof *sl);
	sl->exit_fd = -1;
}

/* slirp4netns with the exit pipe's read end as fd 3 and the ready pipe's write end
 * as fd 4 (the only fds it inherits: husk's are close-on-exec). */
static int spawn(struct slirp *sl, pid_t target, int exit_r, int ready_w, struct husk_err *err)
{
	char pidarg[16], api[340];
	snprintf(pidarg, sizeof pidarg, "%d", (int)target);
	snprintf(api, sizeof api, "--api-socket=%s", sl->api);
	char *argv[] = { "slirp4netns", "--configure", "--mtu=65520", "--disable-host-loopback",
			 "--exit-fd=3", "--ready-fd=4", api, pidarg, "tap0", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, exit_r, 3);
	posix_spawn_file_actions_adddup2(&fa, ready_w, 4);
	/* its own log: an inherited stderr (the caller's pipe, for -d) would stay open */
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, sl->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
	int rc = posix_spawnp(&sl->pid, "slirp4netns", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		sl->pid = 0;
		return husk_error(err, rc, "--network slirp4netns: starting slirp4netns (Debian's "
				  "slirp4netns package)");
	}
	return 0;
}

/* Until slirp4netns writes to --ready-fd: tap0 is up and configured. */
static int wait_ready(struct slirp *sl, int ready_r, struct husk_err *err)
{
	struct pollfd p = { .fd = ready_r, .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, 10000);
	while (r < 0 && errno == EINTR);
	char c;
	if (r > 0 && read(ready_r, &c, 1) == 1)
		return 0;
	int status = 0;
	if (waitpid(sl->pid, &status, WNOHANG) == sl->pid) {
		sl->pid = 0;
		char log[2048] = "";
		ssize_t n = read_file(sl->log, log, sizeof log);
		while (n > 0 && (log[n - 1] == '\n' || log[n - 1] == '\r'))
			log[--n] = '\0';
		const char *last = strrchr(log, '\n');
		return husk_error(err, 0, "--network slirp4netns: slirp4netns exited (status %d) before "
				  "the network was up: %s", WIFEXITED(status) ? WEXITSTATUS(status) :
				  128 + WTERMSIG(status), n > 0 ? (last ? last + 1 : log) : "no message");
	}
	return husk_error(err, r == 0 ? ETIMEDOUT : errno, "--network slirp4netns: waiting for tap0");
}

/* One request on the API socket: {"execute": "add_hostfwd", ...} -> {"return": ...}. */
static int api_request(const char *path, const char *req, struct husk_err *err)
{
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return husk_error(err, ENAMETOOLONG, "--network slirp4netns: API socket %s", path);
	strcpy(sa.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return husk_error(err, errno, "--network slirp4netns: connecting to %s", path);
	size_t n = strlen(req);
	char reply[512] = "";
	if (write(fd, req, n) != (ssize_t)n || shutdown(fd, SHUT_WR) < 0 ||
	    read(fd, reply, sizeof reply - 1) <= 0)
		return husk_error(err, errno, "--network slirp4netns: API request on %s", path);
	if (!strstr(reply, "\"return\""))
		return husk_error(err, 0, "--network slirp4netns: %s", reply);
	return 0;
}

static int publish(struct slirp *sl, const struct husk_spec *s, struct husk_err *err)
{
	for (size_t i = 0; i < s->n_ports; i++) {
		const struct port_map *p = &s->ports[i];
		EXPLAIN_START(t);
		char req[400];
		snprintf(req, sizeof req, "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": "
			 "\"%s\", \"host_addr\": \"%s\", \"host_port\": %u, \"guest_port\": %u}}",
			 p->proto == IPPROTO_UDP ? "udp" : "tcp", p->host_ip[0] ? p->host_ip : "0.0.0.0",
			 p->host_port, p->ctr_port);
		if (api_request(sl->api, req, err))
			return -1;
		EXPLAIN(t, "echo '%s' | socat - UNIX:%s", req, sl->api);
	}
	return 0;
}

int slirp_start(struct slirp *sl, const struct husk_spec *s, pid_t pid, const char *state_dir,
		struct husk_err *err)
{
	EXPLAIN_START(t);
	snprintf(sl->api, sizeof sl->api, "%s/slirp4netns.sock", state_dir);
	snprintf(sl->log, sizeof sl->log, "%s/slirp4netns.log", state_dir);
	int ex[2], rd[2];
	if (pipe2(ex, O_CLOEXEC) < 0)
		return husk_error(err, errno, "--network slirp4netns: pipe");
	if (pipe2(rd, O_CLOEXEC) < 0) {
		close(ex[0]);
		close(ex[1]);
		return husk_error(err, errno, "--network slirp4netns: pipe");
	}
	int r = spawn(sl, pid, ex[0], rd[1], err);
	close(ex[0]);
	close(rd[1]);
	sl->exit_fd = ex[1];
	if (r == 0)
		r = wait_ready(sl, rd[0], err);
	close(rd[0]);
	if (r)
		return -1;
	EXPLAIN(t, "slirp4netns --configure --mtu=65520 --disable-host-loopback --api-socket %s "
		"%d tap0 &   # tap0 %s, gateway 10.0.2.2, DNS " SLIRP_DNS, sl->api, (int)pid, SLIRP_ADDR);
	return publish(sl, s, err);
}

/* slirp4netns exits when its exit pipe closes; the kernel's work in its exit (most
 * likely its tap device's teardown) takes ~20 ms of that. Woken by its pidfd as it
 * exits (a poll of waitpid every 10 ms cost a rootless run 8-12 ms more); a stuck one
 * is killed after a second. */
static void reap(pid_t pid)
{
	reap_within(pid, 1000, NULL);
}

void slirp_stop(struct slirp *sl)
{
	if (sl->exit_fd >= 0)
		close(sl->exit_fd);
	sl->exit_fd = -1;
	if (sl->pid > 0)
		reap(sl->pid);
	sl->pid = 0;
	if (sl->api[0])
		unlink(sl->api);
	sl->api[0] = '\0';
}
