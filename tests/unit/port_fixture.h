/* What test_spec and test_plan share for -p: a loopback TCP port someone listens on,
 * and a spec on the bridge publishing it. */
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "spec.h"

/* A listening socket on 127.0.0.1 (port chosen by the kernel) into *a; -1 on failure. */
static inline int listen_loopback(struct sockaddr_in *a)
{
	*a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof *a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof *a) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) < 0)
		return -1;
	return fd;
}

/* s on the bridge, publishing -p 127.0.0.1:PORT:80 */
static inline void publish_one(struct husk_spec *s, uint16_t port)
{
	s->net = NET_BRIDGE;
	s->ports = calloc(1, sizeof *s->ports);
	s->n_ports = 1;
	snprintf(s->ports[0].host_ip, sizeof s->ports[0].host_ip, "127.0.0.1");
	s->ports[0].host_port = port;
	s->ports[0].ctr_port = 80;
	s->ports[0].proto = IPPROTO_TCP;
}
