/* What a bundle may ask that husk does not do (yet): one clear line each, before
 * anything exists on the host. The one place to lift a refusal when the feature
 * lands. (A bundle's user namespace and its uid/gid maps: linux/userns/.) */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

/* The container has a TYPE namespace of its own: a new one, or one joined by a
 * path that is not the runtime's own (a pod's sandbox, not the host's). */
static bool own_namespace(const struct husk_oci *o, int type, const char *proc_name)
{
	const struct oci_namespace *ns = spec_oci_namespace(o, type);
	if (!ns)
		return false;
	if (!ns->path)
		return true;
	char self[64];
	struct stat a, b;
	snprintf(self, sizeof self, "/proc/self/ns/%s", proc_name);
	/* unreadable: joining it fails later with its own error */
	if (stat(ns->path, &a) < 0 || stat(self, &b) < 0)
		return true;
	return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

/* The IPC namespace's sysctls (ipc_sysctls.c, mq_sysctls.c) */
static bool ipc_sysctl(const char *k)
{
	static const char *const keys[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
					    "kernel.sem",    "kernel.shmall", "kernel.shmmax",
					    "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msg_next_id",
					    "kernel.sem_next_id", "kernel.shm_next_id" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return strncmp(k, "fs.mqueue.", 10) == 0;
}

/* linux.sysctl: only the keys a namespace of the container's own holds (as runc
 * validates): else the write in the container would change the host's value. */
static int check_sysctls(const struct husk_oci *o, struct husk_err *err)
{
	for (size_t i = 0; i < o->n_sysctl; i++) {
		const char *k = o->sysctl[i].key;
		if (ipc_sysctl(k)) {
			if (!own_namespace(o, CLONE_NEWIPC, "ipc"))
				return husk_error(err, 0, "linux.sysctl '%s': not allowed in the host's IPC "
						  "namespace (linux.namespaces has no ipc of the "
						  "container's own)", k);
		} else if (strncmp(k, "net.", 4) == 0) {
			if (!own_namespace(o, CLONE_NEWNET, "net"))
				return husk_error(err, 0, "linux.sysctl '%s': not allowed in the host's network "
						  "namespace (linux.namespaces has no network of the "
						  "container's own)", k);
		} else if (strcmp(k, "kernel.domainname") == 0 || strcmp(k, "kernel.hostname") == 0) {
			if (!own_namespace(o, CLONE_NEWUTS, "uts"))
				return husk_error(err, 0, "linux.sysctl '%s': not allowed in the host's UTS "
						  "namespace", k);
			if (k[7] == 'h')
				return husk_error(err, 0, "linux.sysctl 'kernel.hostname': set the "
						  "config's hostname instead");
		} else {
			return husk_error(err, 0, "linux.sysctl '%s': not a sysctl of a namespace the "
					  "container can have (it would change the host's)", k);
		}
	}
	return 0;
}

int oci_refuse_unsupported(const struct husk_spec *s, struct husk_err *err)
{
	const struct husk_oci *o = &s->oci;
	if (check_sysctls(o, err))
		return -1;
	/* no mount namespace: the bundle's mounts are made in the host's, which neither a
	 * user namespace's root nor an unprivileged caller may change */
	if (!spec_oci_namespace(o, CLONE_NEWNS) && (spec_oci_namespace(o, CLONE_NEWUSER) || s->rootless))
		return husk_error(err, 0, "linux.namespaces: %s needs a mount namespace of the "
				  "container's own (the list has none: the mounts would be made in the "
				  "host's)", s->rootless ? "a rootless container" : "a user namespace");
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
