#include "linux/security/caps_sets.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/explain.h"

static int capset3(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)perm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) },
	};
	return (int)syscall(SYS_capset, &h, d);
}

static uint64_t permitted_now(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return d[0].permitted | ((uint64_t)d[1].permitted << 32);
}

int caps_sets_apply(const uint64_t sets[OCI_CAP_SETS], bool retain, struct husk_err *err)
{
	EXPLAIN_START(t);
	/* the capabilities this kernel knows: the bounding set reads 1 or 0 for them */
	uint64_t known = 0;
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c) >= 0)
			known |= UINT64_C(1) << c;
	uint64_t perm = permitted_now();
	/* after setuid the effective set is empty; dropping the bounding set needs
	 * CAP_SETPCAP effective */
	if (capset3(perm, perm, 0) < 0)
		return husk_error(err, errno, "capset (raising the permitted set)");
	for (int c = 0; c < 64; c++)
		if ((known & (UINT64_C(1) << c)) && !(sets[OCI_CAP_BOUNDING] & (UINT64_C(1) << c)) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return husk_error(err, errno, "prctl(PR_CAPBSET_DROP, %d)", c);
	uint64_t keep = retain ? UINT64_C(1) << CAP_SYS_ADMIN : 0;
	uint64_t p = (sets[OCI_CAP_PERMITTED] | keep) & known & perm;
	if (capset3((sets[OCI_CAP_EFFECTIVE] | keep) & p, p, sets[OCI_CAP_INHERITABLE] & known) < 0)
		return husk_error(err, errno, "capset (the process.capabilities sets)");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return husk_error(err, errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	/* the kernel takes an ambient capability only if it is permitted and inheritable;
	 * like runc, husk leaves out the others (runc spec lists ambient, not inheritable) */
	uint64_t ambient = sets[OCI_CAP_AMBIENT] & p & sets[OCI_CAP_INHERITABLE] & known;
	for (int c = 0; c < 64; c++)
		if ((ambient & (UINT64_C(1) << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return husk_error(err, errno, "prctl(PR_CAP_AMBIENT_RAISE, %d)", c);
	EXPLAIN(t, "setpriv --bounding-set ... --inh-caps ... --ambient-caps ...   "
		   "# process.capabilities: the five sets as given");
	return 0;
}

int caps_sets_drop_retained(const uint64_t sets[OCI_CAP_SETS], struct husk_err *err)
{
	const uint64_t admin = UINT64_C(1) << CAP_SYS_ADMIN;
	if (sets[OCI_CAP_PERMITTED] & sets[OCI_CAP_EFFECTIVE] & admin)
		return 0;
	uint64_t perm = permitted_now() & ~(admin & ~sets[OCI_CAP_PERMITTED]);
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return husk_error(err, errno, "capget");
	uint64_t eff = (d[0].effective | ((uint64_t)d[1].effective << 32)) & ~admin;
	eff |= sets[OCI_CAP_EFFECTIVE] & admin & perm;
	uint64_t inh = d[0].inheritable | ((uint64_t)d[1].inheritable << 32);
	if (capset3(eff & perm, perm, inh) < 0)
		return husk_error(err, errno, "capset (dropping CAP_SYS_ADMIN after seccomp)");
	return 0;
}
