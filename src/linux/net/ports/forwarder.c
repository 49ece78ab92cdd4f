/* The published-port forwarder: one epoll loop over the host sockets.
 *
 * TCP: each accepted client gets a non-blocking connection to the container and two
 * pipes; bytes move socket -> pipe -> socket with splice(2), so they never enter
 * user space. A side is read while its pipe has room, so the sender keeps going
 * while the receiver catches up; a socket is in the epoll set only while there is
 * something to wait for on it (level-triggered: no spinning on a hang-up we cannot
 * act on yet). A FIN is passed on as shutdown(WR).
 *
 * UDP: one connected socket to the container per client address (a "flow"); the
 * container's replies go back from the host port. Idle flows expire. */
#include "linux/net/ports/forwarder.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
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

#include "util/cleanup.h"

#define PIPE_BYTES (256 << 10)   /* per direction of a TCP connection (measured best here) */
#define BATCH 16                 /* work per wake-up before others get a turn */
#define BULK (64 << 10)          /* a read this big says more is coming at once */
#define UDP_IDLE_MS 60000
#define UDP_MAX_FLOWS 512        /* per published port */

enum kind { K_TCP_LISTEN, K_TCP_END, K_UDP_LISTEN, K_UDP_FLOW };

struct handler {
	enum kind kind;
};

struct udp_flow;

struct listener {
	struct handler h;
	int fd;
	struct sockaddr_in dst;
	struct udp_flow *flows;
	size_t n_flows;
};

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

struct udp_flow {
	struct handler h;
	int fd;
	struct listener *l;
	struct sockaddr_storage peer;
	socklen_t plen;
	uint64_t last_ms;
	struct udp_flow *next;
};

static int ep = -1;

/* Freed after each batch of events: a later event of the batch may still point
 * to a connection or flow that an earlier one closed. */
static void **dead;
static size_t n_dead, cap_dead;

static void defer_free(void *p)
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

static uint64_t now_ms(void)
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
	defer_free(c);
}

static int set_events(struct end *e, uint32_t want)
{
	if (want == e->events)
		return 0;
	struct epoll_event ev = { .events = want, .data.ptr = e };
	int op = !e->events ? EPOLL_CTL_ADD : !want ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	if (epoll_ctl(ep, op, e->fd, &ev) < 0)
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

static void tcp_accept(struct listener *l)
{
	for (int i = 0; i < BATCH; i++) {
		int cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		int sfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct conn *c = sfd >= 0 ? conn_new(cfd, sfd) : NULL;
		if (!c) {
			close(cfd);
			if (sfd >= 0)
				close(sfd);
			continue;
		}
		/* bytes leave as they come: the proxy must not add Nagle's delay */
		int one = 1;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if ((connect(sfd, (struct sockaddr *)&l->dst, sizeof l->dst) < 0 &&
		     errno != EINPROGRESS) || conn_update(c) < 0)
			conn_close(c);
	}
}

/* ---- UDP ---------------------------------------------------------------------- */

static char udp_buf[65536];

static void flow_free(struct listener *l, struct udp_flow *f)
{
	for (struct udp_flow **p = &l->flows; *p; p = &(*p)->next) {
		if (*p == f) {
			*p = f->next;
			break;
		}
	}
	close(f->fd);
	f->fd = -1;
	defer_free(f);
	l->n_flows--;
}

static struct udp_flow *flow_oldest(struct listener *l)
{
	struct udp_flow *old = l->flows;
	for (struct udp_flow *f = l->flows; f; f = f->next)
		if (f->last_ms < old->last_ms)
			old = f;
	return old;
}

static struct udp_flow *flow_get(struct listener *l, const struct sockaddr_storage *peer,
				 socklen_t plen)
{
	for (struct udp_flow *f = l->flows; f; f = f->next)
		if (f->plen == plen && !memcmp(&f->peer, peer, plen))
			return f;
	if (l->n_flows >= UDP_MAX_FLOWS)
		flow_free(l, flow_oldest(l));
	struct udp_flow *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->h.kind = K_UDP_FLOW;
	f->l = l;
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = f };
	if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&l->dst, sizeof l->dst) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, f->fd, &ev) < 0) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return NULL;
	}
	memcpy(&f->peer, peer, plen);
	f->plen = plen;
	f->next = l->flows;
	l->flows = f;
	l->n_flows++;
	return f;
}

/* client -> container */
static void udp_listener_event(struct listener *l)
{
	for (int i = 0; i < BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof peer;
		ssize_t n = recvfrom(l->fd, udp_buf, sizeof udp_buf, 0, (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return;
		struct udp_flow *f = flow_get(l, &peer, plen);
		if (!f)
			continue;
		f->last_ms = now_ms();
		(void)!send(f->fd, udp_buf, (size_t)n, 0); /* lost like any datagram */
	}
}

/* container -> client, from the published port */
static void udp_flow_event(struct udp_flow *f)
{
	if (f->fd < 0)
		return; /* evicted earlier in this batch */
	for (int i = 0; i < BATCH; i++) {
		ssize_t n = recv(f->fd, udp_buf, sizeof udp_buf, 0);
		if (n < 0 && errno == ECONNREFUSED)
			continue; /* an earlier datagram found no listener in the container */
		if (n < 0)
			return;
		f->last_ms = now_ms();
		(void)!sendto(f->l->fd, udp_buf, (size_t)n, 0, (struct sockaddr *)&f->peer, f->plen);
	}
}

static void udp_expire(struct listener *ls, size_t n)
{
	uint64_t now = now_ms();
	for (size_t i = 0; i < n; i++) {
		struct udp_flow *f = ls[i].flows;
		while (f) {
			struct udp_flow *next = f->next;
			if (now - f->last_ms > UDP_IDLE_MS)
				flow_free(&ls[i], f);
			f = next;
		}
	}
}

/* ---- the process -------------------------------------------------------------- */

static bool any_flows(const struct listener *ls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ls[i].n_flows)
			return true;
	return false;
}

static __attribute__((noreturn)) void forwarder_loop(struct listener *ls, size_t n)
{
	for (;;) {
		struct epoll_event evs[64];
		int k = epoll_wait(ep, evs, 64, any_flows(ls, n) ? UDP_IDLE_MS / 4 : -1);
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
		if (any_flows(ls, n))
			udp_expire(ls, n);
		free_dead();
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
						     int netns_fd, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
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
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct listener *ls = calloc(n, sizeof *ls);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!ls || ep < 0)
		_exit(1);
	for (size_t i = 0; i < n; i++) {
		ls[i].h.kind = rules[i].proto == IPPROTO_UDP ? K_UDP_LISTEN : K_TCP_LISTEN;
		ls[i].fd = rules[i].fd;
		ls[i].dst = rules[i].dst;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &ls[i] };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ls[i].fd, &ev) < 0)
			_exit(1);
	}
	forwarder_loop(ls, n);
}

pid_t forwarder_start(const struct fwd_rule *rules, size_t n, int netns_fd, struct husk_err *err)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return husk_error(err, errno, "publishing ports: fork");
	if (pid == 0)
		forwarder_main(rules, n, netns_fd, parent);
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
