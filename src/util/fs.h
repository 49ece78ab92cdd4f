/* Small file helpers shared by the modules. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* openat2(RESOLVE_IN_ROOT): symlinks in the container's tree cannot point outside it. */
int openat_in_root(int root_fd, const char *path, int flags);
/* Writes a whole string to a file (for cgroup and /proc knobs). -1 with errno set. */
int write_file(const char *path, const char *data);
/* Writes all n bytes (retrying short writes and EINTR); gives up on an error. */
void write_all(int fd, const void *buf, size_t n);
/* Reads a file into buf (NUL-terminated); returns bytes read or -1. */
ssize_t read_file(const char *path, char *buf, size_t len);
/* mkdir -p; mode applies to created directories. */
int mkdir_p(const char *path, mode_t mode);
/* rm -rf of a directory tree that husk owns (state dirs); does not cross mounts. */
int remove_tree(const char *path);
/* A lease file: created (O_EXCL), flock()ed and holding data, or -1 with errno set and
 * nothing left. The fd holds the lease while it is open. */
int create_locked_file(const char *path, const char *data);
/* For each entry of dir not starting with '.': fn(dirfd, name, arg). Returns the sum
 * of fn's results (0 if dir cannot be opened): the lease sweeps count what is held. */
int dir_each(const char *dir, int (*fn)(int dfd, const char *name, void *arg), void *arg);
