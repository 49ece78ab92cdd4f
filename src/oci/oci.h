/* The OCI runtime face (runc's command line, as containerd's shim, conmon and
 * podman call it): one function per command, and the record helpers they share.
 * A container of this face is a state directory <root>/<id>/ (state.json with
 * "face": "oci", config.json as created, exec.fifo until it is started); no husk
 * process stays behind: the engine that called husk is the init's parent. */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cli/cli.h"
#include "spec.h"

int cmd_oci_create(struct husk_global *g, int argc, char **argv);
int cmd_oci_start(struct husk_global *g, int argc, char **argv);
int cmd_oci_state(struct husk_global *g, int argc, char **argv);
int cmd_oci_kill(struct husk_global *g, int argc, char **argv);
int cmd_oci_delete(struct husk_global *g, int argc, char **argv);
int cmd_oci_exec(struct husk_global *g, int argc, char **argv);

/* Which face a command line means when both have the command (kill, exec, ps):
 * the OCI one if its options say so (--all, --process, --detach ...) or its
 * container was made by `husk create`. */
bool oci_wants_kill(const struct husk_global *g, int argc, char **argv);
bool oci_wants_exec(const struct husk_global *g, int argc, char **argv);
bool oci_wants_ps(const struct husk_global *g, int argc, char **argv);

enum oci_status { OCI_CREATING, OCI_CREATED, OCI_RUNNING, OCI_PAUSED, OCI_STOPPED };

struct oci_ctr {
	char id[65];
	char dir[320];
	json_object *rec;  /* state.json */
	pid_t pid;         /* the init while it lives (pid_start checked), else 0 */
	enum oci_status status;
};

const char *oci_root(const struct husk_global *g);
/* Is ID a record made by `husk create` (state.json says "face": "oci")? */
bool oci_is_oci_record(const struct husk_global *g, const char *id);
/* 0, or -1 with "container ID does not exist" (errnum ENOENT). */
int oci_ctr_open(const struct husk_global *g, const char *id, struct oci_ctr *c,
		 struct husk_err *err);
void oci_ctr_close(struct oci_ctr *c);
const char *oci_status_name(enum oci_status s);
/* A pidfd of the init, checked to be that very process; -1 if it is gone. */
int oci_ctr_pidfd(const struct oci_ctr *c);
/* Whether the container's config has hooks of that kind ("poststart_hooks" in its
 * record; a record without the count, of an older husk: true). */
bool oci_ctr_has_hooks(const struct oci_ctr *c, const char *key);
/* The container's spec again, from the config.json kept in its state directory. */
int oci_ctr_spec(const struct oci_ctr *c, struct husk_spec *s, struct husk_err *err);
/* The OCI state object (`husk state` prints it; hooks get it on stdin). */
json_object *oci_ctr_state_json(const struct oci_ctr *c);
/* The container's cgroup directory for one controller (v1) or the v2 one; "" if none. */
void oci_ctr_cgroup_dir(const struct oci_ctr *c, const char *controller, char *buf, size_t len);

/* What husk refuses in a bundle (the time namespace, an LSM label on a host
 * whose LSM is active ...), before the host is touched. */
int oci_refuse_unsupported(const struct husk_spec *s, struct husk_err *err);

/* "ID": the positional argument of an OCI command, checked as an id. */
int oci_check_id(const char *id, struct husk_err *err);
/* One line on stderr (and in --log), the exit status for it. */
int oci_fail(struct husk_err *err);
