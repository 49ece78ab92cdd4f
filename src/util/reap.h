/* Waiting for a child with a time limit: woken by its pidfd as it exits. */
#ifndef HUSK_UTIL_REAP_H
#define HUSK_UTIL_REAP_H

#include <sys/types.h>

/* Reaps child PID, waiting at most MS milliseconds (MS <= 0: as long as it takes);
 * past that it is sent SIGKILL and reaped. Returns 0 when it exited in time (its
 * wait status in *STATUS, which may be NULL), 1 when it had to be killed, -1 when
 * waitpid failed (errno). Without pidfds (Linux < 5.3) waitpid is polled each ms. */
int reap_within(pid_t pid, int ms, int *status);

#endif
