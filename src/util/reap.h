/* Waiting for processes with a time limit: woken by their pidfds as they exit. */
#ifndef HUSK_UTIL_REAP_H
#define HUSK_UTIL_REAP_H

#include <stddef.h>
#include <sys/types.h>

/* Waits until every fd in fds (pidfds; -1 = none) is readable, that is until those
 * processes ended, or timeout_ms passes; ended ones are closed and set to -1.
 * Returns how many still run. Any process, a child or not. */
size_t wait_pidfds(int *fds, size_t n, int timeout_ms);

/* Reaps child PID, waiting at most MS milliseconds (MS <= 0: as long as it takes);
 * past that it is sent SIGKILL and reaped. Returns 0 when it exited in time (its
 * wait status in *STATUS, which may be NULL), 1 when it had to be killed, -1 when
 * waitpid failed (errno). Without pidfds (Linux < 5.3) waitpid is polled each ms. */
int reap_within(pid_t pid, int ms, int *status);

#endif
