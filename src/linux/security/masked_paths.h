/* Masked and read-only paths inside the container (/proc/kcore, /proc/sys ...). */
#pragma once
#include "spec.h"

/* Child, after the root switch (paths are the container's). */
int masked_paths_apply(const struct husk_spec *s, struct husk_err *err);
