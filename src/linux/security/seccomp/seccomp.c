/* seccomp: the filter is built by libseccomp in the parent, during validation, and
 * exported as BPF once. The child is a copy of the parent: it finds the program in
 * memory and hands it to the kernel with one seccomp(2) call, the last step before
 * execve. Errors (a bad profile) are found before anything exists on the host. */
#include "linux/security/seccomp/seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/security/caps.h"
#include "linux/security/seccomp/profile.h"
#include "util/cleanup.h"
#include "util/explain.h"

/* the compiled filter, for the child (a fork copy of this process) */
static struct sock_fprog compiled;
static unsigned compiled_flags;
static const struct husk_spec *compiled_for;

bool seccomp_active(const struct husk_spec *s)
{
	if (s->sec.seccomp_unconfined)
		return false;
	return s->sec.seccomp_profile || !s->sec.privileged;
}

int seccomp_validate(struct husk_spec *s, struct husk_err *err)
{
	const char *profile = s->sec.seccomp_profile;
	if (profile && s->sec.seccomp_unconfined)
		return husk_error(err, 0, "invalid --security-opt: seccomp=unconfined and "
				  "seccomp=%s both given", profile);
	if (profile && !profile[0])
		return husk_error(err, 0, "invalid --security-opt 'seccomp=': no profile file given");
	if (!seccomp_active(s))
		return 0;
	EXPLAIN_START(t);
	unsigned flags = 0;
	free(compiled.filter);
	compiled.filter = NULL;
	if (seccomp_compile(profile, caps_mask(s), &compiled, &flags, err))
		return -1;
	compiled_flags = flags;
	compiled_for = s;
	EXPLAIN(t, "# seccomp: %s compiled to %u BPF instructions",
		profile ? profile : "the default profile (moby's allowlist, EPERM otherwise)",
		compiled.len);
	return 0;
}

int seccomp_apply(const struct husk_spec *s, struct husk_err *err)
{
	if (!seccomp_active(s))
		return 0;
	if (compiled_for != s || !compiled.filter)
		return husk_error(err, 0, "seccomp: the filter was not compiled (internal error)");
	EXPLAIN_START(t);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, compiled_flags, &compiled) < 0)
		return husk_error(err, errno, "seccomp(SECCOMP_SET_MODE_FILTER)");
	EXPLAIN(t, "# seccomp: filter of %u instructions loaded", compiled.len);
	return caps_drop_retained(s, err);
}
