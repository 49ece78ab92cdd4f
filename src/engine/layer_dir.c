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
	layer_dir_gc(layer_root);
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
