# shellcheck shell=bash
# bench/common.sh — helpers shared by husk's benchmark scripts. Source it:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
#
# Everything here is a function whose name starts with bench_ (and variables BENCH_*),
# so a script that sources it keeps its own namespace. Nothing runs on source.
#
#   bench_log / bench_warn / bench_die     messages on stderr
#   bench_need_root                         exit unless root
#   bench_ensure CMD:PKG ...                apt-get install PKG where CMD is missing
#   bench_husk_binary [PATH]                print a built husk (builds it if missing)
#   bench_build_rootfs DIR                  busybox rootfs (scripts/build-rootfs.sh if present)
#   bench_size_bytes SIZE                   100M -> 104857600 (1024-based, like husk)
#   bench_build_health_server DIR           DIR/health: a static /health-like HTTP server
#   bench_install_with_libs ROOTFS BIN [DEST]   BIN and its shared libraries into ROOTFS
#   bench_tun_open / bench_tun_close        /dev/net/tun open to users while a run needs it
#   bench_oci_bundle DIR ROOTFS [opts] -- ARGS...   config.json for crun/runc
#   bench_cgroup_mode                       v1 | v2 | hybrid
#   bench_crun_ns_needed                    true when crun would refuse this hybrid host
#   bench_in_crun_ns EMPTYFILE CMD...       run CMD where crun accepts the host
#   bench_remove_cgroup NAME                rmdir NAME's tree in every hierarchy
#   bench_measure CMDFILE OUTDIR RUNS ROUNDS WARMUP   interleaved timing (hyperfine or loop)
#   bench_peak_rss CMDFILE OUTDIR N         peak RSS (GNU time %M) of each command
#   bench_summarize OUTDIR                  table + OUTDIR/summary.json
#     (these three, bench_cmdfile_read and bench_smoke live in bench/lib/measure.sh)
#   bench_leftovers WORKDIR NAME...         what a run left on the host (cgroups, state, mounts)
#   bench_run_bg CMD... / bench_stop_bg     run CMD so that INT/TERM traps can stop it
#
# A CMDFILE has one command per line: NAME<TAB>COMMAND. COMMAND is split on blanks
# (hyperfine -N does the same; no shell, no quoting), so paths must not hold blanks.

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_REPO=$(cd "$BENCH_LIB_DIR/.." && pwd)
BENCH_PROG=${BENCH_PROG:-$(basename "$0")}
BENCH_CGROOT=/sys/fs/cgroup
# bench_cmdfile_read, bench_smoke, bench_measure, bench_peak_rss, bench_summarize
# shellcheck source=bench/lib/measure.sh
. "$BENCH_LIB_DIR/lib/measure.sh"

bench_log() { printf '==> %s\n' "$*" >&2; }
bench_warn() { printf '%s: warning: %s\n' "$BENCH_PROG" "$*" >&2; }
bench_die() {
	printf '%s: %s\n' "$BENCH_PROG" "$*" >&2
	exit 1
}

bench_need_root() {
	[[ $EUID -eq 0 ]] || bench_die "needs root (namespaces, cgroups, mounts): try sudo $BENCH_PROG"
}

# bench_ensure CMD:PKG ... — install the Debian package PKG for every CMD not on PATH
# (CMD may be an absolute path, e.g. /usr/bin/time:time).
bench_ensure() {
	local pair cmd pkg missing=()
	for pair in "$@"; do
		cmd=${pair%%:*} pkg=${pair#*:}
		if [[ $cmd == /* ]]; then
			[[ -x $cmd ]] && continue
		else
			command -v "$cmd" >/dev/null 2>&1 && continue
		fi
		[[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
	done
	((${#missing[@]})) || return 0
	bench_need_root
	bench_log "installing missing packages: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update -q >&2 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } ||
		bench_die "could not install ${missing[*]}"
}

# bench_husk_binary [PATH] — print the husk binary to use: PATH, $HUSK, or the repo's
# build/husk, which is built (meson setup build && ninja -C build) when it is missing.
bench_husk_binary() {
	local h=${1:-${HUSK:-$BENCH_REPO/build/husk}}
	if [[ ! -x $h && $h == "$BENCH_REPO/build/husk" ]]; then
		bench_ensure meson:meson ninja:ninja-build
		bench_log "building husk (meson setup build && ninja -C build)"
		(cd "$BENCH_REPO" && { [[ -d build ]] || meson setup build >&2; } && ninja -C build >&2) ||
			bench_die "building husk failed"
	fi
	[[ -x $h ]] || bench_die "no husk binary at $h"
	# absolute: engines and shims exec it from directories of their own
	[[ $h == /* ]] || h=$PWD/$h
	printf '%s\n' "$h"
}

# bench_build_rootfs DIR — a busybox rootfs in DIR. Uses the project's
# scripts/build-rootfs.sh DIR --method busybox when it exists, else builds one here
# (busybox-static, a skeleton, one symlink per applet).
bench_build_rootfs() {
	local dir=$1 script=$BENCH_REPO/scripts/build-rootfs.sh
	if [[ -f $script ]]; then
		bash "$script" "$dir" --method busybox >&2 || bench_die "$script $dir --method busybox failed"
		return 0
	fi
	bench_ensure /bin/busybox:busybox-static
	local bb=/bin/busybox applet
	file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
		ldd "$bb" 2>&1 | grep -q 'not a dynamic' ||
		bench_die "$bb is not static (install busybox-static)"
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var}
	chmod 1777 "$dir/tmp"
	install -m 0755 "$bb" "$dir/bin/busybox"
	while IFS= read -r applet; do
		[[ -n $applet && $applet != bin/busybox ]] || continue
		mkdir -p "$dir/$(dirname "$applet")"
		ln -sfn /bin/busybox "$dir/$applet"
	done < <("$bb" --list-full)
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
	printf '127.0.0.1 localhost\n' >"$dir/etc/hosts"
	: >"$dir/etc/resolv.conf"
}

# bench_size_bytes SIZE — 512k, 100M, 1g or plain bytes -> bytes (1024-based).
bench_size_bytes() {
	local s=${1,,} n mult=1
	case $s in
	*k) mult=1024 n=${s%k} ;;
	*m) mult=$((1024 * 1024)) n=${s%m} ;;
	*g) mult=$((1024 * 1024 * 1024)) n=${s%g} ;;
	*) n=$s ;;
	esac
	[[ $n =~ ^[0-9]+$ ]] || bench_die "bad size '$1'"
	printf '%s\n' $((n * mult))
}

# bench_build_health_server DIR — DIR/health, a static keep-alive HTTP/1.1 server, one
# process per connection, that answers every request with {"status":"ok"} (what a
# /health endpoint returns): `health PORT` listens on every address, `health PORT
# loopback` on 127.0.0.1 only.
bench_build_health_server() {
	local dir=$1
	cat >"$dir/health.c" <<'EOF'
#define _GNU_SOURCE
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			   "Content-Length: 15\r\n\r\n{\"status\":\"ok\"}";

static void serve(int c)
{
	char buf[8192], *end;
	size_t have = 0;
	for (;;) {
		ssize_t n = read(c, buf + have, sizeof buf - have);
		if (n <= 0)
			_exit(0);
		have += (size_t)n;
		while ((end = memmem(buf, have, "\r\n\r\n", 4))) {
			if (write(c, resp, sizeof resp - 1) < 0)
				_exit(0);
			size_t used = (size_t)(end + 4 - buf);
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		if (have == sizeof buf)
			_exit(0);
	}
}

int main(int argc, char **argv)
{
	signal(SIGCHLD, SIG_IGN);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
	a.sin_addr.s_addr = htonl(argc > 2 ? INADDR_LOOPBACK : INADDR_ANY);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1024) < 0)
		return 1;
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c >= 0 && fork() == 0) {
			close(fd);
			serve(c);
		}
		if (c >= 0)
			close(c);
	}
}
EOF
	cc -static -O2 -Wall -Werror -o "$dir/health" "$dir/health.c" || bench_die "cannot build the test HTTP server"
}

# bench_install_with_libs ROOTFS BIN [DEST] — copy BIN to ROOTFS/DEST (default: the
# same path) with the shared libraries ldd lists for it.
bench_install_with_libs() {
	local root=$1 bin=$2 dest=${3:-$2} lib
	install -D -m 0755 "$bin" "$root$dest"
	while read -r lib; do
		[[ -e $root$lib ]] || install -D -m 0755 "$lib" "$root$lib"
	done < <(ldd "$bin" | awk '/=>/ { print $3 } /^[[:space:]]*\// { print $1 }')
}

# bench_tun_open / bench_tun_close — /dev/net/tun open to every user (mode 666) while a
# run needs it: slirp4netns and pasta open it as an unprivileged user, and Debian's udev
# makes it 0666 but a machine without udev may not. The protocol of
# tests/integration/rootless.bats, which may run at the same time: a count in
# /tmp/hkt-tun.count under a lock on the device itself; the first one in saves the
# mode in /tmp/hkt-tun.mode, the last one out puts it back.
bench_tun_open() {
	(
		flock 9
		local n
		n=$(cat /tmp/hkt-tun.count 2>/dev/null || echo 0)
		((n > 0)) || stat -c %a /dev/net/tun >/tmp/hkt-tun.mode
		echo $((n + 1)) >/tmp/hkt-tun.count
		chmod 666 /dev/net/tun
	) 9</dev/net/tun
}
bench_tun_close() {
	(
		flock 9
		local n
		n=$(cat /tmp/hkt-tun.count 2>/dev/null || echo 1)
		if ((n <= 1)); then
			[[ -f /tmp/hkt-tun.mode ]] && chmod "$(cat /tmp/hkt-tun.mode)" /dev/net/tun
			rm -f /tmp/hkt-tun.count /tmp/hkt-tun.mode
		else
			echo $((n - 1)) >/tmp/hkt-tun.count
		fi
	) 9</dev/net/tun
}

# bench_oci_bundle DIR ROOTFS [--memory BYTES] [--swap BYTES] [--pids N]
#                  [--cgroups-path PATH] [--hostname NAME] -- ARGS...
# Write DIR/config.json: `crun spec` (or `runc spec --rootless=false`) edited with
# python3 to run ARGS with no terminal in ROOTFS (absolute, not read-only), with the
# pid, mount, uts, ipc, network and cgroup namespaces and the given limits. The spec's
# own mounts (/proc, /dev tmpfs, devpts, shm, mqueue, /sys ro, /sys/fs/cgroup ro),
# masked/read-only paths and capabilities are kept.
bench_oci_bundle() {
	local dir=$1 rootfs=$2 mem='' swap='' pids='' cgpath='' host=bench
	shift 2
	while (($#)); do
		case $1 in
		--memory) mem=$2; shift 2 ;;
		--swap) swap=$2; shift 2 ;;
		--pids) pids=$2; shift 2 ;;
		--cgroups-path) cgpath=$2; shift 2 ;;
		--hostname) host=$2; shift 2 ;;
		--) shift; break ;;
		*) bench_die "bench_oci_bundle: unknown option $1" ;;
		esac
	done
	(($#)) || bench_die "bench_oci_bundle: no command given"
	rootfs=$(cd "$rootfs" && pwd) || bench_die "no rootfs $rootfs"
	mkdir -p "$dir"
	rm -f "$dir/config.json"
	if command -v crun >/dev/null 2>&1; then
		(cd "$dir" && crun spec) || bench_die "crun spec failed in $dir"
	else
		(cd "$dir" && runc spec --rootless=false) || bench_die "runc spec failed in $dir"
	fi
	python3 - "$dir/config.json" "$rootfs" "$mem" "$swap" "$pids" "$cgpath" "$host" "$@" <<'PY' ||
import json, sys
path, rootfs, mem, swap, pids, cgpath, host, *args = sys.argv[1:]
c = json.load(open(path))
p = c["process"]
p["terminal"] = False
p["args"] = args
c["root"] = {"path": rootfs, "readonly": False}
c["hostname"] = host
lx = c.setdefault("linux", {})
lx["namespaces"] = [{"type": t} for t in ("pid", "mount", "uts", "ipc", "network", "cgroup")]
res = lx.setdefault("resources", {})
if mem:
    res["memory"] = {"limit": int(mem)}
    if swap:
        res["memory"]["swap"] = int(swap)
if pids:
    res["pids"] = {"limit": int(pids)}
if cgpath:
    lx["cgroupsPath"] = cgpath
with open(path, "w") as f:
    json.dump(c, f, indent=1)
    f.write("\n")
PY
		bench_die "editing $dir/config.json failed"
}

# bench_cgroup_mode — v2 (unified), hybrid (v1 controllers + a cgroup2 at unified/), v1.
bench_cgroup_mode() {
	local t
	t=$(stat -f -c %T "$BENCH_CGROOT" 2>/dev/null || true)
	if [[ $t == cgroup2fs ]]; then
		echo v2
	elif [[ $(stat -f -c %T "$BENCH_CGROOT/unified" 2>/dev/null || true) == cgroup2fs ]]; then
		echo hybrid
	else
		echo v1
	fi
}

# bench_crun_ns_needed — crun refuses a hybrid host whose cgroup2 lists controllers
# ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2").
bench_crun_ns_needed() {
	[[ $(bench_cgroup_mode) == hybrid ]] &&
		[[ -r $BENCH_CGROOT/unified/cgroup.controllers ]] &&
		[[ -n $(tr -d '[:space:]' <"$BENCH_CGROOT/unified/cgroup.controllers") ]]
}

# bench_in_crun_ns EMPTYFILE CMD... — run CMD in a private mount namespace where
# unified/cgroup.controllers is bind-mounted from EMPTYFILE, so crun sees a cgroup2
# without controllers and uses the v1 ones. The host's mounts are untouched (the bind
# mount lives and dies with the namespace). Runs CMD directly when not needed.
bench_in_crun_ns() {
	local empty=$1
	shift
	if bench_crun_ns_needed; then
		: >"$empty"
		# shellcheck disable=SC2016 # expanded by the inner bash
		unshare --mount --propagation private -- bash -c \
			'mount --bind "$0" /sys/fs/cgroup/unified/cgroup.controllers && exec "$@"' "$empty" "$@"
	else
		"$@"
	fi
}

# bench_remove_cgroup NAME — remove the cgroup NAME (a path relative to each
# hierarchy's root) and everything under it, deepest first, in every hierarchy.
# Returns 1 when a directory could not be removed (a process still in it).
bench_remove_cgroup() {
	local name=${1#/} d rc=0
	[[ -n $name && $name != *..* ]] || bench_die "bench_remove_cgroup: bad name '$1'"
	for d in "$BENCH_CGROOT/$name" "$BENCH_CGROOT"/*/"$name"; do
		[[ -d $d ]] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
		[[ ! -d $d ]] || {
			bench_warn "cgroup $d could not be removed"
			rc=1
		}
	done
	return "$rc"
}

# bench_leftovers WORKDIR NAME... — print what is left on the host of a benchmark:
# cgroups NAME or husk/NAME in any hierarchy, state dirs /run/{husk,crun,runc}/NAME,
# mounts (host namespace) and processes that mention WORKDIR. Prints nothing when clean.
bench_leftovers() {
	local work=$1 n d
	shift
	for n in "$@"; do
		for d in "$BENCH_CGROOT/$n" "$BENCH_CGROOT"/*/"$n" "$BENCH_CGROOT/husk/$n" \
			"$BENCH_CGROOT"/*/husk/"$n" /run/husk/"$n" /run/crun/"$n" /run/runc/"$n"; do
			[[ ! -e $d ]] || printf 'left: %s\n' "$d"
		done
	done
	[[ -z $work ]] && return 0
	grep -F -- "$work" /proc/self/mountinfo | awk '{print "left: mount " $5}' || true
	pgrep -a -f -- "$work" | grep -v -- "^$$ " | sed 's/^/left: process /' || true
}

# bench_finish RC WORKDIR NAME... — the end of a benchmark's cleanup: says what is
# still left (bench_leftovers; then the work dir is kept and RC becomes 1 if it was
# 0), else that nothing is, and removes WORKDIR unless $KEEP is 1. Returns the RC.
bench_finish() {
	local rc=$1 work=$2 left
	shift 2
	left=$(bench_leftovers "$work" "$@")
	if [[ -n $left ]]; then
		bench_warn "could not clean everything up:"
		printf '%s\n' "$left" >&2
		KEEP=1
		((rc)) || rc=1
	else
		bench_log "clean: no cgroup, state dir, mount or process of ${1:-the benchmark} left"
	fi
	if ((${KEEP:-0})); then
		bench_log "work directory kept: $work"
	else
		rm -rf -- "$work"
	fi
	return "$rc"
}

# bench_run_bg CMD... — run CMD (a command or function) in the background and wait
# for it, so that a trap on INT/TERM runs at once instead of after CMD ends; the trap
# can stop it with bench_stop_bg. Returns CMD's status.
BENCH_CHILD=''
bench_run_bg() {
	local rc=0
	"$@" &
	BENCH_CHILD=$!
	wait "$BENCH_CHILD" || rc=$?
	BENCH_CHILD=''
	return "$rc"
}

# bench_kill_tree PID [SIG] — signal PID and all its descendants, deepest first.
bench_kill_tree() {
	local p
	for p in $(pgrep -P "$1" 2>/dev/null || true); do
		bench_kill_tree "$p" "${2:-TERM}"
	done
	kill -s "${2:-TERM}" "$1" 2>/dev/null || true
}

# bench_stop_bg — stop what bench_run_bg is running (TERM, then KILL after 5 s).
bench_stop_bg() {
	local c=${BENCH_CHILD:-} i
	[[ -n $c ]] || return 0
	bench_kill_tree "$c" TERM
	for ((i = 0; i < 50; i++)); do
		kill -0 "$c" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$c" 2>/dev/null && bench_kill_tree "$c" KILL
	wait "$c" 2>/dev/null || true
	BENCH_CHILD=''
}
