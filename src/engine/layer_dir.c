#include "engine/layer_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/userns/rootless_ns.h"
#include "util/fs.h"
#include "util/path.h"

/* readlink into BUF (NUL-terminated), or -1 */
static int read_link(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);
	if (n < 0 || (size_t)n >= len - 1)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Whether layer dir DIR is an orphan: its state dir gone, or that state dir's layer
 * link names another one. A state dir without a layer link yet is one being made. */
static bool orphaned(const char *dir)
{
	char link[PATH_MAX], state[PATH_MAX], back[PATH_MAX], there[PATH_MAX + 8];
	if (!path_fits(link, sizeof link, "%s/state", dir) || read_link(link, state, sizeof state))
		return false; /* being made (the link comes right after the mkdir), or not ours */
	struct stat st;
	if (lstat(state, &st) < 0)
		return errno == ENOENT;
	if (!path_fits(there, sizeof there, "%s/layer", state) || read_link(there, back, sizeof back))
		return false;
	return strcmp(back, dir) != 0;
}

void layer_dir_gc(const char *layer_root)
{
	DIR *d = opendir(layer_root);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char dir[PATH_MAX];
		if (de->d_name[0] == '.' || !path_fits(dir, sizeof dir, "%s/%s", layer_root, de->d_name))
			continue;
		if (orphaned(dir))
			rootless_remove_tree(dir);
	}
	closedir(d);
}

/* The orphans of LAYER_ROOT, looked for once per state root, boot and layer root: a
 * layer dir is orphaned only when its state dir went without husk (a reboot, or
 * someone's rm), and the state root is made anew when its first container comes
 * (it goes with its last, LAYER_DIR_GC_STAMP with it). So starting a container does
 * not read every other container's layer; `image prune` always looks. */
static void gc_once(const char *layer_root, const char *state_dir)
{
	char stamp[PATH_MAX], boot[64] = "", mark[PATH_MAX + 64], seen[PATH_MAX + 64] = "";
	if (!path_fits(stamp, sizeof stamp, "%s", state_dir))
		return;
	char *slash = strrchr(stamp, '/');
	if (!slash || slash == stamp || !path_fits(slash, sizeof stamp - (size_t)(slash - stamp),
						   "/%s", LAYER_DIR_GC_STAMP))
		return;
	if (read_file("/proc/sys/kernel/random/boot_id", boot, sizeof boot) <= 0 ||
	    !path_fits(mark, sizeof mark, "%.36s %s\n", boot, layer_root)) {
		layer_dir_gc(layer_root);
		return;
	}
	if (read_file(stamp, seen, sizeof seen) > 0 && !strcmp(seen, mark))
		return;
	layer_dir_gc(layer_root);
	/* a torn or lost stamp only makes the next run look again */
	int fd = open(stamp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		write_all(fd, mark, strlen(mark));
		close(fd);
	}
}

int layer_dir_ensure(const char *layer_root, const char *state_dir, const char *name,
		     struct husk_err *err)
{
	char there[PATH_MAX];
	struct stat st;
	if (!path_fits(there, sizeof there, "%s/layer", state_dir))
		return husk_error(err, ENAMETOOLONG, "state dir '%s'", state_dir);
	if (lstat(there, &st) == 0)
		return 0;
	if (mkdir_p(layer_root, 0700) < 0)
		return husk_error(err, errno, "container layers: mkdir %s", layer_root);
	gc_once(layer_root, state_dir);
	unsigned char r[4];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return husk_error(err, errno, "getrandom");
	char dir[PATH_MAX], link[PATH_MAX];
	if (!path_fits(dir, sizeof dir, "%s/%s-%02x%02x%02x%02x", layer_root, name, r[0], r[1], r[2],
		       r[3]) ||
	    !path_fits(link, sizeof link, "%s/state", dir))
		return husk_error(err, ENAMETOOLONG, "container layer in '%s'", layer_root);
	if (mkdir(dir, 0700) < 0)
		return husk_error(err, errno, "container layer: mkdir %s", dir);
	if (symlink(state_dir, link) < 0 || symlink(dir, there) < 0) {
		int e = errno;
		rootless_remove_tree(dir);
		return husk_error(err, e, "container layer %s", dir);
	}
	return 0;
}

void layer_dir_remove(const char *state_dir)
{
	char there[PATH_MAX], dir[PATH_MAX], back[PATH_MAX], link[PATH_MAX];
	if (!path_fits(there, sizeof there, "%s/layer", state_dir) || read_link(there, dir, sizeof dir))
		return;
	/* only a layer dir that names this state dir back: never anything else */
	if (!path_fits(link, sizeof link, "%s/state", dir) || read_link(link, back, sizeof back) ||
	    strcmp(back, state_dir) != 0)
		return;
	rootless_remove_tree(dir);
}
