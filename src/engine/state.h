/* The state directory, /run/husk/<name>/ (--root moves it). Each container's husk
 * (the foreground `husk run`, or the monitor of a detached container) holds an flock
 * on <name>/lock for as long as it lives: a directory whose lock can be taken belongs
 * to a husk that died. The next husk removes what it left, except the record of a
 * detached container ("detached": true in state.json): that stays until `husk rm`,
 * so `husk ps -a` can show its exit code (or that its monitor died); only its cgroup
 * and network leftovers go (unless its PID 1 outlived the monitor: that one is left
 * to husk kill / rm -f).
 *
 * <name>/state.json is only ever replaced whole (a temporary file, then rename), and
 * every read-modify-write holds an flock on the <name>/ directory itself, so readers
 * never see half a file and concurrent writers never lose each other's fields. */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

/* Takes the root lock, removes stale containers (not for an OCI create: the engine
 * deletes what it created), creates <root>/<name>/ and locks it. Fails with "name in
 * use" if a container (running or kept) has the name. */
int state_create(const struct husk_spec *s, char *dir, size_t len, int *lock_fd,
		 struct husk_err *err);
/* Records PID 1, the status, the container's configuration, its cgroups and its
 * network in state.json (fields written earlier, by the monitor, are kept). */
struct container;
int state_write(const struct container *c, const char *status, struct husk_err *err);
/* Removes <root>/<name>/ (and <root> when it is empty) and drops the lock. */
void state_remove(const char *dir, int lock_fd);

/* Read-modify-write of dir/state.json under the directory's lock: edit() changes
 * the object (a new empty one if there is no file yet). */
int state_update(const char *dir, void (*edit)(json_object *o, void *arg), void *arg,
		 struct husk_err *err);
/* dir/state.json, or NULL (no such file yet, or unreadable). Put it when done. */
json_object *state_read(const char *dir);
/* After "cleaned" is in dir/state.json (what the kernel held for it is gone): a file
 * beside it, so that the next husk's scan of the state root passes the record
 * without reading it. */
void state_mark_cleaned(const char *dir);
/* Does the husk that owns dir (its monitor) still hold dir/lock? Only looks. */
bool state_owner_alive(const char *dir);
/* `husk rm`: with the root lock, checks that no husk owns <root>/<name> any more,
 * removes its leftovers (processes, cgroups, network), the directory, and the root
 * when it is empty. Fails with EBUSY if its owner still runs. */
int state_remove_record(const char *root, const char *name, struct husk_err *err);
/* The container's configuration as state.json's "config" object (exec rebuilds
 * the process's security profile from it; inspect shows it). */
json_object *state_config_json(const struct husk_spec *s);

/* Small accessors for records (missing keys give the fallback). */
const char *state_get_str(json_object *o, const char *key, const char *fallback);
int64_t state_get_int(json_object *o, const char *key, int64_t fallback);
bool state_get_bool(json_object *o, const char *key);
/* /proc/<pid>/stat start time (clock ticks since boot), 0 if pid is gone (or a
 * zombie): with the pid it names one process for good, whatever pid reuse happens. */
unsigned long long state_pid_start(pid_t pid);
/* A pidfd of PID if it is still the process that started at START (a record's
 * pid_start): opened first, checked after, so a match means the fd is that very
 * process. -1 if it is gone, a zombie, or another process now has the pid. */
int state_pidfd(pid_t pid, unsigned long long start);
