/* husk check: one verdict line per host feature husk relies on. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include "cli/cli.h"
#include "engine/state.h"
#include "linux/cgroup/cgroup.h"
#include "linux/net/network.h"
#include "linux/net/ports/sock_redirect.h"
#include "linux/userns/idmapped.h"
#include "linux/userns/holder.h"
#include "linux/userns/rootless.h"
#include "linux/userns/rootless_probe.h"
#include "image/inflate.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int failures;

static void verdict(bool ok, const char *item, const char *detail)
{
	printf("%-4s %-22s %s\n", ok ? "ok" : "FAIL", item, detail);
	if (!ok)
		failures++;
}

/* Can this process create a namespace of this type? (in a throw-away child) */
static bool can_unshare(int flag)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(flag) == 0 ? 0 : 1);
	int st;
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool file_has(const char *path, const char *word)
{
	char buf[8192];
	return read_file(path, buf, sizeof buf) >= 0 && strstr(buf, word);
}

static void check_cgroups(void)
{
	enum cgroup_mode m = cgroup_detect();
	char ctrls[256] = "", line[400];
	cgroup_controllers(m, ctrls, sizeof ctrls);
	ctrls[strcspn(ctrls, "\n")] = '\0';
	if (m == CGROUP_HYBRID) {
		/* crun refuses such hosts; husk uses the v1 controllers and ignores cgroup2's */
		char unified[128] = "";
		read_file(CGROUP_ROOT "/unified/cgroup.controllers", unified, sizeof unified);
		unified[strcspn(unified, "\n")] = '\0';
		snprintf(line, sizeof line, "hybrid (v1 controllers used: %s; cgroup2 at %s/unified holds: %s)",
			 ctrls, CGROUP_ROOT, unified[0] ? unified : "none");
	} else {
		snprintf(line, sizeof line, "%s (controllers: %s)", cgroup_mode_name(m), ctrls);
	}
	verdict(m != CGROUP_NONE, "cgroup mode", line);
	static const char *const need[] = { "memory", "cpu", "pids" };
	for (size_t i = 0; i < 3; i++) {
		bool ok = strstr(ctrls, need[i]) != NULL;
		snprintf(line, sizeof line, "%s", ok ? "available" : "missing: its limit cannot be set");
		char item[32];
		snprintf(item, sizeof item, "cgroup %s", need[i]);
		verdict(ok, item, line);
	}
}

/* --userns auto shows the rootfs owned by the container's root through an idmapped
 * mount: tried for real on the filesystem of /usr (and of /var/lib/husk, where
 * images live); overlayfs takes idmapped mounts from 5.19 on. */
static void check_idmapped(const struct utsname *u)
{
	static const char *const paths[] = { "/var/lib/husk", "/usr" };
	char why[400], line[560];
	struct stat st;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (stat(paths[i], &st) < 0)
			continue;
		bool ok = idmapped_supported(paths[i], why, sizeof why);
		snprintf(line, sizeof line, "%s%s", why, ok ? "" : " (--userns auto cannot run there)");
		printf("%-4s %-22s %s\n", ok ? "ok" : "warn", "idmapped mounts", line);
		break;
	}
	bool ovl = idmapped_overlay_supported(why, sizeof why);
	snprintf(line, sizeof line, "%s (kernel %s)%s", why, u->release,
		 ovl ? "" : "; --userns runs rootfs directories, not images");
	printf("%-4s %-22s %s\n", ovl ? "ok" : "warn", "idmapped overlayfs", line);
}

/* Which library inflates gzip layers (image/inflate.h), and why that one */
static void check_inflater(void)
{
	struct husk_err err = { 0 };
	int mode = gz_mode(&err);
	if (mode < 0) {
		printf("%-4s %-22s %s\n", "warn", "gzip layers", err.msg);
		return;
	}
	bool chosen = mode != GZ_MODE_AUTO;
	struct gz *gz = gz_new();
	const char *line;
	if (!gz)
		line = chosen ? "libarchive's zlib, no CRC check (HUSK_INFLATE is set)" :
				"libarchive's zlib, no CRC check (install zlib1g or libisal2)";
	else if (gz_kind(gz) == GZ_ISAL)
		line = "ISA-L (libisal.so.2)";
	else
		line = chosen ? "zlib (libz.so.1; HUSK_INFLATE is set)" :
				"zlib (libz.so.1; libisal2 inflates about 3x faster)";
	printf("%-4s %-22s %s\n", gz ? "ok" : "warn", "gzip layers", line);
	gz_free(gz);
}

/* Rootless husk: newuidmap for the subuid range, slirp4netns and a /dev/net/tun a
 * user may open for its network. */
static void check_rootless(void)
{
	struct stat st;
	bool helpers = access("/usr/bin/newuidmap", X_OK) == 0 && access("/usr/bin/newgidmap", X_OK) == 0;
	bool slirp = access("/usr/bin/slirp4netns", X_OK) == 0;
	bool tun = stat("/dev/net/tun", &st) == 0 && (st.st_mode & 0006) == 0006;
	char line[900], hold[600];
	long linger;
	struct husk_err err = { 0 };
	bool linger_ok = userns_holder_linger(&linger, &err) == 0;
	if (!linger_ok)
		snprintf(hold, sizeof hold, "present, but %s", err.msg);
	else if (linger == 0)
		snprintf(hold, sizeof hold, "present (subuid ranges mapped, for each container: "
			 "HUSK_USERNS_LINGER=0)");
	else
		snprintf(hold, sizeof hold, "present (subuid ranges mapped once per user, held by "
			 "husk-userns until idle for %ld s)", linger);
	snprintf(line, sizeof line, "newuidmap/newgidmap %s; slirp4netns %s; /dev/net/tun %s",
		 helpers ? hold : "missing (one id mapped; apt install uidmap)",
		 slirp ? "present" : "missing (apt install slirp4netns)",
		 tun ? "open to users" : "closed to users (chmod 666 /dev/net/tun, as udev does; "
		 "else rootless --network slirp4netns fails)");
	printf("%-4s %-22s %s\n", helpers && linger_ok && slirp && tun ? "ok" : "warn", "rootless",
	       line);
}

/* Rootless images: where the user's store is (its nearest existing folder), or, run
 * by root, where users' homes are. */
static void check_rootless_images(void)
{
	char dir[300] = "/var/tmp", why[400];
	struct husk_err err = { 0 };
	if (rootless()) {
		if (rootless_image_root(dir, sizeof dir, &err) < 0)
			snprintf(dir, sizeof dir, "/var/tmp");
		struct stat st;
		while (stat(dir, &st) < 0 && strrchr(dir, '/') && strrchr(dir, '/') != dir)
			*strrchr(dir, '/') = '\0';
	} else if (access("/home", W_OK) == 0) {
		snprintf(dir, sizeof dir, "/home");
	}
	bool ok = rootless_overlay_supported(dir, why, sizeof why);
	printf("%-4s %-22s %s%s\n", ok ? "ok" : "warn", "rootless images", why,
	       ok ? "" : "; rootless husk runs rootfs directories, not images");
}

/* One line per port of each running container: which path serves it, and why (as
 * husk inspect's network.ports[].path); the first 20, then how many more. */
static void published_ports(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *de;
	int shown = 0, more = 0;
	while (d && (de = readdir(d))) {
		char dir[512];
		json_object *net, *ports;
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof dir, "%s/%s", root, de->d_name);
		json_object *st = state_read(dir);
		if (!st || strcmp(state_get_str(st, "status", ""), "running") ||
		    !json_object_object_get_ex(st, "network", &net) ||
		    !json_object_object_get_ex(net, "ports", &ports)) {
			json_object_put(st);
			continue;
		}
		for (size_t i = 0; i < json_object_array_length(ports); i++) {
			json_object *p = json_object_array_get_idx(ports, i);
			const char *ip = state_get_str(p, "host_ip", "");
			if (shown++ >= 20) {
				more++;
				continue;
			}
			printf("%-4s %-22s %s %s%s%s:%lld/%s: %s\n", "ok", "-p", de->d_name,
			       strchr(ip, ':') ? "[" : "", *ip ? ip : "*", strchr(ip, ':') ? "]" : "",
			       (long long)state_get_int(p, "host_port", 0),
			       state_get_str(p, "protocol", "tcp"),
			       state_get_str(p, "path", "(no path recorded: --network slirp4netns, or an older husk)"));
		}
		json_object_put(st);
	}
	if (d)
		closedir(d);
	if (more)
		printf("%-4s %-22s ... and %d more (husk inspect NAME: network.ports[].path)\n", "ok",
		       "-p", more);
}

int cmd_check(struct husk_global *g, int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		puts("Usage: husk check\n\nReports, one line per item, what this host supports:\n"
		     "kernel, cgroup mode and controllers, namespaces, user namespaces, overlayfs,\n"
		     "seccomp, nftables, veth and bridge, the path that serves -p on loopback,\n"
		     "and for each running container's published port which path serves it and\n"
		     "why. Exits 1 if a required item is missing.");
		return 0;
	}
	struct utsname u;
	uname(&u);
	char line[400];
	snprintf(line, sizeof line, "%s %s", u.sysname, u.release);
	verdict(true, "kernel", line);
	check_cgroups();

	static const struct { int flag; const char *name; } ns[] = {
		{ CLONE_NEWPID, "pid" }, { CLONE_NEWNS, "mount" }, { CLONE_NEWUTS, "uts" },
		{ CLONE_NEWIPC, "ipc" }, { CLONE_NEWNET, "network" }, { CLONE_NEWCGROUP, "cgroup" },
	};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		char item[32];
		snprintf(item, sizeof item, "namespace %s", ns[i].name);
		bool ok = can_unshare(ns[i].flag);
		verdict(ok, item, ok ? "supported" : "cannot be created (are you root?)");
	}
	bool userns = can_unshare(CLONE_NEWUSER);
	char maxu[32] = "?";
	read_file("/proc/sys/user/max_user_namespaces", maxu, sizeof maxu);
	maxu[strcspn(maxu, "\n")] = '\0';
	snprintf(line, sizeof line, "%s (max_user_namespaces %s; optional)", userns ? "supported" : "unavailable", maxu);
	printf("%-4s %-22s %s\n", userns ? "ok" : "warn", "user namespaces", line);

	check_idmapped(&u);
	check_rootless();
	check_rootless_images();

	bool overlay = file_has("/proc/filesystems", "overlay");
	printf("%-4s %-22s %s\n", overlay ? "ok" : "warn", "overlayfs", overlay ? "supported" : "not loaded (modprobe overlay; optional)");
	check_inflater();
	bool sec = prctl(PR_GET_SECCOMP) >= 0 && file_has("/proc/self/status", "Seccomp:");
	verdict(sec, "seccomp", sec ? "supported (filter mode)" : "not available");
	struct stat st;
	bool nft = stat("/proc/sys/net/netfilter", &st) == 0 || file_has("/proc/modules", "nf_tables");
	printf("%-4s %-22s %s\n", nft ? "ok" : "warn", "nftables", nft ? "netfilter present" : "not loaded (needed for -p)");
	bool veth = stat("/sys/module/veth", &st) == 0 || file_has("/proc/modules", "veth ");
	printf("%-4s %-22s %s\n", veth ? "ok" : "warn", "veth", veth ? "loaded" : "not loaded yet (loaded on demand)");
	bool bridge = stat("/sys/module/bridge", &st) == 0;
	printf("%-4s %-22s %s\n", bridge ? "ok" : "warn", "bridge", bridge ? "loaded" : "not loaded yet (loaded on demand)");
	char net[400];
	bool net_ok = net_describe_host(net, sizeof net);
	printf("%-4s %-22s %s\n", net_ok ? "ok" : "warn", "husk network", net);
	char where[160], map[96];
	bool redirect = sock_redirect_supported(where, sizeof where);
	const char *env = getenv("HUSK_PORT_FORWARDER");
	bool forced = env && !strcmp(env, "1");
	sock_redirect_describe(map, sizeof map);
	if (redirect && !forced)
		printf("%-4s %-22s eBPF connect redirect on the cgroup2 root %s: one set of programs "
		       "for the host, one map lookup per connect (%s); IPv6 host addresses other "
		       "than [::1]: userspace forwarder\n", "ok", "-p on loopback", where, map);
	else
		printf("%-4s %-22s userspace forwarder (%s)\n", "ok", "-p on loopback",
		       forced ? "HUSK_PORT_FORWARDER=1" : where);
	published_ports(g->state_root ? g->state_root : HUSK_DEFAULT_STATE_ROOT);
	return failures ? 1 : 0;
}
