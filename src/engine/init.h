/* --init: PID 1 that reaps orphans and forwards signals to the command (init.c). */
#pragma once
#include <sys/types.h>

/* Runs as the container's PID 1 with `child` (the command) as its child; never
 * returns: exits with the command's status. */
__attribute__((noreturn)) void init_main(pid_t child);
