/* Published ports: the host side's port held, kernel DNAT for the host's addresses
 * other than loopback (from outside and from the host), and for its loopback either
 * the eBPF connect redirect (sock_redirect.c) or, where the kernel cannot, or with
 * HUSK_PORT_FORWARDER=1, the userspace forwarder (forwarder.c). */
#include "linux/net/ports/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "linux/net/ports/forwarder.h"
#include "linux/net/ipam.h"
#include "linux/net/nft/dnat.h"
#include "linux/net/ports/sock_redirect.h"
#include "util/cleanup.h"
#include "util/explain.h"
#include "util/fs.h"
#include "util/path.h"

struct ports {
	pid_t forwarder;
	pid_t udp6_forwarder; /* with the redirect: unconnected UDP to [::1] (see below) */
	char why_forwarder[sizeof ((struct husk_err *)0)->msg]; /* with the forwarder: why not the redirect */
	struct sock_redirect *redirect;
	int *held; /* with the redirect: the host ports, bound (not listening) */
	size_t n_held;
	size_t n_elems;
	struct dnat_elem elems[]; /* added to husk's DNAT maps */
};

static const char *proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static bool is_any(const char *ip)
{
	return !ip[0] || !strcmp(ip, "0.0.0.0") || !strcmp(ip, "::");
}

/* "127.0.0.1:8080/tcp", "[::1]:8080/tcp", "*:8080/tcp" */
static void describe(const struct port_map *p, char *buf, size_t len)
{
	bool v6 = strchr(p->host_ip, ':') != NULL;
	snprintf(buf, len, "%s%s%s:%u/%s", v6 ? "[" : "", is_any(p->host_ip) ? "*" : p->host_ip,
		 v6 ? "]" : "", p->host_port, proto_name(p->proto));
}

/* The host address to bind: ""/"::" -> [::] taking IPv4 too, else the one given. */
static int host_sockaddr(const struct port_map *p, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	const char *ip = p->host_ip[0] ? p->host_ip : "::";
	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(p->host_port);
		*len = sizeof *a4;
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(p->host_port);
		*len = sizeof *a6;
		return 0;
	}
	return -1;
}

static int bind_error(const struct port_map *p, int e, struct husk_err *err)
{
	char what[96];
	describe(p, what, sizeof what);
	if (e == EADDRINUSE)
		return husk_error(err, 0, "cannot publish %s: host port %u/%s is already in use",
				  what, p->host_port, proto_name(p->proto));
	if (e == EADDRNOTAVAIL)
		return husk_error(err, 0, "cannot publish %s: %s is not an address of this host",
				  what, p->host_ip);
	return husk_error(err, e, "cannot publish %s", what);
}

enum bind_use {
	PORT_PROBE,  /* is it free? (a TIME_WAIT left by an earlier run does not count) */
	PORT_LISTEN, /* the forwarder's listener */
	PORT_HOLD,   /* kept bound, not listening, so that no one else can take it */
};

static int bind_reuse(int fd, const struct sockaddr_storage *ss, socklen_t len, int reuse)
{
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
	return bind(fd, (const struct sockaddr *)ss, len);
}

/* A socket bound to the host side of p, for use. */
static int port_bind(const struct port_map *p, enum bind_use use, struct husk_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (host_sockaddr(p, &ss, &len))
		return husk_error(err, 0, "invalid --publish address '%s'", p->host_ip);
	int type = p->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && ss.ss_family == AF_INET6 && !p->host_ip[0]) {
		/* no IPv6 on this host: all IPv4 addresses then */
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		memset(&ss, 0, sizeof ss);
		a4->sin_family = AF_INET;
		a4->sin_port = htons(p->host_port);
		len = sizeof *a4;
		fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return husk_error(err, errno, "publishing ports: socket");
	int zero = 0;
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	/* SO_REUSEADDR: a TIME_WAIT on the port is no conflict. Never for UDP (there it
	 * would share the port). A held TCP port goes without it: a socket that has it
	 * and does not listen lets any other socket with it bind beside (a second -p of
	 * the port would succeed). Only if a TIME_WAIT is in the way is it held with
	 * SO_REUSEADDR, and then listening, which no one can bind beside. */
	int r;
	if (type == SOCK_DGRAM) {
		r = bind(fd, (struct sockaddr *)&ss, len);
	} else if (use == PORT_HOLD) {
		r = bind_reuse(fd, &ss, len, 0);
		if (r < 0 && errno == EADDRINUSE && (r = bind_reuse(fd, &ss, len, 1)) == 0)
			r = listen(fd, 1);
	} else {
		r = bind_reuse(fd, &ss, len, 1);
	}
	if (r < 0 || (use == PORT_LISTEN && type == SOCK_STREAM && listen(fd, 1024) < 0)) {
		int e = errno;
		close(fd);
		return bind_error(p, e, err);
	}
	return fd;
}

int ports_validate(const struct husk_spec *s, struct husk_err *err)
{
	if (!s->n_ports)
		return 0;
	/* all bound at once: two -p for the same host port collide here too */
	cleanup_free int *fds = calloc(s->n_ports, sizeof *fds);
	if (!fds)
		return husk_error(err, ENOMEM, "--publish");
	size_t i;
	int r = 0;
	for (i = 0; i < s->n_ports && r == 0; i++) {
		fds[i] = port_bind(&s->ports[i], PORT_PROBE, err);
		r = fds[i] < 0 ? -1 : 0;
	}
	for (size_t j = 0; j < i; j++)
		if (fds[j] >= 0)
			close(fds[j]);
	return r;
}

/* The DNAT element for p: 0, or -1 if only the forwarder serves it (loopback, IPv6). */
static int dnat_element(const struct port_map *p, uint32_t ctr_addr, struct dnat_elem *e)
{
	struct in_addr a;
	memset(e, 0, sizeof *e);
	if (is_any(p->host_ip)) {
		e->host_hi = 0xffffffffu;
	} else if (inet_pton(AF_INET, p->host_ip, &a) == 1 && (ntohl(a.s_addr) >> 24) != 127) {
		e->host_lo = e->host_hi = a.s_addr;
	} else {
		return -1;
	}
	e->proto = p->proto;
	e->host_port = p->host_port;
	e->ctr_addr = htonl(ctr_addr);
	e->ctr_port = p->ctr_port;
	return 0;
}

static int add_elements(struct ports *ps, const struct husk_spec *s, uint32_t ctr_addr,
			int lease_fd, struct husk_err *err)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_ports; i++) {
		char note[160] = "nft ";
		if (dnat_element(&s->ports[i], ctr_addr, &ps->elems[n]))
			continue;
		/* noted first: if husk dies now, the next husk deletes it */
		dnat_elem_format(&ps->elems[n], note + 4, sizeof note - 4);
		if (ipam_note(lease_fd, note) < 0)
			return husk_error(err, errno, "network: recording a published port in the lease");
		n++;
	}
	if (nft_dnat_add(ps->elems, n, err))
		return -1;
	ps->n_elems = n;
	return 0;
}

static void explain_forwarder(const struct husk_spec *s, uint32_t ctr_addr, pid_t pid,
			      pid_t ctr_pid, uint64_t t)
{
	char ctr[INET_ADDRSTRLEN];
	addr_format(ctr_addr, ctr, sizeof ctr);
	for (size_t i = 0; i < s->n_ports; i++) {
		char what[96];
		describe(&s->ports[i], what, sizeof what);
		explain_line(t, "husk-forward %s%s -> nsenter --net=/proc/%d/ns/net %s:%u   # PID %d: "
			     "userspace relay (splice) for connections to the host's own "
			     "addresses; route_localnet stays 0", what,
			     is_any(s->ports[i].host_ip) ? " (on 0.0.0.0 and [::1], not [::])" : "",
			     ctr_pid, ctr, s->ports[i].ctr_port, pid);
		t = explain_now();
	}
}

/* The forwarder's listen sockets for p: all addresses -> 0.0.0.0 (the DNAT elements
 * take the non-loopback ones before they reach it) and [::1], never [::], which no
 * DNAT stands in front of (it would open the port on the host's IPv6 addresses). */
static int forwarder_binds(const struct port_map *p, struct fwd_rule *rules, size_t *n,
			   uint32_t ctr_addr, struct husk_err *err)
{
	struct port_map v4 = *p, v6 = *p;
	const struct port_map *want[2] = { p, NULL };
	if (is_any(p->host_ip)) {
		snprintf(v4.host_ip, sizeof v4.host_ip, "0.0.0.0");
		snprintf(v6.host_ip, sizeof v6.host_ip, "::1");
		want[0] = &v4;
		want[1] = strcmp(p->host_ip, "0.0.0.0") ? &v6 : NULL;
	}
	for (size_t i = 0; i < 2 && want[i]; i++) {
		struct fwd_rule *r = &rules[*n];
		struct husk_err e6 = { 0 };
		r->proto = p->proto;
		r->dst.sin_family = AF_INET;
		r->dst.sin_addr.s_addr = htonl(ctr_addr);
		r->dst.sin_port = htons(p->ctr_port);
		r->fd = port_bind(want[i], PORT_LISTEN, i ? &e6 : err);
		if (r->fd < 0 && !i)
			return -1;
		*n += r->fd >= 0; /* no [::1] (IPv6 off): IPv4 only */
	}
	return 0;
}

/* The forwarder's memory (pipes, socket buffers) is the container's: it joins the
 * container's memory cgroup (v1) itself, writing 0 to its tasks (a thread moving
 * itself takes no threadgroup lock; a write of its pid to cgroup.procs by husk
 * waited ~10 ms for an RCU grace period), or husk moves it into the container's v2
 * cgroup. Best effort. */
static void charge_paths(pid_t ctr, char *v1_tasks, char *v2_procs, size_t len)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/cgroup", ctr);
	v1_tasks[0] = v2_procs[0] = '\0';
	cleanup_fclose FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		if (!c1[1])
			path_fits(v2_procs, len, "/sys/fs/cgroup%s/cgroup.procs", c2 + 1);
		else if (!strcmp(c1 + 1, "memory"))
			path_fits(v1_tasks, len, "/sys/fs/cgroup/memory%s/tasks", c2 + 1);
	}
	struct statfs fs;
	if (v1_tasks[0] || statfs("/sys/fs/cgroup", &fs) < 0 || fs.f_type != 0x63677270)
		v2_procs[0] = '\0';
}

/* A forwarder for rules[0..n) in the container's network namespace, charged to it;
 * the rules' fds are closed here (the forwarder has them). Its pid, or -1. */
static pid_t launch_forwarder(struct fwd_rule *rules, size_t n, pid_t ctr_pid,
			      struct husk_err *err)
{
	char path[64], v1_tasks[700], v2_procs[700];
	snprintf(path, sizeof path, "/proc/%d/ns/net", ctr_pid);
	cleanup_close int netns = open(path, O_RDONLY | O_CLOEXEC);
	charge_paths(ctr_pid, v1_tasks, v2_procs, sizeof v1_tasks);
	pid_t pid = forwarder_start(rules, n, netns, v1_tasks[0] ? v1_tasks : NULL, err);
	for (size_t i = 0; i < n; i++)
		close(rules[i].fd);
	if (pid > 0 && v2_procs[0]) {
		char num[16];
		snprintf(num, sizeof num, "%d", pid);
		write_file(v2_procs, num);
	}
	return pid;
}

static int start_forwarder(struct ports *ps, const struct husk_spec *s, pid_t ctr_pid,
			   uint32_t ctr_addr, struct husk_err *err)
{
	cleanup_free struct fwd_rule *rules = calloc(2 * s->n_ports, sizeof *rules);
	if (!rules)
		return husk_error(err, ENOMEM, "--publish");
	EXPLAIN_START(t);
	size_t n = 0;
	int r = 0;
	for (size_t i = 0; i < s->n_ports && r == 0; i++)
		r = forwarder_binds(&s->ports[i], rules, &n, ctr_addr, err);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			close(rules[i].fd);
		return -1;
	}
	ps->forwarder = launch_forwarder(rules, n, ctr_pid, err);
	r = ps->forwarder < 0 ? -1 : 0;
	if (r == 0 && explain_enabled)
		explain_forwarder(s, ctr_addr, ps->forwarder, ctr_pid, t);
	return r;
}

/* The redirect serves IPv4 (all addresses, or one), all addresses and [::1]: another
 * IPv6 host address needs the forwarder. HUSK_PORT_FORWARDER=1 asks for it anyway.
 * why gets the reason for the forwarder. */
static bool redirect_wanted(const struct husk_spec *s, char *why, size_t len)
{
	const char *env = getenv("HUSK_PORT_FORWARDER");
	if (env && !strcmp(env, "1")) {
		snprintf(why, len, "HUSK_PORT_FORWARDER=1");
		return false;
	}
	for (size_t i = 0; i < s->n_ports; i++) {
		struct in_addr a;
		const char *ip = s->ports[i].host_ip;
		if (!is_any(ip) && strcmp(ip, "::1") && inet_pton(AF_INET, ip, &a) != 1) {
			snprintf(why, len, "-p %s: the redirect serves IPv4 addresses, all "
				 "addresses and [::1], not another IPv6 address", ip);
			return false;
		}
	}
	return true;
}

/* The host ports stay bound by husk while the redirect serves them: nobody else can
 * take them, and a second container asking for one is refused. */
static int hold_ports(struct ports *ps, const struct husk_spec *s, struct husk_err *err)
{
	ps->held = malloc(s->n_ports * sizeof *ps->held);
	if (!ps->held)
		return husk_error(err, ENOMEM, "--publish");
	for (size_t i = 0; i < s->n_ports; i++) {
		int fd = port_bind(&s->ports[i], PORT_HOLD, err);
		if (fd < 0)
			return -1;
		ps->held[ps->n_held++] = fd;
	}
	return 0;
}

/* The redirect cannot serve an unconnected UDP sendto([::1]): the kernel refuses to
 * rewrite an IPv6 destination to the container's IPv4 one (a connected socket is
 * rewritten at connect6). Such datagrams land on the held port, so a forwarder reads
 * the held UDP sockets that take [::1] and relays them, as the forwarder path would:
 * both paths serve the same clients. */
static int start_udp6_forwarder(struct ports *ps, const struct husk_spec *s, pid_t ctr_pid,
				uint32_t ctr_addr, struct husk_err *err)
{
	cleanup_free struct fwd_rule *rules = calloc(s->n_ports, sizeof *rules);
	if (!rules)
		return husk_error(err, ENOMEM, "--publish");
	size_t n = 0;
	for (size_t i = 0; i < s->n_ports && i < ps->n_held; i++) {
		const struct port_map *p = &s->ports[i];
		bool takes_v6lo = (is_any(p->host_ip) && strcmp(p->host_ip, "0.0.0.0")) ||
				  !strcmp(p->host_ip, "::1");
		if (p->proto != IPPROTO_UDP || !takes_v6lo)
			continue;
		struct fwd_rule *r = &rules[n];
		r->proto = IPPROTO_UDP;
		r->dst.sin_family = AF_INET;
		r->dst.sin_addr.s_addr = htonl(ctr_addr);
		r->dst.sin_port = htons(p->ctr_port);
		if ((r->fd = fcntl(ps->held[i], F_DUPFD_CLOEXEC, 0)) < 0) {
			int e = errno;
			for (size_t j = 0; j < n; j++)
				close(rules[j].fd);
			return husk_error(err, e, "--publish: dup");
		}
		n++;
	}
	if (!n)
		return 0;
	ps->udp6_forwarder = launch_forwarder(rules, n, ctr_pid, err);
	return ps->udp6_forwarder < 0 ? -1 : 0;
}

/* 0: the redirect serves the loopback; 1: the forwarder must; -1: failed. */
static int start_redirect(struct ports *ps, const struct husk_spec *s, uint32_t ctr_addr,
			  int lease_fd, struct husk_err *err)
{
	if (!redirect_wanted(s, ps->why_forwarder, sizeof ps->why_forwarder))
		return 1;
	if (hold_ports(ps, s, err))
		return -1;
	EXPLAIN_START(t);
	struct husk_err why = { 0 };
	int r = sock_redirect_start(&ps->redirect, s, ctr_addr, lease_fd, &why);
	if (r < 0 && !err->set)
		*err = why;
	if (r == 1) {
		/* this kernel or host cannot: the forwarder takes the ports over */
		EXPLAIN(t, "# no eBPF redirect (%s): the userspace forwarder serves the "
			   "host's loopback", why.msg);
		snprintf(ps->why_forwarder, sizeof ps->why_forwarder, "%s", why.msg);
		sock_redirect_stop(&ps->redirect);
		for (size_t i = 0; i < ps->n_held; i++)
			close(ps->held[i]);
		ps->n_held = 0;
	}
	return r;
}

int ports_publish(struct ports **pp, const struct husk_spec *s, pid_t pid, uint32_t ctr_addr,
		  int lease_fd, struct husk_err *err)
{
	if (!s->n_ports)
		return 0;
	struct ports *ps = calloc(1, sizeof *ps + s->n_ports * sizeof ps->elems[0]);
	if (!ps)
		return husk_error(err, ENOMEM, "--publish");
	*pp = ps;
	int r = start_redirect(ps, s, ctr_addr, lease_fd, err);
	if (r < 0 || (r == 1 && start_forwarder(ps, s, pid, ctr_addr, err)) ||
	    (r == 0 && start_udp6_forwarder(ps, s, pid, ctr_addr, err)))
		return -1;
	return add_elements(ps, s, ctr_addr, lease_fd, err);
}

void ports_path(const struct ports *ps, const struct husk_spec *s, size_t i, char *buf,
		size_t len)
{
	const struct port_map *p = &s->ports[i];
	struct dnat_elem e;
	char lo[96];
	bool dnat = dnat_element(p, 0, &e) == 0;
	const char *other = !dnat ? "" : is_any(p->host_ip) ? "; nft DNAT: the host's other IPv4 "
							      "addresses" : "; nft DNAT";
	if (!ps) {
		snprintf(buf, len, "not published (the container is not running)");
	} else if (ps->forwarder > 0) {
		snprintf(buf, len, "userspace forwarder (%s)%s", ps->why_forwarder, other);
	} else if (ps->redirect && sock_redirect_serves(p, lo, sizeof lo)) {
		bool udp6 = ps->udp6_forwarder > 0 && p->proto == IPPROTO_UDP && strstr(lo, "[::1]");
		snprintf(buf, len, "eBPF redirect (%s)%s%s", lo, other,
			 udp6 ? "; unconnected UDP to [::1]: userspace forwarder" : "");
	} else {
		snprintf(buf, len, "nft DNAT (not a loopback address: no redirect)");
	}
}

void ports_unpublish(struct ports **pp)
{
	struct ports *ps = *pp;
	if (!ps)
		return;
	if (ps->forwarder > 0) {
		EXPLAIN_START(t);
		forwarder_stop(ps->forwarder);
		EXPLAIN(t, "kill %d   # the port forwarder", ps->forwarder);
	}
	if (ps->udp6_forwarder > 0)
		forwarder_stop(ps->udp6_forwarder);
	sock_redirect_stop(&ps->redirect);
	for (size_t i = 0; i < ps->n_held; i++)
		close(ps->held[i]);
	free(ps->held);
	nft_dnat_delete(ps->elems, ps->n_elems);
	free(ps);
	*pp = NULL;
}
