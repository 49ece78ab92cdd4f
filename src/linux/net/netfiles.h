/* The /etc/hosts and /etc/resolv.conf a container sees: generated in its state dir
 * and bind-mounted over the image's (rootfs.c), never written into ROOTFS. */
#pragma once
#include <stdbool.h>

#include "util/error.h"

/* localhost, then "ADDR HOSTNAME [NAME]" (addr NULL: 127.0.1.1). */
int netfiles_hosts(const char *path, const char *hostname, const char *name, const char *addr,
		   struct husk_err *err);
/* A copy of a host file (--network host: the host's own hosts and resolv.conf). */
int netfiles_copy(const char *path, const char *host_file, struct husk_err *err);
/* The host's nameservers, minus those a network namespace cannot reach (loopback
 * ones such as systemd-resolved's 127.0.0.53, and IPv6 ones): then the upstream
 * servers systemd-resolved lists, else docker's fallback 8.8.8.8 and 8.8.4.4. */
int netfiles_resolv(const char *path, struct husk_err *err);
