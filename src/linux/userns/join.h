/* A bundle's user namespace given by path (a pod's: podman's shared userns,
 * Kubernetes' hostUsers: false, where containerd passes the sandbox's
 * /proc/PID/ns/user to every container): checked and held open in the parent
 * before anything exists on the host. No map is written for it: it has its own. */
#pragma once
#include "linux/userns/idmap.h"
#include "spec.h"

struct userns_join {
	int fd;           /* the namespace, held open from the check to the clone; -1: none */
	const char *path; /* as the config gives it (the spec owns the string) */
	struct id_map uids, gids; /* its maps, as the host sees them */
};

void userns_join_init(struct userns_join *j);
void userns_join_close(struct userns_join *j);

/* For a config whose linux.namespaces joins a user namespace: opens the path, checks
 * that it is a user namespace, reads its maps (from a short-lived process inside it:
 * /proc/<that pid>/uid_map as the host sees it) and checks them against the config's
 * uidMappings/gidMappings when it gives them (as runc does). Nothing to do (0) for
 * any other config. */
int userns_join_prepare(struct userns_join *j, const struct husk_spec *s, struct husk_err *err);
