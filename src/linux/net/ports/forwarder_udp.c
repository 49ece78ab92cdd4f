/* The forwarder's UDP side: one connected socket to the container per client
 * address (a "flow"); the container's replies go back from the host port; idle
 * flows expire; at most UDP_MAX_FLOWS per port and FWD_MAX_FLOWS in all. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "linux/net/ports/forwarder_int.h"

static size_t n_flows_all;

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
	fwd_defer_free(f);
	l->n_flows--;
	n_flows_all--;
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
	if (l->n_flows >= UDP_MAX_FLOWS || (n_flows_all >= FWD_MAX_FLOWS && l->n_flows))
		flow_free(l, flow_oldest(l));
	else if (n_flows_all >= FWD_MAX_FLOWS)
		return NULL; /* the other ports' clients hold them all: this datagram is lost */
	struct udp_flow *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->h.kind = K_UDP_FLOW;
	f->l = l;
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = f };
	if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&l->dst, sizeof l->dst) < 0 ||
	    epoll_ctl(fwd_ep, EPOLL_CTL_ADD, f->fd, &ev) < 0) {
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
	n_flows_all++;
	return f;
}

/* client -> container */
void udp_listener_event(struct listener *l)
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
		f->last_ms = fwd_now_ms();
		(void)!send(f->fd, udp_buf, (size_t)n, 0); /* lost like any datagram */
	}
}

/* container -> client, from the published port */
void udp_flow_event(struct udp_flow *f)
{
	if (f->fd < 0)
		return; /* evicted earlier in this batch */
	for (int i = 0; i < BATCH; i++) {
		ssize_t n = recv(f->fd, udp_buf, sizeof udp_buf, 0);
		if (n < 0 && errno == ECONNREFUSED)
			continue; /* an earlier datagram found no listener in the container */
		if (n < 0)
			return;
		f->last_ms = fwd_now_ms();
		(void)!sendto(f->l->fd, udp_buf, (size_t)n, 0, (struct sockaddr *)&f->peer, f->plen);
	}
}

void udp_expire(struct listener *ls, size_t n)
{
	uint64_t now = fwd_now_ms();
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

bool udp_any_flows(const struct listener *ls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ls[i].n_flows)
			return true;
	return false;
}
