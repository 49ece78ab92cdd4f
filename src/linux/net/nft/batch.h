/* nf_tables netlink batches over libmnl: what nft(8) sends the kernel, without
 * libnftables. A change is a batch: BATCH_BEGIN, the messages, BATCH_END, sent at
 * once; the kernel applies it as one transaction while sendmsg(2) runs and queues
 * an error message for anything it refused, which is then read without waiting.
 * Used by nft.c (husk's table) and nft_dnat.c (the DNAT maps' elements). */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

#define NFT_BATCH_BYTES 16384

struct nft_batch {
	char buf[NFT_BATCH_BYTES];
	size_t len;
	uint32_t seq;
};

/* Empties the batch and puts BATCH_BEGIN in it. */
void nft_batch_begin(struct nft_batch *b);
/* Starts an NFT_MSG_* message for family ip at the end of the batch; add its
 * attributes, then nft_batch_close it. */
struct nlmsghdr *nft_batch_msg(struct nft_batch *b, uint16_t msg, uint16_t flags);
void nft_batch_close(struct nft_batch *b, struct nlmsghdr *nlh);
/* Bytes left for the next message. */
size_t nft_batch_room(const struct nft_batch *b);
/* Adds BATCH_END and sends the batch: 0, or -errno of the first message refused. */
int nft_batch_send(struct nft_batch *b);
/* Whether table ip NAME exists: 0, -ENOENT, or another -errno. */
int nft_table_get(const char *name);
