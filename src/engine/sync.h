/* The parent/child handshake over a SOCK_SEQPACKET socketpair. The child's end is
 * close-on-exec, so EOF after the last message means "execve succeeded". */
#pragma once
#include <stdint.h>

#include "util/error.h"

enum sync_type {
	SYNC_GO = 1,     /* parent -> child: you are in your cgroup and network; go on */
	SYNC_ERROR,      /* child -> parent: setup failed; msg says why */
	SYNC_PTY_MASTER, /* child -> parent: the pty master, as SCM_RIGHTS */
	SYNC_ROOT_TREE,  /* parent -> child, before GO: the idmapped rootfs (a mount fd) */
	SYNC_READY,      /* child -> parent (OCI create): set up, waiting at the start gate */
	SYNC_IN_CGROUP,  /* child -> parent (v1): it moved itself into its cgroups */
	SYNC_HOOKS,      /* child -> parent: mounted, before pivot_root: run prestart and
			  * createRuntime now; the child goes on at the next SYNC_GO */
};

struct sync_msg {
	int32_t type;
	int32_t exit_code;
	int32_t errnum;
	char msg[sizeof ((struct husk_err *)0)->msg]; /* a whole husk_err message */
};

int sync_send(int sock, enum sync_type type, int pass_fd);
/* Child side: sends err and exits with its code (125 when it has none). */
__attribute__((noreturn)) void sync_fail(int sock, const struct husk_err *err);
/* 1 with a message (and *fd if one was passed), 0 on EOF, -1 on error. */
int sync_recv(int sock, struct sync_msg *m, int *fd);
