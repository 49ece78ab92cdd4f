/* The state directory, /run/husk/<name>/ (--root moves it). Each container's husk
 * holds an flock on <name>/lock for as long as it lives: a directory whose lock can
 * be taken belongs to a husk that died, and the next husk removes what it left. */
#pragma once
#include <sys/types.h>

#include "spec.h"

/* Takes the root lock, removes stale containers, creates <root>/<name>/ and locks
 * it. Fails with "name in use" if a live container has the name. */
int state_create(const struct husk_spec *s, char *dir, size_t len, int *lock_fd,
		 struct husk_err *err);
/* Records the container's PID 1 and command (state.json, written atomically). */
int state_write(const struct husk_spec *s, const char *dir, pid_t pid, const char *status,
		struct husk_err *err);
/* Removes <root>/<name>/ (and <root> when it is empty) and drops the lock. */
void state_remove(const char *dir, int lock_fd);
/* Removes what dead husk processes left under root: cgroups, network, state. */
void state_cleanup_stale(const char *root);
