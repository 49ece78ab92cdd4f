/* A rootless husk's own work on files of its subuid range: the image store's layers
 * (extracted with their owners), removing them, and removing a container's upper
 * dir. It runs in a child in a new user namespace mapped as the user's containers
 * are (rootless_maps: 0 -> the user, 1..N -> its /etc/subuid and /etc/subgid range
 * through newuidmap/newgidmap), so a file of container uid K is host uid K's there
 * and here alike, as `podman unshare` does. */
#pragma once

#include "util/error.h"

/* Runs fn(arg) in a forked child that is uid and gid 0 of such a namespace; returns
 * the child's exit status (fn's return; 128+N if it died of signal N), or -1 with
 * err when the namespace could not be made. fn prints its own errors. Already root
 * (the host's, or of a user namespace, as under rootless podman): fn runs here. */
int rootless_in_userns(int (*fn)(void *arg), void *arg, struct husk_err *err);

/* remove_tree(path); for a rootless husk what the user alone cannot remove (a
 * directory of a subuid) goes in such a namespace. 0, or -1 if something is left. */
int rootless_remove_tree(const char *path);
