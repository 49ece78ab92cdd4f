/* The published-port forwarder: one epoll loop over the host sockets.
 *
 * TCP: each accepted client gets a non-blocking connection to the container and two
 * pipes; bytes move socket -> pipe -> socket with splice(2), so they never enter
 * user space. A side is read while its pipe has room, so the sender keeps going
 * while the receiver catches up; a socket is in the epoll set only while there is
 * something to wait for on it (level-triggered: no spinning on a hang-up we cannot
 * act on yet). A FIN is passed on as shutdown(WR).
 *
 * UDP (forwarder_udp.c): one connected socket to the container per client address
 * (a "flow"); the container's replies go back from the host port. Idle flows expire.
 *
 * Bounded: at most FWD_MAX_CONNS connections (6 fds each) and FWD_MAX_FLOWS flows,
 * within an fd limit sized for them. At the cap, or when the kernel has no fd or
 * memory for one more, the listeners leave the epoll set (new clients wait in the
 * backlog) and a line on husk's stderr (the container's log with -d) says so: no loop
 * that wakes up on a listener it cannot serve. */
#include "linux/net/ports/forwarder.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/net/ports/forwarder_int.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define PIPE_BYTES (256 << 10)   /* per direction of a TCP connection (measured best here) */
#define BULK (64 << 10)          /* a read this big says more is coming at once */
#define FWD_MAX_CONNS 1024       /* TCP connections, all ports together */
#define FWD_RETRY_MS 100         /* out of fds or memory: accept again after this */

struct conn;

struct end {
	struct handler h;
	struct conn *c;
	int fd;
	uint32_t events; /* what it is registered for; 0 = not in the epoll set */
};

/* one direction: end[i] -> pipe -> end[1 - i] */
struct half {
	int pipe[2];
	size_t len;  /* bytes in the pipe */
	size_t cap;  /* its capacity */
	bool eof;    /* read 0 from the source */
	bool shut;   /* FIN passed on */
};

struct conn {
	struct end end[2]; /* 0: the client, 1: the container */
	struct half dir[2];
	bool connected;
	bool closed;
};


int fwd_ep = -1;

/* the listeners, and whether they are out of the epoll set (full, or out of fds) */
static struct listener *listeners;
static size_t n_listeners;
static size_t n_conns;
static bool paused;
static uint64_t logged_ms; /* the last line about a pause: one per 10 s at most */
static uint64_t paused_until; /* 0: until a connection closes */


/* Freed after each batch of events: a later event of the batch may still point
 * to a connection or flow that an earlier one closed. */
static void **dead;
static size_t n_dead, cap_dead;

void fwd_defer_free(void *p)
{
	if (n_dead == cap_dead) {
		size_t cap = cap_dead ? cap_dead * 2 : 64;
		void **d = realloc(dead, cap * sizeof *d);
		if (!d)
			return; /* leak it rather than risk a use after free */
		dead = d;
		cap_dead = cap;
	}
	dead[n_dead++] = p;
}

static void free_dead(void)
{
	for (size_t i = 0; i < n_dead; i++)
		free(dead[i]);
	n_dead = 0;
}

uint64_t fwd_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- TCP ---------------------------------------------------------------------- */

static void conn_close(struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->end[i].fd >= 0)
			close(c->end[i].fd); /* leaves the epoll set with it */
		for (int j = 0; j < 2; j++)
			if (c->dir[i].pipe[j] >= 0)
				close(c->dir[i].pipe[j]);
	}
	c->closed = true;
	fwd_defer_free(c);
	n_conns--;
	if (paused && !paused_until)
		paused_until = 1; /* a slot is free: resume at the end of this batch */
}

static int set_events(struct end *e, uint32_t want)
{
	if (want == e->events)
		return 0;
	struct epoll_event ev = { .events = want, .data.ptr = e };
	int op = !e->events ? EPOLL_CTL_ADD : !want ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	if (epoll_ctl(fwd_ep, op, e->fd, &ev) < 0)
		return -1;
	e->events = want;
	return 0;
}

/* What each end must wait for now. */
static int conn_update(struct conn *c)
{
	for (int k = 0; k < 2; k++) {
		uint32_t want = 0;
		if (!c->connected) {
			want = k == 1 ? EPOLLOUT : 0;
		} else {
			if (!c->dir[k].eof && c->dir[k].len < c->dir[k].cap)
				want |= EPOLLIN;
			if (c->dir[1 - k].len > 0)
				want |= EPOLLOUT;
		}
		if (set_events(&c->end[k], want) < 0)
			return -1;
	}
	return 0;
}

/* pipe -> socket: 1 if bytes moved, 0 if the socket is full, -1 if broken */
static int drain(struct half *h, int to)
{
	ssize_t n = splice(h->pipe[0], NULL, to, NULL, h->len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		h->len -= (size_t)n;
		return 1;
	}
	return n < 0 && errno == EAGAIN ? 0 : -1;
}

/* socket -> pipe, as much as fits: bytes moved (0 at EOF), -2 if nothing now, -1 */
static ssize_t fill(struct half *h, int from)
{
	ssize_t n = splice(from, NULL, h->pipe[1], NULL, h->cap - h->len,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0)
		h->len += (size_t)n;
	else if (n == 0)
		h->eof = true;
	else
		return errno == EAGAIN ? -2 : -1;
	return n;
}

/* Moves what it can from end[d] to end[1 - d]. -1 on a broken connection. */
static int pump(struct conn *c, int d)
{
	struct half *h = &c->dir[d];
	int from = c->end[d].fd, to = c->end[1 - d].fd;
	ssize_t last = BULK;
	for (int i = 0; i < BATCH; i++) {
		int out = h->len ? drain(h, to) : 0;
		if (out < 0)
			return -1;
		if (h->eof) {
			if (h->len || h->shut)
				return 0;
			if (shutdown(to, SHUT_WR) < 0 && errno != ENOTCONN)
				return -1;
			h->shut = true;
			return 0;
		}
		/* a small message passed on is usually all there is: epoll says when
		 * more comes, without a read that fails first */
		if (!h->len && last < BULK)
			return 0;
		ssize_t in = h->len < h->cap ? fill(h, from) : -2;
		if (in == -1)
			return -1;
		if (in == -2 && out == 0)
			return 0; /* nothing moves either way: wait for epoll */
		if (in >= 0)
			last = in;
	}
	return 0;
}

static int conn_connected(struct conn *c)
{
	int e = 0;
	socklen_t l = sizeof e;
	if (getsockopt(c->end[1].fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e)
		return -1; /* nothing listens in the container: the client sees a close */
	for (int d = 0; d < 2; d++) {
		if (pipe2(c->dir[d].pipe, O_NONBLOCK | O_CLOEXEC) < 0)
			return -1;
		int cap = fcntl(c->dir[d].pipe[1], F_SETPIPE_SZ, PIPE_BYTES);
		if (cap <= 0)
			cap = fcntl(c->dir[d].pipe[1], F_GETPIPE_SZ);
		c->dir[d].cap = cap > 0 ? (size_t)cap : 65536;
	}
	c->connected = true;
	return 0;
}

static void tcp_event(struct end *e, uint32_t events)
{
	struct conn *c = e->c;
	if (c->closed)
		return;
	if (events & EPOLLERR)
		goto broken;
	int k = e == &c->end[0] ? 0 : 1;
	if (!c->connected || (events & EPOLLHUP)) {
		if ((!c->connected && conn_connected(c) < 0) || pump(c, 0) < 0 || pump(c, 1) < 0)
			goto broken;
	} else {
		/* readable: data from this end; writable: data waiting for it */
		if ((events & EPOLLIN) && pump(c, k) < 0)
			goto broken;
		if ((events & EPOLLOUT) && pump(c, 1 - k) < 0)
			goto broken;
	}
	if (c->dir[0].shut && c->dir[1].shut)
		goto broken; /* done both ways: not broken, but the same clean-up */
	if (conn_update(c) < 0)
		goto broken;
	return;
broken:
	conn_close(c);
}

static struct conn *conn_new(int client, int server)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	for (int i = 0; i < 2; i++) {
		c->end[i].h.kind = K_TCP_END;
		c->end[i].c = c;
		c->dir[i].pipe[0] = c->dir[i].pipe[1] = -1;
	}
	c->end[0].fd = client;
	c->end[1].fd = server;
	return c;
}

/* "the port's" listen sockets, out of (want false) or back in the epoll set */
static void listeners_arm(bool want)
{
	for (size_t i = 0; i < n_listeners; i++) {
		struct epoll_event ev = { .events = want ? EPOLLIN : 0, .data.ptr = &listeners[i] };
		if (listeners[i].h.kind == K_TCP_LISTEN)
			epoll_ctl(fwd_ep, EPOLL_CTL_MOD, listeners[i].fd, &ev);
	}
}

/* Stops accepting: until a connection closes (retry_ms 0), or for retry_ms. */
static void pause_accept(const char *why, uint64_t retry_ms)
{
	if (!logged_ms || fwd_now_ms() - logged_ms > 10000) {
		char line[256];
		int n = snprintf(line, sizeof line, "husk-forward: %s: new connections wait in the "
				 "listen backlog%s\n", why, retry_ms ? "" : " until one closes");
		/* husk's stderr as it is now (with -d: the container's log, which the
		 * monitor took over once the container ran) */
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/fd/2", (int)getppid());
		int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, line, (size_t)n);
			close(fd);
		}
		logged_ms = fwd_now_ms();
	}
	paused = true;
	paused_until = retry_ms ? fwd_now_ms() + retry_ms : 0;
	listeners_arm(false);
}

static void resume_accept(void)
{
	if (!paused || !paused_until || fwd_now_ms() < paused_until)
		return;
	paused = false;
	listeners_arm(true);
}

static bool out_of_resources(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

static void tcp_accept(struct listener *l)
{
	for (int i = 0; i < BATCH; i++) {
		if (n_conns >= FWD_MAX_CONNS) {
			char why[64];
			snprintf(why, sizeof why, "%d connections open, the cap", FWD_MAX_CONNS);
			pause_accept(why, 0);
			return;
		}
		int cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && out_of_resources(errno))
			pause_accept(strerror(errno), FWD_RETRY_MS);
		if (cfd < 0)
			return;
		int sfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int e = errno;
		struct conn *c = sfd >= 0 ? conn_new(cfd, sfd) : NULL;
		if (!c) {
			close(cfd);
			if (sfd >= 0)
				close(sfd);
			if (sfd < 0 && out_of_resources(e)) {
				pause_accept(strerror(e), FWD_RETRY_MS);
				return;
			}
			continue;
		}
		n_conns++;
		/* bytes leave as they come: the proxy must not add Nagle's delay */
		int one = 1;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if ((connect(sfd, (struct sockaddr *)&l->dst, sizeof l->dst) < 0 &&
		     errno != EINPROGRESS) || conn_update(c) < 0)
			conn_close(c);
	}
}

/* ---- the process -------------------------------------------------------------- */

static __attribute__((noreturn)) void forwarder_loop(struct listener *ls, size_t n)
{
	for (;;) {
		struct epoll_event evs[64];
		int timeout = udp_any_flows(ls, n) ? UDP_IDLE_MS / 4 : -1;
		if (paused && paused_until > 1)
			timeout = FWD_RETRY_MS;
		int k = epoll_wait(fwd_ep, evs, 64, timeout);
		if (k < 0 && errno != EINTR)
			_exit(1);
		for (int i = 0; i < k; i++) {
			struct handler *h = evs[i].data.ptr;
			switch (h->kind) {
			case K_TCP_LISTEN: tcp_accept((struct listener *)h); break;
			case K_TCP_END: tcp_event((struct end *)h, evs[i].events); break;
			case K_UDP_LISTEN: udp_listener_event((struct listener *)h); break;
			case K_UDP_FLOW: udp_flow_event((struct udp_flow *)h); break;
			}
		}
		if (udp_any_flows(ls, n))
			udp_expire(ls, n);
		free_dead();
		resume_accept();
	}
}

/* Leaves the forwarder with its sockets only: none of husk's other fds (state
 * locks, the lease, the container's pipes) may outlive husk through it. */
static void keep_only(const struct fwd_rule *rules, size_t n, int netns_fd)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3 && devnull >= 0; fd++)
		dup2(devnull, fd);
	int max = netns_fd > 2 ? netns_fd : 2;
	for (size_t i = 0; i < n; i++)
		max = rules[i].fd > max ? rules[i].fd : max;
	for (int fd = 3; fd <= max; fd++) {
		bool keep = fd == netns_fd;
		for (size_t i = 0; i < n; i++)
			keep |= rules[i].fd == fd;
		if (!keep)
			close(fd);
	}
	syscall(SYS_close_range, (unsigned)max + 1, ~0U, 0);
}

static __attribute__((noreturn)) void forwarder_main(const struct fwd_rule *rules, size_t n,
						     int netns_fd, const char *join_tasks,
						     pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	/* one thread: moving it moves the process, with no threadgroup lock */
	if (join_tasks)
		write_file(join_tasks, "0");
	prctl(PR_SET_NAME, "husk-forward");
	/* out of husk's process group: a ^C on the terminal is husk's to forward */
	setsid();
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	keep_only(rules, n, netns_fd);
	/* sockets made from here on live in the container's namespace; the bound
	 * host sockets (and what they accept) stay in the host's. If this fails, the
	 * connections take the bridge instead: slower, as correct. */
	if (netns_fd >= 0) {
		setns(netns_fd, CLONE_NEWNET);
		close(netns_fd);
	}
	/* room for the caps: a connection is 2 sockets and 2 pipes, a flow a socket */
	struct rlimit rl;
	rlim_t want = FWD_MAX_CONNS * 6 + FWD_MAX_FLOWS + n + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct listener *ls = calloc(n, sizeof *ls);
	listeners = ls;
	n_listeners = n;
	fwd_ep = epoll_create1(EPOLL_CLOEXEC);
	if (!ls || fwd_ep < 0)
		_exit(1);
	for (size_t i = 0; i < n; i++) {
		ls[i].h.kind = rules[i].proto == IPPROTO_UDP ? K_UDP_LISTEN : K_TCP_LISTEN;
		ls[i].fd = rules[i].fd;
		ls[i].dst = rules[i].dst;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &ls[i] };
		if (epoll_ctl(fwd_ep, EPOLL_CTL_ADD, ls[i].fd, &ev) < 0)
			_exit(1);
	}
	forwarder_loop(ls, n);
}

pid_t forwarder_start(const struct fwd_rule *rules, size_t n, int netns_fd, const char *join_tasks,
		      struct husk_err *err)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return husk_error(err, errno, "publishing ports: fork");
	if (pid == 0)
		forwarder_main(rules, n, netns_fd, join_tasks, parent);
	return pid;
}

void forwarder_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
