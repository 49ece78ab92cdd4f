/* cgroups: one directory per container, husk/<name> at the root of each hierarchy,
 * on v2 (unified), v1, or hybrid hosts (v1 controllers plus a cgroup2 mount that
 * may hold a few controllers; husk uses the v1 ones there). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

enum cgroup_mode { CGROUP_NONE = 0, CGROUP_V1, CGROUP_V2, CGROUP_HYBRID };

#define CGROUP_V1_MAX 12

struct cgroup_v1_dir {
	char controllers[64]; /* "memory", "cpu,cpuacct" */
	char mount[256];      /* /sys/fs/cgroup/memory (mountinfo's field, read as %255s) */
	char path[256 + 192]; /* /sys/fs/cgroup/memory/husk/<name>: mount + "/" + rel */
	bool created;
};

struct cgroup {
	enum cgroup_mode mode;
	char name[65];
	char rel[192];     /* below each hierarchy's root: husk/<name>, or an OCI cgroupsPath */
	char own[192];     /* the shallowest directory of rel that husk made: destroy goes up to it */
	const char *const *extra; /* v1: more controllers to join (OCI: cpuset, blkio ...), NULL-ended */
	char v2_path[256]; /* /sys/fs/cgroup/husk/<name> (v2 only) */
	char v2_base[256]; /* where husk/ is made: "" = /sys/fs/cgroup; a rootless husk's
			    * delegated directory otherwise (linux/userns/rootless.c) */
	bool v2_leaf;      /* the container runs in <name>/ctr, below its limits: a
			    * delegated <name> is the user's, ctr is all it can reach */
	bool v2_created;
	int v2_fd;         /* directory fd, for clone3(CLONE_INTO_CGROUP); -1 if none */
	struct cgroup_v1_dir v1[CGROUP_V1_MAX];
	int n_v1;
	int self_fd[CGROUP_V1_MAX]; /* v1: each hierarchy's `tasks`, open for the child */
	int n_self;                 /* how many of self_fd are open (cgroup_self_prepare) */
	int64_t memory_limit; /* for the OOM message */
};

const char *cgroup_mode_name(enum cgroup_mode m);
enum cgroup_mode cgroup_detect(void);

/* mkdir husk/<name> in each hierarchy and write the limits. */
int cgroup_create(struct cgroup *cg, const char *name, const struct husk_resources *res,
		  struct husk_err *err);
/* v2 only: husk/<name> under a delegated directory `base` the caller owns, the
 * container in its leaf ctr (a rootless husk on a delegated subtree). */
int cgroup_create_delegated(struct cgroup *cg, const char *name, const char *base,
			    const struct husk_resources *res, struct husk_err *err);
/* The same at rel (cgroup_path_expand()); own as above, "" when unknown. */
int cgroup_create_at(struct cgroup *cg, const char *name, const char *rel,
		     const char *const *extra, const struct husk_resources *res,
		     struct husk_err *err);
/* The cgroup create_at made at rel, found again (no directory is made): for husk
 * update. v1: extra as for create_at. */
int cgroup_open_at(struct cgroup *cg, const char *name, const char *rel,
		   const char *const *extra, struct husk_err *err);
/* Writes res's limits (memory, memory+swap, CPUs, pids) into its directories. */
int cgroup_set_limits(struct cgroup *cg, const struct husk_resources *res, struct husk_err *err);
/* v2: puts pid in the cgroup (where clone3 could not: an older kernel). v1: nothing,
 * the process moves itself with cgroup_self_enter. */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct husk_err *err);
/* v1 and hybrid: opens each hierarchy's `tasks` file for the container's PID 1 to
 * move itself with cgroup_self_enter (none on v2, where clone3 does it); the parent
 * closes them after the clone with cgroup_self_close. */
int cgroup_self_prepare(struct cgroup *cg, struct husk_err *err);
/* In the (single-threaded) child: writes "0" into each file cgroup_self_prepare
 * opened. The kernel moves a thread that names itself without the global
 * threadgroup lock that writing a PID to cgroup.procs takes, whose RCU grace period
 * was ~10 ms of every container start on v1 hosts. The files were opened by husk,
 * so this works in a new user namespace too. */
int cgroup_self_enter(struct cgroup *cg, struct husk_err *err);
void cgroup_self_close(struct cgroup *cg);
/* True if the kernel OOM-killed a process of this cgroup. */
bool cgroup_oom_killed(const struct cgroup *cg);
/* Kills what is left, removes the directories (and husk/ when empty). */
void cgroup_destroy(struct cgroup *cg);
/* Removes the cgroup of a container whose husk died (stale state). */
void cgroup_remove_by_name(const char *name);
/* The same for a rootless container under the delegated directory base. */
void cgroup_remove_delegated(const char *base, const char *name);
/* Removes the cgroup at rel in every hierarchy, and the parents up to own; extra:
 * the v1 controllers besides husk's own to look in too (NULL: none), as for
 * cgroup_create_at. */
void cgroup_remove_at(const char *name, const char *rel, const char *own,
		      const char *const *extra);
/* mkdir -p MOUNT/REL; own gets the shallowest part made (unchanged if none). */
int cgroup_mkdir_rel(const char *mount, const char *rel, char *own, size_t own_len,
		     struct husk_err *err);
/* rmdir MOUNT/REL's parents while they are empty and below or at own. */
void cgroup_rmdir_parents(const char *mount, const char *rel, const char *own);
/* Reads the controllers available (space separated) for husk check. */
int cgroup_controllers(enum cgroup_mode m, char *buf, size_t len);

/* v1 and hybrid: the directory of this container's cgroup in the hierarchy that
 * holds `controller` ("devices"), or NULL if none does. */
const char *cgroup_v1_path(const struct cgroup *cg, const char *controller);
/* v1 and hybrid: the controllers of each v1 hierarchy mounted here ("cpu,cpuacct"),
 * each hierarchy once, into names[0..max); returns how many. */
int cgroup_v1_hierarchies(char names[][64], int max);
