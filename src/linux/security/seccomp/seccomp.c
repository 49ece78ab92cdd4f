/* seccomp: the filter is built by libseccomp in the parent, while the engine plans
 * the container (engine/plan.c), and exported as BPF once. The child is a copy of the
 * parent: it finds the program in memory and hands it to the kernel with one
 * seccomp(2) call, the last step before execve. Errors (a bad profile) are found
 * before anything exists on the host. */
#include "linux/security/seccomp/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/security/seccomp/profile.h"
#include "util/explain.h"

bool seccomp_wanted(const struct husk_security *sec)
{
	if (sec->seccomp_unconfined)
		return false;
	return sec->seccomp_profile || !sec->privileged;
}

int seccomp_prepare(const struct husk_security *sec, uint64_t caps, struct seccomp_filter *f,
		    struct husk_err *err)
{
	const char *profile = sec->seccomp_profile;
	EXPLAIN_START(t);
	seccomp_filter_free(f);
	if (seccomp_compile(profile, caps, &f->prog, &f->flags, err))
		return -1;
	EXPLAIN(t, "# seccomp: %s compiled to %u BPF instructions",
		profile ? profile : "the default profile (moby's allowlist, EPERM otherwise)",
		f->prog.len);
	return 0;
}

void seccomp_filter_free(struct seccomp_filter *f)
{
	free(f->prog.filter);
	memset(f, 0, sizeof *f);
}

int seccomp_filter_load(const struct seccomp_filter *f, struct husk_err *err)
{
	if (!f->prog.filter)
		return husk_error(err, 0, "seccomp: the filter was not compiled (internal error)");
	EXPLAIN_START(t);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &f->prog) < 0)
		return husk_error(err, errno, "seccomp(SECCOMP_SET_MODE_FILTER)");
	EXPLAIN(t, "# seccomp: filter of %u instructions loaded", f->prog.len);
	return 0;
}
