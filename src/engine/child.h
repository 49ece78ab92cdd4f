/* The container's process from clone() to execve (child.c): the setup sequence in
 * the order the kernel steps happen, then process.h's finalize-and-exec. */
#pragma once
struct container;

/* Never returns: a failure goes to the parent over sync_fd. */
__attribute__((noreturn)) void child_main(struct container *c, int sync_fd);
