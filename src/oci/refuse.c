/* What a bundle may ask that husk does not do (yet): one clear line each, before
 * anything exists on the host. The one place to lift a refusal when the feature
 * lands. (A bundle's user namespace and its uid/gid maps: linux/userns/.) */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oci/oci.h"
#include "util/fs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static bool apparmor_active(void)
{
	char buf[8];
	return read_file("/sys/module/apparmor/parameters/enabled", buf, sizeof buf) > 0 &&
	       buf[0] == 'Y' && access("/sys/kernel/security/apparmor", F_OK) == 0;
}

static bool selinux_active(void)
{
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int oci_refuse_unsupported(const struct husk_spec *s, struct husk_err *err)
{
	const struct husk_oci *o = &s->oci;
	if (spec_oci_namespace(o, CLONE_NEWTIME))
		return husk_error(err, 0, "invalid %s/config.json: the time namespace is not "
				  "supported by husk yet", o->bundle);
	if (o->apparmor_profile && o->apparmor_profile[0] && apparmor_active())
		return husk_error(err, 0, "process.apparmorProfile '%s': husk does not load "
				  "AppArmor profiles (AppArmor is active on this host)",
				  o->apparmor_profile);
	if (o->selinux_label && o->selinux_label[0] && selinux_active())
		return husk_error(err, 0, "process.selinuxLabel '%s': husk does not set SELinux "
				  "labels (SELinux is active on this host)", o->selinux_label);
	if (o->intel_rdt_closid)
		return husk_error(err, 0, "linux.intelRdt: not supported by husk");
	return 0;
}
