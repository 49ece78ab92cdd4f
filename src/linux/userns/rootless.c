#include "linux/userns/rootless.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/cgroup/cgroup.h"
#include "linux/cgroup/oci_limits.h"
#include "linux/userns/subid.h"
#include "util/fs.h"
#include "util/path.h"

/* uid 0 of a user namespace other than the host's (rootless podman runs its OCI
 * runtime so) is no more privileged on the host than the user who made it */
static bool in_initial_userns(void)
{
	char buf[128];
	if (read_file("/proc/self/uid_map", buf, sizeof buf) <= 0)
		return true;
	unsigned long a, b, c;
	return sscanf(buf, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL;
}

bool rootless(void)
{
	static int cached = -1;
	if (cached < 0)
		cached = geteuid() != 0 || !in_initial_userns();
	return cached;
}

static bool own_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
}

int rootless_state_root(char *buf, size_t len, struct husk_err *err)
{
	if (!rootless())
		return path_format(buf, len, err, "state root", "%s", HUSK_DEFAULT_STATE_ROOT);
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char run_user[64];
	snprintf(run_user, sizeof run_user, "/run/user/%u", (unsigned)geteuid());
	if (xdg && xdg[0] == '/')
		return path_format(buf, len, err, "$XDG_RUNTIME_DIR", "%s/husk", xdg);
	if (own_dir(run_user))
		return path_format(buf, len, err, "state root", "%s/husk", run_user);
	/* state.c makes it 0700; a directory someone else made there is refused */
	return path_format(buf, len, err, "state root", "/tmp/husk-%u", (unsigned)geteuid());
}

int rootless_image_root(char *buf, size_t len, struct husk_err *err)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg && xdg[0] == '/')
		return path_format(buf, len, err, "$XDG_DATA_HOME", "%s/husk", xdg);
	const char *home = getenv("HOME");
	if (home && home[0] == '/')
		return path_format(buf, len, err, "$HOME", "%s/.local/share/husk", home);
	struct passwd *pw = getpwuid(geteuid());
	if (pw && pw->pw_dir && pw->pw_dir[0] == '/')
		return path_format(buf, len, err, "home directory", "%s/.local/share/husk", pw->pw_dir);
	return husk_error(err, 0, "image store: uid %u has no home directory ($HOME unset, none in "
			  "the passwd database): give --image-root DIR", (unsigned)geteuid());
}

static bool have_helper(const char *name)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof dirs, "%s", path ? path : "/usr/bin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char p[4200];
		snprintf(p, sizeof p, "%s/%s", d, name);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

/* One map: the caller's id at `at` inside, the subid range around it. */
static int one_map(struct id_map *m, uint32_t id, uint32_t at, const struct subid_range *r,
		   bool use_range, struct husk_err *err)
{
	if (idmap_add(m, at, id, 1, err))
		return -1;
	if (!use_range)
		return 0;
	if (at == 0)
		return idmap_add(m, 1, r->start, r->count, err);
	/* keep-id: ids 0..at-1 and at+1.. from the range */
	uint32_t below = at < r->count ? at : r->count;
	if (idmap_add(m, 0, r->start, below, err))
		return -1;
	if (r->count > below && idmap_add(m, at + 1, r->start + below, r->count - below, err))
		return -1;
	return 0;
}

int rootless_maps(bool keep_id, struct id_map *uids, struct id_map *gids, bool *helpers,
		  struct husk_err *err)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct passwd *pw = getpwuid(uid);
	const char *name = pw ? pw->pw_name : NULL;
	struct subid_range ur, gr;
	bool range = subid_lookup("/etc/subuid", name, uid, &ur, 1) == 1 &&
		     subid_lookup("/etc/subgid", name, uid, &gr, 1) == 1 &&
		     have_helper("newuidmap") && have_helper("newgidmap");
	/* a range of one id is not worth a helper; keep-id needs ids below the caller */
	*helpers = range;
	memset(uids, 0, sizeof *uids);
	memset(gids, 0, sizeof *gids);
	if (one_map(uids, uid, keep_id ? uid : 0, &ur, range, err) ||
	    one_map(gids, gid, keep_id ? gid : 0, &gr, range, err))
		return -1;
	return 0;
}

static int rootless_cgroup_check(const struct husk_spec *s, const char *v2why,
				 struct husk_err *err);

/* cgroup v2 delegated to this user: the parent of the cgroup husk runs in, when the
 * user owns it and may write its cgroup.procs and cgroup.subtree_control (systemd's
 * user@UID.service, or a directory chown'd to the user). husk must run inside it:
 * moving the container there needs the common ancestor's cgroup.procs. */
static bool delegated_parent(char *base, size_t len, char *why, size_t wlen)
{
	char buf[4096];
	if (read_file("/proc/self/cgroup", buf, sizeof buf) < 0 || strncmp(buf, "0::/", 4)) {
		snprintf(why, wlen, "cgroup v2, but /proc/self/cgroup has no unified entry");
		return false;
	}
	char *path = buf + 3;
	path[strcspn(path, "\n")] = '\0';
	char *slash = strrchr(path, '/');
	if (slash == path) {
		snprintf(why, wlen, "cgroup v2, but husk runs in a cgroup (%.200s) right below the root, "
			 "which is the host's", path);
		return false;
	}
	*slash = '\0';
	if (!path_fits(base, len, CGROUP_ROOT "%s", path)) {
		snprintf(why, wlen, "cgroup v2, but husk's cgroup path is longer than %zu bytes", len - 1);
		return false;
	}
	char procs[4200], ctl[4200];
	snprintf(procs, sizeof procs, "%s/cgroup.procs", base);
	snprintf(ctl, sizeof ctl, "%s/cgroup.subtree_control", base);
	struct stat st;
	if (stat(base, &st) == 0 && st.st_uid == geteuid() && access(procs, W_OK) == 0 &&
	    access(ctl, W_OK) == 0)
		return true;
	snprintf(why, wlen, "cgroup v2, but %s (the parent of husk's own cgroup) is not delegated "
		 "to uid %u", base, (unsigned)geteuid());
	return false;
}

int rootless_cgroup(struct cgroup *cg, const struct husk_spec *s, struct husk_err *err)
{
	char base[256], v2why[400] = "";
	if (cgroup_detect() == CGROUP_V2 && delegated_parent(base, sizeof base, v2why, sizeof v2why))
		return cgroup_create_delegated(cg, s->name, base, &s->res, err);
	return rootless_cgroup_check(s, v2why, err);
}

static int rootless_cgroup_check(const struct husk_spec *s, const char *v2why, struct husk_err *err)
{
	enum cgroup_mode m = cgroup_detect();
	const char *why = m == CGROUP_V2 ? v2why :
		m == CGROUP_HYBRID ? "this host is hybrid: its memory, cpu and pids controllers are "
				     "cgroup v1, which the kernel cannot delegate to a user" :
		m == CGROUP_V1 ? "this host has cgroup v1, which the kernel cannot delegate to a user" :
		"this host has no cgroup filesystem";
	const char *extra[8] = { NULL };
	if (s->oci.active)
		oci_limits_controllers(&s->oci.res, extra);
	const char *limit = s->res.memory ? "--memory" : s->res.memory_swap ? "--memory-swap" :
			    s->res.millicpus ? "--cpus" : s->res.pids ? "--pids-limit" : NULL;
	if (s->oci.active && (limit || extra[0]))
		limit = "linux.resources";
	if (limit)
		return husk_error(err, 0, "%s: a rootless container cannot have cgroup limits here: %s "
				  "(run as root, or on cgroup v2 with a subtree delegated to uid %u)",
				  limit, why, (unsigned)geteuid());
	/* a bundle's engine decides what to tell (runc and crun say nothing either) */
	if (!s->oci.active)
		husk_warn("warning: rootless: the container runs without a cgroup (no limits, no "
			  "OOM report): %s", why);
	return 0;
}

void rootless_cgroup_remove(const char *name)
{
	char base[256], why[400];
	if (cgroup_detect() == CGROUP_V2 && delegated_parent(base, sizeof base, why, sizeof why))
		cgroup_remove_delegated(base, name);
}
