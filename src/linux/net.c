/* Networking. This first slice provides `none` and `host`; `bridge` (the default)
 * currently behaves like `none` until the bridge/veth code lands. */
#include "linux/net.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/explain.h"

int net_validate(struct husk_spec *s, struct husk_err *err)
{
	if (s->n_ports && s->net != NET_BRIDGE)
		return husk_error(err, 0, "invalid --publish: ports can only be published with --network bridge");
	return 0;
}

int net_prepare(struct net_state *n, const struct husk_spec *s, const char *state_dir,
		struct husk_err *err)
{
	(void)err;
	memset(n, 0, sizeof *n);
	n->mode = s->net;
	snprintf(n->state_dir, sizeof n->state_dir, "%s", state_dir);
	return 0;
}

int net_attach(struct net_state *n, const struct husk_spec *s, pid_t pid, struct husk_err *err)
{
	(void)n; (void)s; (void)pid; (void)err;
	return 0;
}

/* ip link set lo up */
static int loopback_up(struct husk_err *err)
{
	EXPLAIN_START(t);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return husk_error(err, errno, "network: socket");
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	int ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (ret == 0) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	int saved = errno;
	close(fd);
	if (ret < 0)
		return husk_error(err, saved, "network: ip link set lo up");
	EXPLAIN(t, "ip link set lo up");
	return 0;
}

int net_child_setup(const struct net_state *n, struct husk_err *err)
{
	if (n->mode == NET_HOST)
		return 0;
	return loopback_up(err);
}

void net_teardown(struct net_state *n)
{
	(void)n;
}

void net_cleanup_stale(const char *state_root, const char *name)
{
	(void)state_root; (void)name;
}
