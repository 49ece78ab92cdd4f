/* husk0's forwarded traffic allowed in iptables' filter table, on hosts where
 * another tool filters forwarding there. dockerd sets `iptables -P FORWARD DROP`
 * (when it turns ip_forward on) and br_netfilter makes bridged frames pass the
 * IPv4 hooks: then both the traffic between two containers on husk0 and the
 * traffic routed to and from it are dropped by the policy. husk's own table cannot
 * help: with iptables-nft the policy is a base chain of table ip filter, and an
 * accept in another table's base chain does not stop a drop in that one. So, as
 * podman (netavark) and LXD do, husk inserts two rules into FORWARD through
 * iptables itself (whatever backend the host's iptables, and so docker's, uses):
 *
 *   -I FORWARD -i husk0 -j ACCEPT   (containers to each other and to the world)
 *   -I FORWARD -o husk0 -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT
 *
 * only when that table exists (nothing is created on a host without it), recorded
 * in the IPAM directory before they are added so that the last husk out removes
 * them even if their husk died. Both run under the IPAM lock. */
#pragma once
#include <stdbool.h>

/* With the first bridge container. A host whose iptables cannot be run gets a
 * warning (its traffic may be dropped), not a failure. */
void forward_filter_allow(const char *bridge);
/* With the last one out: the rules the record names, if any. */
void forward_filter_remove(void);
/* For husk check: whether the rules are recorded as in place. */
bool forward_filter_active(void);
