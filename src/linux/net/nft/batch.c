/* nf_tables netlink batches: building, sending, reading the kernel's errors. */
#include "linux/net/nft/batch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

static struct nlmsghdr *put_msg(char *at, uint32_t seq, uint16_t type, uint16_t flags,
				uint8_t family, uint16_t res_id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return nlh;
}

void nft_batch_close(struct nft_batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

void nft_batch_begin(struct nft_batch *b)
{
	b->len = 0;
	b->seq = 1;
	nft_batch_close(b, put_msg(b->buf, b->seq++, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC,
				   NFNL_SUBSYS_NFTABLES));
}

struct nlmsghdr *nft_batch_msg(struct nft_batch *b, uint16_t msg, uint16_t flags)
{
	return put_msg(b->buf + b->len, b->seq++, (NFNL_SUBSYS_NFTABLES << 8) | msg, flags,
		       NFPROTO_IPV4, 0);
}

size_t nft_batch_room(const struct nft_batch *b)
{
	/* and room for BATCH_END */
	return sizeof b->buf - b->len - MNL_NLMSG_HDRLEN - MNL_ALIGN(sizeof(struct nfgenmsg));
}

/* The first error the kernel queued (0: none); with wait, until the ack of seq.
 * A message cut by a short buffer is an error, never a silent success. */
static int read_errors(struct mnl_socket *sk, uint32_t ack_seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int first = 0;
	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(sk), buf, sizeof buf,
				 MSG_TRUNC | (ack_seq ? 0 : MSG_DONTWAIT));
		if (n <= 0)
			return n < 0 && ack_seq ? -errno : first;
		if ((size_t)n > sizeof buf)
			return first ? first : -EMSGSIZE;
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (h->nlmsg_type == NLMSG_ERROR && e->error && !first)
				first = e->error;
			if (ack_seq && h->nlmsg_seq == ack_seq && h->nlmsg_type == NLMSG_ERROR)
				return first;
		}
	}
}

/* Sends len bytes of buf on a new socket; 0 or -errno (the first error). The
 * kernel's errors carry only the header of the message refused (NETLINK_CAP_ACK),
 * not the whole of it: a refused batch of 155 elements is echoed in 100 bytes. */
static int send_read(const void *buf, size_t len, uint32_t ack_seq)
{
	struct mnl_socket *sk = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!sk)
		return -errno;
	int r, one = 1;
	setsockopt(mnl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0 || mnl_socket_sendto(sk, buf, len) < 0)
		r = -errno;
	else
		r = read_errors(sk, ack_seq);
	mnl_socket_close(sk);
	return r;
}

int nft_batch_send(struct nft_batch *b)
{
	nft_batch_close(b, put_msg(b->buf + b->len, b->seq++, NFNL_MSG_BATCH_END, 0, AF_UNSPEC,
				   NFNL_SUBSYS_NFTABLES));
	return send_read(b->buf, b->len, 0);
}

int nft_table_get(const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	/* not a batch: a GET is answered at once (the table, or an error), then the ack */
	struct nlmsghdr *nlh = put_msg(buf, 1, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE,
				       NLM_F_ACK, NFPROTO_IPV4, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	return send_read(buf, nlh->nlmsg_len, 1);
}
