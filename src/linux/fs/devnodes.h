/* /dev inside the container: a small tmpfs with the standard nodes, /dev/pts
 * (a new devpts instance), /dev/shm and /dev/mqueue. */
#pragma once
#include "spec.h"

int dev_setup(int root_fd, const struct husk_spec *s, struct husk_err *err);
