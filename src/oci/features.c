/* husk features: what this husk understands of a config.json, as the runtime-spec's
 * features.md describes it (the JSON `runc features` prints): the spec versions, the
 * hooks, the mount options, the namespaces, the capabilities this kernel and libcap
 * know, the cgroup drivers, and the seccomp actions, operators, architectures and
 * flags. Lists that live in one table elsewhere are read from it (libcap, libseccomp);
 * docs/oci.md says field by field what husk honours, ignores or refuses. */
#include <ctype.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

#include "cli/cli.h"
#include "oci/secondary.h"
#include "util/error.h"

static json_object *strings(const char *const *v)
{
	json_object *a = json_object_new_array();
	for (; *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

/* every option a mount's "options" may hold that husk reads as a flag, a
 * propagation or an extension (the rest is the filesystem's data, as mode=755):
 * src/oci/config_mounts.c's tables. idmap/ridmap are refused. */
static const char *const mount_options[] = {
	"async", "atime", "bind", "dev", "diratime", "dirsync", "exec", "lazytime", "loud",
	"mand", "noatime", "nodev", "nodiratime", "noexec", "nolazytime", "nomand",
	"norelatime", "nostrictatime", "nosuid", "private", "rbind", "relatime", "remount",
	"ratime", "rdev", "rdiratime", "rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec",
	"rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate",
	"rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow",
	"runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "sync",
	"tmpcopyup", "unbindable", NULL,
};

/* CAP_CHOWN ... up to the last capability libcap knows on this kernel */
static json_object *capabilities_json(void)
{
	json_object *a = json_object_new_array();
	int n = (int)cap_max_bits();
	for (int c = 0; c < n && c < 64; c++) {
		char *name = cap_to_name(c);
		if (!name)
			continue;
		if (isalpha((unsigned char)name[0])) {
			char up[64];
			size_t i = 0;
			for (; name[i] && i < sizeof up - 1; i++)
				up[i] = (char)toupper((unsigned char)name[i]);
			up[i] = '\0';
			json_object_array_add(a, json_object_new_string(up));
		}
		cap_free(name);
	}
	return a;
}

/* the architectures this libseccomp can build a filter for */
static json_object *seccomp_archs_json(void)
{
	static const char *const archs[] = {
		"x86", "x86_64", "x32", "arm", "aarch64", "mips", "mips64", "mips64n32",
		"mipsel", "mipsel64", "mipsel64n32", "ppc", "ppc64", "ppc64le", "s390",
		"s390x", "parisc", "parisc64", "riscv64", NULL,
	};
	json_object *a = json_object_new_array();
	for (const char *const *p = archs; *p; p++) {
		if (!seccomp_arch_resolve_name(*p))
			continue;
		char up[32] = "SCMP_ARCH_";
		size_t i = 0;
		for (; (*p)[i] && 10 + i < sizeof up - 1; i++)
			up[10 + i] = (char)toupper((unsigned char)(*p)[i]);
		up[10 + i] = '\0';
		json_object_array_add(a, json_object_new_string(up));
	}
	return a;
}

static json_object *seccomp_json(void)
{
	json_object *s = json_object_new_object();
	json_object_object_add(s, "enabled", json_object_new_boolean(true));
	/* SCMP_ACT_NOTIFY needs a listener husk does not have: refused */
	json_object_object_add(s, "actions",
			       strings((const char *const[]){ "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",
							      "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
							      "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
							      "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL }));
	json_object_object_add(s, "operators",
			       strings((const char *const[]){ "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
							      "SCMP_CMP_LE", "SCMP_CMP_LT",
							      "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL }));
	json_object_object_add(s, "archs", seccomp_archs_json());
	const char *const *flags = (const char *const[]){ "SECCOMP_FILTER_FLAG_LOG",
							  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
							  "SECCOMP_FILTER_FLAG_TSYNC", NULL };
	json_object_object_add(s, "knownFlags", strings(flags));
	json_object_object_add(s, "supportedFlags", strings(flags));
	return s;
}

static json_object *enabled(bool on)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "enabled", json_object_new_boolean(on));
	return o;
}

static json_object *linux_json(void)
{
	json_object *l = json_object_new_object(), *cg = json_object_new_object();
	json_object *ext = json_object_new_object();
	json_object_object_add(l, "namespaces",
			       strings((const char *const[]){ "cgroup", "ipc", "mount", "network", "pid",
							      "user", "uts", NULL }));
	json_object_object_add(l, "capabilities", capabilities_json());
	json_object_object_add(cg, "v1", json_object_new_boolean(true));
	json_object_object_add(cg, "v2", json_object_new_boolean(true));
	/* --systemd-cgroup's slice:prefix:name is expanded to a cgroupfs path; no
	 * transient unit is asked of systemd */
	json_object_object_add(cg, "systemd", json_object_new_boolean(false));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(false));
	json_object_object_add(cg, "rdma", json_object_new_boolean(false));
	json_object_object_add(l, "cgroup", cg);
	json_object_object_add(l, "seccomp", seccomp_json());
	json_object_object_add(l, "apparmor", enabled(false));
	json_object_object_add(l, "selinux", enabled(false));
	json_object_object_add(l, "intelRdt", enabled(false));
	json_object_object_add(ext, "idmap", enabled(false));
	json_object_object_add(l, "mountExtensions", ext);
	return l;
}

static json_object *features_json(void)
{
	json_object *f = json_object_new_object(), *ann = json_object_new_object();
	const struct scmp_version *v = seccomp_version();
	char buf[32];
	json_object_object_add(f, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(f, "ociVersionMax", json_object_new_string("1.2.0"));
	json_object_object_add(f, "hooks",
			       strings((const char *const[]){ "prestart", "createRuntime", "createContainer",
							      "startContainer", "poststart", "poststop",
							      NULL }));
	json_object_object_add(f, "mountOptions", strings(mount_options));
	json_object_object_add(f, "linux", linux_json());
	snprintf(buf, sizeof buf, "%u.%u.%u", v->major, v->minor, v->micro);
	json_object_object_add(ann, "io.github.seccomp.libseccomp.version", json_object_new_string(buf));
	json_object_object_add(ann, "io.github.husk.version", json_object_new_string(HUSK_VERSION));
	json_object_object_add(f, "annotations", ann);
	return f;
}

int cmd_oci_features(struct husk_global *g, int argc, char **argv)
{
	(void)g;
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs("Usage: husk features\n\n"
		      "Print what this husk supports of the OCI runtime-spec, as JSON\n"
		      "(the runtime-spec's features.md).\n",
		      stdout);
		return 0;
	}
	if (argc > 1) {
		husk_warn("features: unexpected argument '%s' (usage: husk features)", argv[1]);
		return HUSK_EXIT_FAILURE;
	}
	json_object *f = features_json();
	puts(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(f);
	return 0;
}
