#include "engine/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "linux/cgroup.h"
#include "linux/net.h"
#include "util/cleanup.h"
#include "util/fs.h"

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
	char path[600];
	snprintf(path, sizeof path, "%s/lock", dir);
	cleanup_close int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	return 0; /* closing fd drops the lock again */
}

static void cleanup_one(const char *root, const char *name)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/%s", root, name);
	cgroup_remove_by_name(name);
	net_cleanup_stale(root, name);
	remove_tree(dir);
}

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
		if (!owner_alive(dir))
			cleanup_one(root, de->d_name);
	}
	closedir(d);
}

void state_cleanup_stale(const char *root)
{
	struct husk_err err = { 0 };
	int fd = lock_root(root, &err);
	if (fd < 0)
		return;
	cleanup_stale_locked(root);
	close(fd);
}

int state_create(const struct husk_spec *s, char *dir, size_t len, int *lock_fd,
		 struct husk_err *err)
{
	cleanup_close int root_lock = lock_root(s->state_root, err);
	if (root_lock < 0)
		return -1;
	cleanup_stale_locked(s->state_root);
	snprintf(dir, len, "%s/%s", s->state_root, s->name);
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return husk_error(err, 0, "invalid --name '%s': a container with that name exists",
					  s->name);
		return husk_error(err, errno, "state directory %s", dir);
	}
	char path[600];
	snprintf(path, sizeof path, "%s/lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		rmdir(dir);
		return husk_error(err, e, "locking %s", path);
	}
	*lock_fd = fd;
	return 0;
}

int state_write(const struct husk_spec *s, const char *dir, pid_t pid, const char *status,
		struct husk_err *err)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "husk_pid", json_object_new_int(getpid()));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "rootfs", json_object_new_string(s->rootfs));
	json_object_object_add(o, "created", json_object_new_int64((int64_t)time(NULL)));
	json_object *argv = json_object_new_array();
	for (char **a = s->argv; *a; a++)
		json_object_array_add(argv, json_object_new_string(*a));
	json_object_object_add(o, "command", argv);

	char tmp[600], path[600];
	snprintf(tmp, sizeof tmp, "%s/state.json.tmp", dir);
	snprintf(path, sizeof path, "%s/state.json", dir);
	int r = json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN);
	json_object_put(o);
	if (r < 0 || rename(tmp, path) < 0)
		return husk_error(err, errno, "writing %s", path);
	return 0;
}

void state_remove(const char *dir, int lock_fd)
{
	if (!dir[0])
		return;
	remove_tree(dir);
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
	DIR *d = opendir(root);
	if (!d)
		return;
	int others = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, ".lock"))
			others++;
	closedir(d);
	if (!others) {
		char lockp[320];
		snprintf(lockp, sizeof lockp, "%s/.lock", root);
		unlink(lockp);
		rmdir(root);
	}
}
