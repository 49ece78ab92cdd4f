/* The forwarder's internals shared by forwarder.c (the process, TCP) and
 * forwarder_udp.c (UDP flows). */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define BATCH 16                 /* work per wake-up before others get a turn */
#define UDP_IDLE_MS 60000
#define UDP_MAX_FLOWS 512        /* per published port */
#define FWD_MAX_FLOWS 1024       /* UDP flows, all ports together */

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

struct udp_flow {
	struct handler h;
	int fd;
	struct listener *l;
	struct sockaddr_storage peer;
	socklen_t plen;
	uint64_t last_ms;
	struct udp_flow *next;
};

/* the epoll set */
extern int fwd_ep;

/* Frees p after the current batch of events (a later event may still point to it). */
void fwd_defer_free(void *p);
uint64_t fwd_now_ms(void);

/* forwarder_udp.c */
void udp_listener_event(struct listener *l);
void udp_flow_event(struct udp_flow *f);
void udp_expire(struct listener *ls, size_t n);
bool udp_any_flows(const struct listener *ls, size_t n);
