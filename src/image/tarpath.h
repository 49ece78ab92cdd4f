/* Where a tar entry of a layer may go: pure functions on names, no file system
 * (tests/fuzz targets call them directly). */
#pragma once
#include <stddef.h>

/* An entry's name -> a clean path relative to the layer directory ("" is the
 * layer's root): "./a//b/." -> "a/b". Refuses an absolute name, a ".." component,
 * an empty component list that is not the root, a name of len bytes or more.
 * 0, or -1 with *why set to a static reason. */
int tar_path_clean(const char *name, char *out, size_t len, const char **why);

/* May a symlink at clean path `entry` point at `target`? An absolute target is
 * resolved inside the container's root and is fine; a relative one must not climb
 * above the layer's root ("a/b" -> "../../x" leads out). 0, or -1 with *why. */
int tar_symlink_check(const char *entry, const char *target, const char **why);

/* Splits a clean, non-empty path into its parent ("" for the root) and base name.
 * parent must hold len bytes. Returns the base (a pointer into path). */
const char *tar_path_split(const char *path, char *parent, size_t len);

/* Whiteouts: 1 for ".wh..wh..opq" (the parent is opaque), 2 for ".wh.NAME" (NAME
 * is deleted; *hidden points at NAME in base), 3 for other ".wh..wh." names
 * (docker's internal links: skipped), 0 for an ordinary name. */
int tar_whiteout_kind(const char *base, const char **hidden);
