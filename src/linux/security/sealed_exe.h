/* CVE-2019-5736: a process in the container must never reach husk's binary on the
 * host through /proc/<pid>/exe and overwrite it. Whenever husk code runs inside the
 * container's namespaces (--init keeps husk as PID 1), husk first re-executes
 * itself from a sealed, in-memory copy of its binary, as runc does. */
#pragma once
#include "util/error.h"

/* Returns 0 at once if husk already runs from a sealed copy; otherwise re-executes
 * the same command line from one and returns only on failure. */
int sealed_exe_reexec(struct husk_err *err);
