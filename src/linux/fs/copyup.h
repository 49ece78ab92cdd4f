/* tmpcopyup (runc's extension, podman's default for --tmpfs): a tmpfs mounted over a
 * directory of the image starts with a copy of what that directory held. The walk is
 * by fd (openat with O_NOFOLLOW, the tree's own fds): no symlink of the image can send
 * the copy outside the two trees. Child side, before the root switch. */
#pragma once
#include "util/error.h"

/* Copies the content of the directory from_fd (files, directories, symlinks, with
 * their modes, owners and times; device nodes, fifos and sockets as nodes) into the
 * directory to_fd. what names the mount in errors. */
int copyup_tree(int from_fd, int to_fd, const char *what, struct husk_err *err);
