#include "engine/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/container.h"
#include "engine/layer_dir.h"
#include "linux/userns/rootless.h"
#include "linux/userns/rootless_ns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/input_limits.h"
#include "util/json.h"
#include "util/path.h"


/* Takes <root>/.lock. The last husk out removes <root>, lock file included, so a
 * waiter that then gets a lock on an unlinked file starts over. */
static int lock_root(const char *root, struct husk_err *err)
{
	char path[300];
	snprintf(path, sizeof path, "%s/.lock", root);
	for (;;) {
		if (mkdir_p(root, 0700) < 0)
			return husk_error(err, errno, "state directory %s", root);
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0 || flock(fd, LOCK_EX) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return husk_error(err, e, "locking %s", path);
		}
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd);
	}
}

/* With the root lock held: is the husk that owns dir/lock alive? */
static int owner_alive(const char *dir)
{
	char path[PATH_MAX];
	if (!path_fits(path, sizeof path, "%s/lock", dir))
		return 0;
	cleanup_close int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	return 0; /* closing fd drops the lock again */
}

bool state_owner_alive(const char *dir)
{
	char path[600];
	snprintf(path, sizeof path, "%s/lock", dir);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* shared: lookers (ps, stats ...) never make each other see a live owner */
	return flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

/* What the kernel holds for a container whose husk is gone: its cgroup, and the
 * leases (network, user namespace ids) no live husk holds. */
static void release_kernel_side(const char *name)
{
	if (rootless())
		rootless_cgroup_remove(name);
	else
		cgroup_remove_by_name(name);
	net_cleanup_stale();
	userns_cleanup_stale();
}

static void cleanup_one(const char *root, const char *name)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/%s", root, name);
	release_kernel_side(name);
	layer_dir_remove(dir);
	rootless_remove_tree(dir);
}

static void mark_cleaned(json_object *o, void *arg)
{
	(void)arg;
	json_object_object_add(o, "cleaned", json_object_new_boolean(1));
}

/* Files that let the scan of the state root pass a record without reading it: an
 * OCI container's (the config kept by create; the CLI face never writes one), and a
 * kept record whose leftovers are gone (beside "cleaned" in state.json). */
#define OCI_CONFIG_FILE "config.json"
#define CLEANED_FILE "cleaned"

/* A detached container's record outlives its monitor; what the kernel holds for it
 * (processes, cgroups, network) does not. */
static void cleanup_kept(const char *name, const char *dir)
{
	cleanup_json json_object *rec = state_read(dir);
	if (state_get_bool(rec, "cleaned"))
		return;
	/* a PID 1 that outlived its monitor (its exec cleared the parent-death signal)
	 * is the user's to stop: husk kill, stop or rm -f */
	pid_t pid = (pid_t)state_get_int(rec, "pid", 0);
	if (pid > 0 && state_pid_start(pid) == (unsigned long long)state_get_int(rec, "pid_start", 0))
		return;
	release_kernel_side(name);
	struct husk_err err = { 0 };
	if (state_update(dir, mark_cleaned, NULL, &err) == 0)
		state_mark_cleaned(dir);
}

void state_mark_cleaned(const char *dir)
{
	char mark[640];
	if (path_fits(mark, sizeof mark, "%s/" CLEANED_FILE, dir)) {
		int fd = open(mark, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
}

static bool has_file(const char *dir, const char *name)
{
	char path[700];
	return path_fits(path, sizeof path, "%s/%s", dir, name) && access(path, F_OK) == 0;
}

/* Each record whose husk died: its leftovers removed (a kept record's leftovers only).
 * Live ones cost an open and an flock each; OCI ones and cleaned ones a stat more. */
static void cleanup_stale_locked(const char *root)
{
	DIR *d = opendir(root);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		char dir[600];
		snprintf(dir, sizeof dir, "%s/%s", root, de->d_name);
		if (owner_alive(dir) || has_file(dir, OCI_CONFIG_FILE) || has_file(dir, CLEANED_FILE))
			continue;
		cleanup_json json_object *rec = state_read(dir);
		/* a container of `husk create` has no husk process at all: it is the engine's
		 * until `husk delete` */
		if (!strcmp(state_get_str(rec, "face", ""), "oci"))
			continue;
		if (state_get_bool(rec, "detached"))
			cleanup_kept(de->d_name, dir);
		else
			cleanup_one(root, de->d_name);
	}
	closedir(d);
}

/* With the root lock held. */
static void remove_root_if_empty(const char *root)
{
	DIR *d = opendir(root);
	if (!d)
		return;
	int others = 0;
	struct dirent *de;
	/* a directory is a container (or husk's own); a file of someone else's (an
	 * engine's pid file beside the containers) keeps the root but not the lock */
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, ".lock") &&
		    (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN))
			others++;
	closedir(d);
	if (!others) {
		char lockp[320];
		snprintf(lockp, sizeof lockp, "%s/" LAYER_DIR_GC_STAMP, root);
		unlink(lockp);
		snprintf(lockp, sizeof lockp, "%s/.lock", root);
		unlink(lockp);
		rmdir(root); /* fails while such files remain: that is fine */
	}
}

/* With the root lock held. */
static int create_locked(const struct husk_spec *s, char *dir, size_t len, int *lock_fd,
			 struct husk_err *err)
{
	/* the engine that created OCI containers deletes them: an OCI create reads no
	 * other record (a scan under the root lock made each create O(containers)) */
	if (!s->oci.active)
		cleanup_stale_locked(s->state_root);
	if (path_format(dir, len, err, "state directory", "%s/%s", s->state_root, s->name))
		return -1;
	if (mkdir(dir, 0700) < 0) {
		int e = errno;
		dir[0] = '\0'; /* not ours: the undo path must never remove it */
		if (e == EEXIST && s->oci.active)
			return husk_error(err, 0, "container %s exists already (husk delete %s "
					  "removes a stopped one)", s->name, s->name);
		if (e == EEXIST)
			return husk_error(err, 0, "invalid --name '%s': a container with that name exists"
					  " (husk rm %s removes a stopped one)", s->name, s->name);
		return husk_error(err, e, "state directory %s/%s", s->state_root, s->name);
	}
	char path[600];
	snprintf(path, sizeof path, "%s/lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	/* blocking: a looker (husk ps) may hold a shared lock for an instant */
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		remove_tree(dir);
		dir[0] = '\0';
		return husk_error(err, e, "locking %s", path);
	}
	*lock_fd = fd;
	return 0;
}

int state_create(const struct husk_spec *s, char *dir, size_t len, int *lock_fd,
		 struct husk_err *err)
{
	cleanup_close int root_lock = lock_root(s->state_root, err);
	if (root_lock < 0)
		return -1;
	int r = create_locked(s, dir, len, lock_fd, err);
	if (r < 0)
		remove_root_if_empty(s->state_root); /* a refused name leaves no .lock */
	return r;
}

json_object *state_read(const char *dir)
{
	char path[600];
	snprintf(path, sizeof path, "%s/state.json", dir);
	struct stat st;
	/* a record husk did not write (or a full disk's) is no record: never read whole */
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > HUSK_STATE_MAX)
		return NULL;
	json_object *o = json_object_from_file(path);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int write_atomically(int dfd, const char *dir, json_object *o, struct husk_err *err)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, ".state.json.%d.tmp", (int)getpid());
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return husk_error(err, errno, "writing %s/state.json", dir);
	int r = json_object_to_fd(fd, o, JSON_C_TO_STRING_PLAIN);
	int e = errno;
	if (close(fd) < 0 && r == 0) {
		r = -1;
		e = errno;
	}
	if (r < 0 || renameat(dfd, tmp, dfd, "state.json") < 0) {
		e = r < 0 ? e : errno;
		unlinkat(dfd, tmp, 0);
		return husk_error(err, e, "writing %s/state.json", dir);
	}
	return 0;
}

int state_update(const char *dir, void (*edit)(json_object *o, void *arg), void *arg,
		 struct husk_err *err)
{
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return husk_error(err, errno, "state directory %s", dir);
	/* flock on the directory: the writers' lock (the monitor holds dir/lock) */
	if (flock(dfd, LOCK_EX) < 0)
		return husk_error(err, errno, "locking %s", dir);
	cleanup_json json_object *o = state_read(dir);
	if (!o && !(o = json_object_new_object()))
		return husk_error(err, ENOMEM, "state of %s", dir);
	edit(o, arg);
	return write_atomically(dfd, dir, o, err);
}

void state_remove(const char *dir, int lock_fd)
{
	if (!dir[0])
		return;
	/* its writable layer, on disk; a rootless container's holds files of its subuids */
	layer_dir_remove(dir);
	rootless_remove_tree(dir);
	if (lock_fd >= 0)
		close(lock_fd);
	/* leave no empty state root behind when the last container goes */
	char root[300];
	snprintf(root, sizeof root, "%s", dir);
	char *slash = strrchr(root, '/');
	if (!slash || slash == root)
		return;
	*slash = '\0';
	struct husk_err err = { 0 };
	cleanup_close int rl = lock_root(root, &err);
	if (rl < 0)
		return;
	remove_root_if_empty(root);
}

/* The owner's lock, taken for good; a looker's shared lock lasts an instant, so a
 * few tries tell a live owner from a looker. */
static int take_owner_lock(const char *dir)
{
	char path[PATH_MAX];
	if (!path_fits(path, sizeof path, "%s/lock", dir))
		return -1;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -2 : -1;
	for (int i = 0; i < 50; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	close(fd);
	errno = EBUSY;
	return -1;
}

/* With the root lock held. */
static int remove_record_locked(const char *root, const char *name, struct husk_err *err)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/%s", root, name);
	cleanup_close int lock = take_owner_lock(dir);
	if (lock == -1 && errno == EBUSY) {
		husk_error(err, 0, "container %s is running", name);
		err->errnum = EBUSY;
		return -1;
	}
	if (access(dir, F_OK) < 0) {
		husk_error(err, 0, "no such container: %s", name);
		err->errnum = ENOENT;
		return -1;
	}
	if (lock == -1)
		return husk_error(err, errno, "locking %s/lock", dir);
	release_kernel_side(name);
	layer_dir_remove(dir);
	if (rootless_remove_tree(dir) < 0 && errno != ENOENT)
		return husk_error(err, errno, "removing %s", dir);
	return 0;
}

int state_remove_record(const char *root, const char *name, struct husk_err *err)
{
	cleanup_close int rl = lock_root(root, err);
	if (rl < 0)
		return -1;
	int r = remove_record_locked(root, name, err);
	/* also when there was nothing to remove: taking the lock made <root>/.lock
	 * (a second `rm -f` of a name left it behind) */
	remove_root_if_empty(root);
	return r;
}

unsigned long long state_pid_start(pid_t pid)
{
	if (pid <= 0)
		return 0;
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_file(path, buf, sizeof buf) < 0)
		return 0;
	/* the command name (field 2) may hold spaces: count from its closing ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long long start = 0;
	char st = 0;
	/* field 3 is the state, 22 the start time */
	if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &st, &start) != 2)
		return 0;
	return st == 'Z' || st == 'X' ? 0 : start; /* a zombie has ended already */
}

int state_pidfd(pid_t pid, unsigned long long start)
{
	if (pid <= 0 || !start)
		return -1;
	int fd = pidfd_open(pid, 0);
	if (fd >= 0 && state_pid_start(pid) != start) {
		close(fd);
		return -1;
	}
	return fd;
}
