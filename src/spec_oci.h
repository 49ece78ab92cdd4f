/* The runtime-spec fields that only a bundle's config.json fills today (the OCI face,
 * src/oci/). struct husk_spec holds one of these as `oci`; when oci.active is false
 * (the docker-like face) every field is zero and the engine does what husk run always
 * did. When it is true the config is complete: mounts, devices, capabilities, masked
 * paths and namespaces are exactly the lists given here, not husk's defaults.
 *
 * Pure data: filled by oci_config_load() without touching the host; names
 * (capabilities, signals, rlimits, namespace types) are already resolved to numbers. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct oci_mount {
	char *destination; /* absolute, inside the container */
	char *type;        /* "bind", "tmpfs", "proc", ...; NULL for a plain bind */
	char *source;
	unsigned long flags;       /* MS_* to set (MS_BIND, MS_REC, MS_RDONLY ...) */
	unsigned long clear;       /* MS_* explicitly cleared ("rw", "suid", "dev" ...) */
	unsigned long propagation; /* MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE (+MS_REC), 0 */
	uint64_t rattr_set;        /* "rro", "rnosuid" ...: MOUNT_ATTR_* set with AT_RECURSIVE */
	uint64_t rattr_clear;      /* "rrw", "rsuid" ...: MOUNT_ATTR_* cleared the same way */
	bool copyup;               /* podman's "tmpcopyup" */
	char *data;                /* the filesystem options, comma-joined; NULL if none */
};

/* one of the namespaces of linux.namespaces */
struct oci_namespace {
	int type;   /* CLONE_NEWPID, CLONE_NEWNET ... */
	char *path; /* join this one (setns) instead of creating a new one; NULL: new */
};

struct oci_id_map {
	uint32_t container_id, host_id, size;
};

struct oci_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

/* linux.devices: a node the runtime creates inside /dev */
struct oci_device {
	char *path;
	char type; /* 'c', 'b', 'u' (= c), 'p' */
	int64_t major, minor;
	uint32_t mode, uid, gid;
	bool has_mode, has_uid, has_gid;
};

/* linux.resources.devices: one cgroup device rule */
struct oci_dev_rule {
	bool allow;
	char type;            /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1 = any */
	char access[4];       /* some of "rwm" */
};

struct oci_kv {
	char *key, *value;
};

struct oci_throttle {
	int64_t major, minor;
	uint64_t rate;
};

struct oci_weight_dev {
	int64_t major, minor;
	uint16_t weight, leaf_weight;
};

/* linux.resources beyond struct husk_resources (memory.limit, memory.swap, pids.limit
 * and cpu quota/period as millicpus go there). -1 or NULL: not set. */
struct oci_resources {
	int64_t memory_reservation, kernel, kernel_tcp, swappiness;
	bool disable_oom_killer;
	int64_t cpu_shares, cpu_quota, cpu_period, cpu_rt_runtime, cpu_rt_period, cpu_idle;
	char *cpus, *mems;
	int64_t blkio_weight, blkio_leaf_weight;
	struct oci_weight_dev *blkio_weight_dev;
	size_t n_blkio_weight_dev;
	struct oci_throttle *throttle[4]; /* read bps, write bps, read iops, write iops */
	size_t n_throttle[4];
	struct oci_kv *hugepages; /* pagesize ("2MB") -> limit in bytes (decimal text) */
	size_t n_hugepages;
	int64_t network_class_id;
	struct oci_kv *network_prio; /* interface -> priority (decimal text) */
	size_t n_network_prio;
	struct oci_dev_rule *devices;
	size_t n_devices;
	struct oci_kv *unified; /* cgroup v2 file -> value */
	size_t n_unified;
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KINDS,
};

struct oci_hook {
	char *path;
	char **args; /* NULL-terminated; NULL = { path } */
	char **env;  /* NULL-terminated; NULL = empty */
	int timeout; /* seconds, 0 = none */
};

/* capability sets of process.capabilities, as bit masks (bit N = capability N) */
enum oci_cap_set { OCI_CAP_BOUNDING, OCI_CAP_EFFECTIVE, OCI_CAP_INHERITABLE,
		   OCI_CAP_PERMITTED, OCI_CAP_AMBIENT, OCI_CAP_SETS };

struct husk_oci {
	bool active;
	char *bundle;      /* absolute path of the bundle directory */
	char *oci_version;
	char *domainname;

	/* process */
	char **args;       /* NULL-terminated, owned here; husk_spec.argv points at it */
	uint32_t uid, gid;
	gid_t *additional_gids;
	size_t n_additional_gids;
	bool has_umask;
	mode_t umask;
	bool has_caps;     /* process.capabilities given: these sets, not docker's 14 */
	uint64_t caps[OCI_CAP_SETS];
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool has_oom_score_adj;
	int oom_score_adj;
	unsigned console_height, console_width; /* 0 = leave the pty's size alone */
	char *apparmor_profile, *selinux_label;

	/* root and mounts */
	struct oci_mount *mounts;
	size_t n_mounts;
	unsigned long rootfs_propagation; /* MS_* for /, 0 = private (husk's default) */
	char **masked_paths;
	size_t n_masked_paths;
	char **readonly_paths;
	size_t n_readonly_paths;
	char *mount_label;

	/* linux */
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_id_map *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct oci_device *devices;
	size_t n_devices;
	struct oci_resources res;
	char *cgroups_path; /* as given ("/a/b", "a/b", "slice:prefix:name"); NULL = default */
	struct oci_kv *sysctl;
	size_t n_sysctl;
	char *seccomp_json; /* linux.seccomp as JSON text (the profile compiler reads it) */
	char *intel_rdt_closid;

	/* the runtime's options of this request (create/exec flags, not config.json) */
	char *pid_file;       /* --pid-file */
	char *console_socket; /* --console-socket */
	int preserve_fds;     /* --preserve-fds N: fds 3 .. 3+N-1 stay open in the process */
	bool systemd_cgroup;  /* --systemd-cgroup: cgroups_path is slice:prefix:name */
	bool detach;          /* exec --detach */
	char *config_text;    /* config.json as read (kept in the state directory) */

	/* hooks, annotations */
	struct oci_hook *hooks[OCI_HOOK_KINDS];
	size_t n_hooks[OCI_HOOK_KINDS];
	struct oci_kv *annotations;
	size_t n_annotations;
};

void spec_oci_free(struct husk_oci *o);
/* The namespace entry of that CLONE_NEW* type, or NULL if the config has none. */
const struct oci_namespace *spec_oci_namespace(const struct husk_oci *o, int type);
/* "prestart", "createRuntime" ... (the config's key) */
const char *spec_oci_hook_name(enum oci_hook_kind k);
