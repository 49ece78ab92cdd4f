/* The husk0 bridge that bridge containers share, and the host's IPv4 forwarding
 * that routes between it and the world (as docker and podman do). Created by the
 * first bridge container, removed by the last (both under the IPAM lock). */
#pragma once
#include "linux/net/ipam.h"
#include "linux/net/rtnl.h"

#define BRIDGE_NAME "husk0"
/* The device group of husk0 and the host ends of the veths ("HUSK" on a phone's
 * keypad): the last container out removes them with one request. */
#define HUSK_LINK_GROUP 4875
/* The MTU of husk0 and the veths. Nothing but husk's own devices is on the bridge,
 * so the bytes between the host and its containers (and between containers) go in
 * 64 KiB frames, as over loopback, instead of 1500-byte ones: bulk TCP through a
 * published port measured 0.79-0.85 of loopback at 1500 and 0.97-1.0 at this size.
 * Traffic that leaves the host is held to ROUTE_MTU by the container's default
 * route, as with docker's default bridge. */
#define BRIDGE_MTU 65520
#define ROUTE_MTU 1500

/* Creates husk0 with the subnet's gateway address, up; replaces a dead husk's.
 * Fails if the subnet overlaps one of the host's routes. */
int bridge_create(struct nl *nl, const struct subnet *sn, struct husk_err *err);
/* With the IPAM lock and no lease left: husk0 and the veths still on it, at once. */
void bridge_delete_all(struct nl *nl);
/* sysctl -w net.ipv4.ip_forward=1, remembering the old value in the IPAM dir. */
int forward_enable(struct husk_err *err);
/* Puts back the value forward_enable found, if it changed it. */
void forward_restore(void);
