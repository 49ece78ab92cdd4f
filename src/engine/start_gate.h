/* The OCI create/start split (runc's exec.fifo): `husk create` leaves the container's
 * process waiting, every setup step done, just before execve; `husk start` releases
 * it. The gate is a FIFO in the state directory. The process opens it O_RDWR before
 * its root switch (so the open never blocks and the fd stays valid after pivot_root),
 * close-on-exec, and blocks reading one byte. start opens it for writing (ENXIO: no
 * process waits), writes the byte, then polls its end until POLLERR, which the kernel
 * reports once no reader is left: the process exec'd (or died). start then removes
 * the FIFO, so "created" is "the FIFO exists and the process lives". */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

#define START_GATE_FILE "exec.fifo"

/* Parent (create): mkfifo DIR/exec.fifo. */
int start_gate_create(const char *dir, struct husk_err *err);
/* Child, before the root switch: the O_RDWR, close-on-exec fd. */
int start_gate_open(const char *dir, struct husk_err *err);
/* Child, the last step before exec: blocks until start writes. */
int start_gate_wait(int fd, struct husk_err *err);
/* start: releases the process and waits until it exec'd; removes the FIFO. */
int start_gate_release(const char *dir, const char *name, struct husk_err *err);
/* Does DIR/exec.fifo exist (the container was created and not started)? */
bool start_gate_closed(const char *dir);
