/* --pid-file: the pid written atomically (a temporary file beside it, then rename),
 * so an engine never reads a half-written file. */
#pragma once
#include <sys/types.h>

#include "util/error.h"

int pid_file_write(const char *path, pid_t pid, struct husk_err *err);
