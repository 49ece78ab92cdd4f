/* What the container commands (ps, logs, stop, kill, rm, inspect, exec, stats)
 * share: finding a container by name, reading its record (state.json), telling its
 * state, and reaching its processes through pidfds that are checked to be the very
 * processes the record names (a pid alone may have been reused). */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli/cli.h"
#include "spec.h"

enum ctr_state {
	CTR_CREATED,      /* its husk is setting it up */
	CTR_RUNNING,
	CTR_RESTARTING,   /* --restart: waiting out the back-off */
	CTR_EXITED,       /* stopped; the record is kept until husk rm */
	CTR_MONITOR_DIED, /* its monitor is gone and PID 1 with it: husk rm cleans up */
};

/* A container as its record (state.json) tells it; not the engine's struct container. */
struct ctr_record {
	char name[65];
	char dir[HUSK_STATE_DIR_LEN];
	json_object *rec; /* state.json; NULL if there is none (yet) */
	enum ctr_state state;
	bool detached;    /* has a monitor (husk run -d) */
	pid_t pid;        /* PID 1 while it runs, else 0 */
	pid_t owner;      /* the monitor (or the foreground husk) while it lives, else 0 */
};

const char *cli_root(const struct husk_global *g);
/* 0, or -1 after printing "husk: no such container: NAME". */
int ctr_open(const struct husk_global *g, const char *name, struct ctr_record *c);
void ctr_close(struct ctr_record *c);
/* Every container, oldest first. */
int ctr_list(const struct husk_global *g, struct ctr_record **out, size_t *n);
void ctr_list_free(struct ctr_record *v, size_t n);

bool ctr_is_active(const struct ctr_record *c); /* created, running or restarting */
const char *ctr_state_name(enum ctr_state s);
/* "running", "exited (3) 2 minutes ago", "restarting (1)", "monitor died" */
void ctr_status_text(const struct ctr_record *c, char *buf, size_t len);
/* "2 minutes ago", "less than a second ago" */
void format_ago(int64_t when, char *buf, size_t len);
/* "2026-11-23T20:12:58Z" */
void format_time(int64_t when, char *buf, size_t len);
/* "12.5MiB" */
void format_bytes(double bytes, char *buf, size_t len);

/* A pidfd for PID 1 / for the owner, or -1 if that process is gone. */
int ctr_pid1_fd(const struct ctr_record *c);
int ctr_owner_fd(const struct ctr_record *c);
/* A request to a monitor: sig with an int value (SI_QUEUE). 0 or -1 (errno). */
int ctr_tell_monitor(int owner_fd, int sig, int value);

/* "KILL", "SIGKILL", "kill", "9", "RTMIN+2": the number, or -1. */
int parse_signal(const char *s);
/* Prints "husk: container NAME is not running" and returns 1. */
int ctr_not_running(const struct ctr_record *c);
