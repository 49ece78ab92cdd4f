/* The husk0 bridge that bridge containers share, and the host's IPv4 forwarding
 * that routes between it and the world (as docker and podman do). Created by the
 * first bridge container, removed by the last (both under the IPAM lock). */
#pragma once
#include "linux/ipam.h"
#include "linux/rtnl.h"

#define BRIDGE_NAME "husk0"
/* The device group of husk0 and the host ends of the veths ("HUSK" on a phone's
 * keypad): the last container out removes them with one request. */
#define HUSK_LINK_GROUP 4875

/* Creates husk0 with the subnet's gateway address, up; replaces a dead husk's.
 * Fails if the subnet overlaps one of the host's routes. */
int bridge_create(struct nl *nl, const struct subnet *sn, struct husk_err *err);
void bridge_delete(struct nl *nl);
/* With the IPAM lock and no lease left: husk0 and the veths still on it, at once. */
void bridge_delete_all(struct nl *nl);
/* sysctl -w net.ipv4.ip_forward=1, remembering the old value in the IPAM dir. */
int forward_enable(struct husk_err *err);
/* Puts back the value forward_enable found, if it changed it. */
void forward_restore(void);
