/* Where a container's cgroup goes, below the root of each hierarchy: husk/<name>
 * by default; the OCI config's linux.cgroupsPath otherwise (absolute: from the root;
 * relative: below husk/), and with --systemd-cgroup its "slice:prefix:name" form
 * expanded as runc and crun do (system.slice/docker-<id>.scope). Pure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* out gets a relative path without leading or trailing '/'; -1 on a bad value. */
int cgroup_path_expand(const char *cgroups_path, bool systemd, const char *name, char *out,
		       size_t len, struct husk_err *err);
