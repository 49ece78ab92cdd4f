/* Published ports (-p): kernel NAT for traffic from outside (nftables, in husk's own
 * table), a userspace forwarder for connections to the host's loopback. */
#pragma once
