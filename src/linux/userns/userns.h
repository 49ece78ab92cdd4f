/* A container's user namespace, host side and child side. The parent takes the id
 * block before clone (--userns auto), writes the maps between clone and "go", and
 * makes the idmapped root the child attaches; the child becomes root of its
 * namespace before it touches the container's files. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "linux/userns/idmap.h"
#include "linux/userns/join.h"
#include "spec.h"

struct userns_state {
	bool enabled;
	struct id_map uids, gids;
	uint32_t block;    /* first host id of the --userns auto block */
	int lease_fd;      /* the block's lease, held while the container lives */
	int root_tree_fd;  /* child: the idmapped rootfs the parent sent, or -1 */
	bool rootless;     /* maps of the caller's ids (linux/userns/rootless.h) */
	bool helpers;      /* rootless: written by newuidmap/newgidmap */
	bool from_config;  /* linux.uidMappings/gidMappings of a bundle: no idmapped root */
	bool joined;       /* a bundle's namespace given by path: its maps are its own */
	bool held;         /* rootless with helpers: the holder's namespace (holder.h) */
	int join_fd;       /* that namespace (the plan's, join.h; the holder's, ours), or -1 */
};

/* "host", "private", "auto", "keep-id" -> spec->userns; -1 on anything else. */
int userns_parse_mode(const char *arg, enum userns_mode *mode, struct husk_err *err);
const char *userns_mode_name(enum userns_mode mode);

void userns_init(struct userns_state *u);
/* Host side, before clone: the id block and the maps (nothing for --userns host); a
 * bundle's namespace given by path, checked by the plan (join.h), with its maps. */
int userns_prepare(struct userns_state *u, const struct husk_spec *s,
		   const struct userns_join *join, struct husk_err *err);
/* Host side, between clone and "go": the child's maps, then the idmapped rootfs,
 * sent to the child over sync_fd (nothing for a joined namespace). */
int userns_attach(struct userns_state *u, const struct husk_spec *s, pid_t pid, int sync_fd,
		  struct husk_err *err);
/* Gives the id block back (every path, after PID 1 is gone). */
void userns_release(struct userns_state *u);

/* Reclaims the id blocks of husks that died (their flock is gone): the sweeps of
 * stale containers call it, as net_cleanup_stale. */
void userns_cleanup_stale(void);

/* Child side, after "go": uid and gid 0 of the namespace, no supplementary groups
 * (where setgroups is allowed). */
int userns_become_root(struct husk_err *err);
/* True when /proc/self/setgroups says "deny" (a rootless map written without
 * newgidmap): setgroups(2) fails there, and husk leaves the groups as they are. */
bool userns_setgroups_denied(void);
