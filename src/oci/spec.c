/* husk spec [--bundle DIR] [--rootless]: writes a default config.json, as `runc spec`
 * does: `sh` on a terminal in ./rootfs (read-only), the mounts every runtime makes
 * (/proc, /dev, devpts, shm, mqueue, /sys, /sys/fs/cgroup), the pid, network, ipc,
 * uts and mount namespaces, three capabilities, no new privileges, all devices denied,
 * the kernel files docker masks. --rootless adds a user namespace mapping the caller
 * to root and drops what an unprivileged user cannot have (the network namespace's
 * sysfs, the cgroup mount, device rules, gid= on devpts). Refuses to overwrite. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "oci/secondary.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

#define STRS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void spec_usage(FILE *out)
{
	fputs("Usage: husk spec [--bundle DIR] [--rootless]\n\n"
	      "Write a default config.json for an OCI bundle (as runc spec does); the\n"
	      "container runs sh on a terminal in the bundle's rootfs/.\n\n"
	      "  -b, --bundle DIR  where to write config.json (default: the current directory)\n"
	      "      --rootless    a user namespace mapping the calling user to root, and\n"
	      "                    nothing an unprivileged user cannot set up\n"
	      "      --help        print this help\n",
	      out);
}

static json_object *strings(const char *const *v)
{
	json_object *a = json_object_new_array();
	for (; *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static json_object *process_json(void)
{
	static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
	json_object *p = json_object_new_object(), *user = json_object_new_object();
	json_object *c = json_object_new_object(), *rl = json_object_new_object();
	json_object *rlimits = json_object_new_array();
	json_object_object_add(p, "terminal", json_object_new_boolean(true));
	json_object_object_add(user, "uid", json_object_new_int(0));
	json_object_object_add(user, "gid", json_object_new_int(0));
	json_object_object_add(p, "user", user);
	json_object_object_add(p, "args", strings(STRS("sh")));
	json_object_object_add(p, "env", strings(STRS("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
						     "TERM=xterm")));
	json_object_object_add(p, "cwd", json_object_new_string("/"));
	json_object_object_add(c, "bounding", strings(caps));
	json_object_object_add(c, "effective", strings(caps));
	json_object_object_add(c, "permitted", strings(caps));
	json_object_object_add(c, "ambient", strings(caps));
	json_object_object_add(p, "capabilities", c);
	json_object_object_add(rl, "type", json_object_new_string("RLIMIT_NOFILE"));
	json_object_object_add(rl, "hard", json_object_new_int(1024));
	json_object_object_add(rl, "soft", json_object_new_int(1024));
	json_object_array_add(rlimits, rl);
	json_object_object_add(p, "rlimits", rlimits);
	json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(true));
	return p;
}

static void add_mount(json_object *mounts, const char *dest, const char *type, const char *src,
		      const char *const *opts)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "destination", json_object_new_string(dest));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(src));
	if (opts)
		json_object_object_add(m, "options", strings(opts));
	json_object_array_add(mounts, m);
}

static json_object *mounts_json(bool rootless)
{
	json_object *m = json_object_new_array();
	add_mount(m, "/proc", "proc", "proc", NULL);
	add_mount(m, "/dev", "tmpfs", "tmpfs", STRS("nosuid", "strictatime", "mode=755", "size=65536k"));
	if (rootless) /* no gid=5: the tty group is not mapped */
		add_mount(m, "/dev/pts", "devpts", "devpts",
			  STRS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"));
	else
		add_mount(m, "/dev/pts", "devpts", "devpts",
			  STRS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
	add_mount(m, "/dev/shm", "tmpfs", "shm", STRS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
	add_mount(m, "/dev/mqueue", "mqueue", "mqueue", STRS("nosuid", "noexec", "nodev"));
	if (rootless) { /* sysfs needs a network namespace owned by the user namespace */
		add_mount(m, "/sys", "none", "/sys", STRS("rbind", "nosuid", "noexec", "nodev", "ro"));
		return m;
	}
	add_mount(m, "/sys", "sysfs", "sysfs", STRS("nosuid", "noexec", "nodev", "ro"));
	add_mount(m, "/sys/fs/cgroup", "cgroup", "cgroup", STRS("nosuid", "noexec", "nodev", "relatime", "ro"));
	return m;
}

static json_object *id_map(unsigned host_id)
{
	json_object *a = json_object_new_array(), *m = json_object_new_object();
	json_object_object_add(m, "containerID", json_object_new_int(0));
	json_object_object_add(m, "hostID", json_object_new_int64(host_id));
	json_object_object_add(m, "size", json_object_new_int(1));
	json_object_array_add(a, m);
	return a;
}

static json_object *namespaces_json(bool rootless)
{
	json_object *a = json_object_new_array();
	const char *const *t = rootless ? STRS("pid", "ipc", "uts", "mount", "user")
					: STRS("pid", "network", "ipc", "uts", "mount");
	for (; *t; t++) {
		json_object *ns = json_object_new_object();
		json_object_object_add(ns, "type", json_object_new_string(*t));
		json_object_array_add(a, ns);
	}
	return a;
}

static json_object *linux_json(bool rootless)
{
	json_object *l = json_object_new_object();
	if (!rootless) {
		json_object *res = json_object_new_object(), *devs = json_object_new_array();
		json_object *deny = json_object_new_object();
		json_object_object_add(deny, "allow", json_object_new_boolean(false));
		json_object_object_add(deny, "access", json_object_new_string("rwm"));
		json_object_array_add(devs, deny);
		json_object_object_add(res, "devices", devs);
		json_object_object_add(l, "resources", res);
	} else {
		json_object_object_add(l, "uidMappings", id_map(getuid()));
		json_object_object_add(l, "gidMappings", id_map(getgid()));
	}
	json_object_object_add(l, "namespaces", namespaces_json(rootless));
	json_object_object_add(l, "maskedPaths",
			       strings(STRS("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
					    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
					    "/proc/sched_debug", "/sys/firmware", "/proc/scsi")));
	json_object_object_add(l, "readonlyPaths",
			       strings(STRS("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
					    "/proc/sysrq-trigger")));
	return l;
}

static json_object *default_spec(bool rootless)
{
	json_object *s = json_object_new_object(), *root = json_object_new_object();
	json_object_object_add(s, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(s, "process", process_json());
	json_object_object_add(root, "path", json_object_new_string("rootfs"));
	json_object_object_add(root, "readonly", json_object_new_boolean(true));
	json_object_object_add(s, "root", root);
	json_object_object_add(s, "hostname", json_object_new_string("husk"));
	json_object_object_add(s, "mounts", mounts_json(rootless));
	json_object_object_add(s, "linux", linux_json(rootless));
	return s;
}

/* Writes the spec to DIR/config.json, created here (O_EXCL): never overwrites. */
static int write_spec(const char *bundle, json_object *spec, struct husk_err *err)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/config.json", bundle) >= sizeof path)
		return husk_error(err, ENAMETOOLONG, "spec: bundle path '%s'", bundle);
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST)
		return husk_error(err, 0, "spec: %s exists already: remove it first", path);
	if (fd < 0)
		return husk_error(err, errno, "spec: cannot create %s", path);
	const char *text = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_PRETTY_TAB |
								     JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1) {
		int e = errno;
		unlink(path);
		return husk_error(err, e, "spec: cannot write %s", path);
	}
	return 0;
}

int cmd_oci_spec(struct husk_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bundle = ".";
	bool rootless = false;
	int c;
	(void)g;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		if (c == 'h') {
			spec_usage(stdout);
			return 0;
		} else if (c == 'b') {
			bundle = optarg;
		} else if (c == 'r') {
			rootless = true;
		} else {
			return cli_bad_option("spec", argv);
		}
	}
	if (optind < argc) {
		husk_warn("spec: unexpected argument '%s' (usage: husk spec [--bundle DIR] [--rootless])",
			  argv[optind]);
		return HUSK_EXIT_FAILURE;
	}
	struct husk_err err = { 0 };
	json_object *spec = default_spec(rootless);
	int r = write_spec(bundle, spec, &err);
	json_object_put(spec);
	return r < 0 ? husk_error_print(&err) : 0;
}
