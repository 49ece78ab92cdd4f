/* struct husk_spec: everything a container is, modelled on the OCI runtime-spec
 * config (process, root, mounts, hostname, linux.namespaces, linux.resources).
 * Front-ends fill it and call spec_validate(); the engine never parses argv. */
#pragma once
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec_mounts.h"
#include "spec_oci.h"
#include "util/error.h"
#include "util/parse.h"

#define HUSK_DEFAULT_STATE_ROOT "/run/husk"
#define HUSK_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* NET_SLIRP: a user-mode network (slirp4netns), the rootless default */
enum net_mode { NET_BRIDGE = 0, NET_NONE, NET_HOST, NET_SLIRP };

/* --userns: host = the host's ids (no user namespace); private and auto = a block
 * of 65536 host ids from the pool (linux/userns/pool.h); keep-id = rootless only */
enum userns_mode { USERNS_HOST = 0, USERNS_PRIVATE, USERNS_AUTO, USERNS_KEEP_ID };

struct port_map {
	char host_ip[64]; /* "" = all addresses */
	uint16_t host_port;
	uint16_t ctr_port;
	int proto; /* IPPROTO_TCP or IPPROTO_UDP */
};

struct husk_resources {
	int64_t memory;      /* bytes, 0 = unlimited */
	int64_t memory_swap; /* bytes of memory+swap, 0 = default, -1 = unlimited */
	int64_t millicpus;   /* 1000 = one CPU, 0 = unlimited */
	int64_t pids;        /* 0 = unlimited */
};

struct husk_security {
	bool privileged;
	bool no_new_privs;
	bool seccomp_unconfined;
	char *seccomp_profile; /* path of a docker/OCI JSON profile, or NULL */
	char **cap_add;
	size_t n_cap_add;
	char **cap_drop;
	size_t n_cap_drop;
};

struct husk_spec {
	/* identity */
	char name[65];
	char hostname[65];
	char state_root[256]; /* /run/husk */

	/* root filesystem */
	char *rootfs; /* absolute, resolved */
	bool no_pivot;
	bool readonly_root;
	struct volume *volumes;
	size_t n_volumes;
	struct tmpfs_mount *tmpfs;
	size_t n_tmpfs;
	/* copy-on-write root (an image, or --overlay): an overlayfs of these dirs, top
	 * first, with an upper dir of the container's own; spec_validate then points
	 * rootfs at the merged dir, <state_root>/<name>/rootfs (linux/fs/overlay.h) */
	char **lower;
	size_t n_lower;
	char *layer_root; /* where its upper and work dirs go (engine/layer_dir.h) */
	char *image;    /* the image as named on the command line, or NULL */
	char *image_id; /* sha256:<hex> of its config */

	/* process */
	char **argv;
	bool argv_owned; /* argv's strings belong to the spec (from an image's config) */
	char **env; /* KEY=VAL, NULL-terminated */
	size_t n_env;
	char *workdir; /* NULL = the user's home or / */
	char *user;    /* as given; resolved in the child */
	bool interactive;
	bool tty;
	bool init;
	int stop_timeout; /* seconds */
	char *log_file;

	/* lifecycle */
	bool detach;
	bool remove; /* --rm */

	/* resources, network, security */
	struct husk_resources res;
	enum net_mode net;
	enum userns_mode userns;
	bool rootless; /* husk runs as a user other than root (linux/userns/rootless.h) */
	struct port_map *ports;
	size_t n_ports;
	struct husk_security sec;

	/* what only a bundle's config.json fills (spec_oci.h); zero for husk run */
	struct husk_oci oci;
};

/* True when the container gets a user namespace (--userns other than host, or a
 * rootless husk, whose container always has one). */
static inline bool spec_has_userns(const struct husk_spec *s)
{
	if (s->oci.active)
		return spec_oci_namespace(&s->oci, CLONE_NEWUSER) != NULL;
	return s->userns != USERNS_HOST || s->rootless;
}

/* True when the container's mounts and nodes are made inside a user namespace: its
 * own, or (rootless podman) the one husk itself runs in. No mknod then, no sysfs
 * without a network namespace, no unmapped gid on devpts. */
static inline bool spec_in_userns(const struct husk_spec *s)
{
	return spec_has_userns(s) || s->rootless;
}

/* Buffers that hold what they are built from, so that nothing is cut: a container's
 * state dir <state_root>/<name> (255 + 1 + 64 bytes and the NUL), and a file of
 * husk's in it (a name of fewer than 32 bytes). */
#define HUSK_STATE_DIR_LEN (sizeof ((struct husk_spec *)0)->state_root + \
			    sizeof ((struct husk_spec *)0)->name)
#define HUSK_STATE_FILE_LEN (HUSK_STATE_DIR_LEN + 32)

void spec_init(struct husk_spec *s);
void spec_free(struct husk_spec *s);

/* Checks the whole request; touches nothing on the host: no port is bound, no
 * filter compiled (engine/plan.c prepares the host side afterwards). */
int spec_validate(struct husk_spec *s, struct husk_err *err);

/* Appends "KEY=VAL" (replacing an earlier KEY). */
int spec_setenv(struct husk_spec *s, const char *kv, struct husk_err *err);
/* Returns the value of KEY in s->env or NULL. */
const char *spec_getenv(const struct husk_spec *s, const char *key);
