/* procfs reached without trusting a path (CVE-2025-52881: a write to
 * /proc/self/attr/..., oom_score_adj or a sysctl redirected to another proc file, or
 * to a file that is not procfs at all, by a symlink or a bind mount planted by the
 * image or a racing container). Any side, any time. */
#pragma once
#include "util/error.h"

/* O_PATH fd on the root of the procfs mounted at /proc in the caller's mount
 * namespace: opened without following any symlink, verified with fstatfs
 * (PROC_SUPER_MAGIC) and to be that filesystem's root inode. -1 with errno set
 * (EXDEV: /proc is not procfs). */
int procfs_root(void);

/* Opens NAME below proc_root ("self/attr/exec", "1234/uid_map", "sys/net/ipv4/ip_forward";
 * a leading "/proc/" is allowed). "self" and "thread-self" are read as the pid that
 * procfs shows for the caller; the rest is walked with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV (no bind mount over a
 * proc file is crossed) and the fd is verified to be procfs again. -1 with errno set. */
int procfs_open_at(int proc_root, const char *name, int flags);

/* procfs_open_at on a fresh procfs_root(). */
int procfs_open(const char *name, int flags);

/* Writes DATA (one write(2), as the kernel's proc handlers want) to NAME through
 * procfs_open. On failure records "writing <name>: <why>" in err. */
int procfs_write(const char *name, const char *data, struct husk_err *err);
int procfs_write_at(int proc_root, const char *name, const char *data, struct husk_err *err);

/* Reads NAME through procfs_open into buf (NUL-terminated). Bytes read or -1. */
long procfs_read(const char *name, char *buf, unsigned long len);
