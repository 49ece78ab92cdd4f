/* Rootless husk's user namespace holder. Writing a subuid range into a new user
 * namespace takes an exec of newuidmap and of newgidmap (setuid helpers, ~1 ms a
 * container). As podman's pause process does, one process per user and maps keeps a
 * user namespace with those maps, and each rootless container is made inside it
 * (entered with setns by ns.c's short-lived middle process) instead of in a new one.
 * The caller's own ids alone (no subid range) need no helper, and no holder: husk
 * writes them into each new namespace (measured: the same time either way).
 *
 * The holder is found through an abstract unix socket named for the euid and a hash
 * of the maps: nothing on disk, and the kernel drops the name when the process goes.
 * It sends its namespace over the socket (SCM_RIGHTS); the caller takes it only from
 * a peer of its own uid (SO_PEERCRED), of the right type, owned by it, and with the
 * maps it wants. It ends once no other process has been in its namespace for
 * HUSK_USERNS_LINGER seconds (default 60; 0: no holder, a new namespace per
 * container). It is named husk-userns in ps; SIGTERM ends it at once (the
 * namespace lives on in the containers that are in it). */
#pragma once
#include "linux/userns/idmap.h"

/* HUSK_USERNS_LINGER: 0..86400 seconds (unset: 60). -1, naming the value, otherwise. */
int userns_holder_linger(long *seconds, struct husk_err *err);

/* The holder's user namespace for these maps (host view), started when there is
 * none (newuidmap and newgidmap write its maps): an fd to setns into, or -1 with err
 * (the maps could not be written: the same error a new namespace would have met).
 * -2: no holder here (linger 0, or a socket of that name held by another uid or
 * with other maps: said once on stderr), make a new namespace instead. */
int userns_holder_get(const struct id_map *uids, const struct id_map *gids, long linger,
		      struct husk_err *err);
