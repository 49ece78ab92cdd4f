# engines.bash — what docker.bats, podman.bats and containerd.bats share.
#
# Each file starts its engine once (setup_file) and stops it in teardown_file. The
# engine runs in a scratch network + mount namespace of its own (unshare, no fork):
# its bridge, iptables rules, ip_forward and overlay mounts live and die there, so
# the host's firewall is never touched and nothing can outlive the file; its
# sockets and state are under a private directory ($ENGINE_DIR) and a private /run. Containers'
# cgroups go under a parent named for this run ($ENGINE_CGROUP), removed at the end.
#
# The runtime the engines are pointed at: husk (default) or, to prove the harness,
# HUSK_ENGINE_RUNTIME=runc (or crun).
#
#   engine_setup NAME           $ENGINE_DIR, $ENGINE_CGROUP, the runtime's path
#   engine_start CMD...         runs CMD (the daemon, or a holder) in the scratch
#                               namespaces; $ENGINE_PID
#   in_ns CMD...                runs CMD in those namespaces (curl, podman)
#   engine_stop                 TERM the daemon, then KILL what is left in the
#                               namespaces or the cgroup parent; cgroups, dir removed
#   engine_leftovers            one line per process, cgroup or mount left
#   image_tar, oci_archive      the busybox rootfs as a tarball and as an OCI
#                               archive (helpers.bash)

load ../integration/helpers

ENGINE_RUNTIME=${HUSK_ENGINE_RUNTIME:-husk}

# HUSK_ENGINE_CGROUP=v2: the engine's mount namespace has cgroup2 alone at
# /sys/fs/cgroup, as on a pure cgroup2 host (Debian 12's and Ubuntu 22.04's default),
# whatever the host's layout; the engine, its shims and husk then take their cgroup2
# paths. On a hybrid host that hierarchy holds only the controllers v1 does not
# (here: hugetlb), so a test of a limit skips there (engine_needs_controller).
ENGINE_CGROUP_MODE=${HUSK_ENGINE_CGROUP:-host}
export ENGINE_CGROUP_MODE

# The runtime's absolute path.
runtime_path() {
	case $ENGINE_RUNTIME in
	husk) printf '%s\n' "$HUSK" ;;
	*) command -v "$ENGINE_RUNTIME" ;;
	esac
}

# skip_unless_installed BINARY PACKAGE
skip_unless_installed() {
	command -v "$1" >/dev/null || skip "$1 is not installed (Debian package $2)"
}

engine_setup() {
	[[ $EUID -eq 0 ]] || skip "needs root"
	RUNTIME=$(runtime_path) || skip "runtime $ENGINE_RUNTIME is not installed"
	[[ -x $RUNTIME ]] || skip "runtime $RUNTIME is not built"
	# short: the engines' unix sockets live under it (108 bytes at most)
	ENGINE_DIR=$(mktemp -d "/tmp/hkt-$1.XXXX")
	ENGINE_CGROUP=hkt-eng-$1-$$
	export RUNTIME ENGINE_DIR ENGINE_CGROUP
}

# engine_start CMD...: CMD becomes the first process of a new network and mount
# namespace (unshare execs it): lo up, mounts private, /run a tmpfs of its own (the
# shims' sockets in /run/containerd/s, runc roots, netns files never reach the host's).
engine_start() {
	local d
	# directories the engine writes outside its own (ENGINE_TMPFS): a tmpfs each, in
	# the namespace; one that the host lacks is made and removed by engine_stop
	for d in ${ENGINE_TMPFS:-}; do
		[[ -d $d ]] && continue
		mkdir -p "$d"
		printf '%s\n' "$d" >>"$BATS_FILE_TMPDIR/made-dirs"
	done
	# shellcheck disable=SC2016 # expanded by that shell
	ENGINE_TMPFS=${ENGINE_TMPFS:-} unshare --net --mount --propagation private -- \
		sh -c 'for d in /run $ENGINE_TMPFS; do mount -t tmpfs -o mode=755 tmpfs "$d" || exit 1; done
			if [ "$ENGINE_CGROUP_MODE" = v2 ]; then mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 1; fi
			ip link set lo up && : >"$ENGINE_DIR/.ns-ready" && exec "$@"' engine "$@" \
		>>"$ENGINE_DIR/daemon.log" 2>&1 3>&- </dev/null &
	ENGINE_PID=$!
	printf '%s\n' "$ENGINE_PID" >"$BATS_FILE_TMPDIR/engine.pid"
	# its namespaces, for in_ns and the leftover check, once its mounts are made
	wait_for 10 "the engine's namespaces" test -e "$ENGINE_DIR/.ns-ready"
	readlink "/proc/$ENGINE_PID/ns/net" >"$BATS_FILE_TMPDIR/netns"
	readlink "/proc/$ENGINE_PID/ns/mnt" >"$BATS_FILE_TMPDIR/mntns"
	export ENGINE_PID
}

# engine_needs_controller NAME: skips the test when the engine's cgroup2 (in
# HUSK_ENGINE_CGROUP=v2 mode) lacks controller NAME
engine_needs_controller() {
	[[ $ENGINE_CGROUP_MODE == v2 ]] || return 0
	in_ns grep -qw "$1" /sys/fs/cgroup/cgroup.controllers ||
		skip "the cgroup2 hierarchy has no $1 controller on this host ($(in_ns cat /sys/fs/cgroup/cgroup.controllers))"
}

in_ns() {
	nsenter -t "$ENGINE_PID" -n -m -- "$@"
}

no_engine_pids() { [[ -z $(engine_pids) ]]; }

# PIDs in the engine's namespaces or in its cgroup parent.
engine_pids() {
	local net mnt p
	net=$(cat "$BATS_FILE_TMPDIR/netns" 2>/dev/null) || net=none
	mnt=$(cat "$BATS_FILE_TMPDIR/mntns" 2>/dev/null) || mnt=none
	for p in /proc/[0-9]*; do
		if [[ $(readlink "$p/ns/net" 2>/dev/null) == "$net" || $(readlink "$p/ns/mnt" 2>/dev/null) == "$mnt" ]]; then
			echo "${p#/proc/}"
		fi
	done
	grep -ls ":/$ENGINE_CGROUP\(/\|$\)" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
}

# The cgroup directories of the parent, deepest first.
engine_cgroups() {
	find /sys/fs/cgroup -maxdepth 6 -type d -name "$ENGINE_CGROUP" 2>/dev/null |
		while IFS= read -r d; do find "$d" -depth -type d; done
}

engine_leftovers() {
	local p
	for p in $(engine_pids | sort -u); do
		echo "process $p ($(cat "/proc/$p/comm" 2>/dev/null))"
	done
	engine_cgroups | sed 's/^/cgroup /'
	grep -F "$ENGINE_DIR" /proc/self/mountinfo | awk '{ print "mount " $5 }'
	return 0
}

# Stops what engine_start started and everything it left: no daemon, shim, conmon,
# container process, mount (the namespace goes with its last process), cgroup.
engine_stop() {
	local p
	[[ -n ${ENGINE_DIR:-} ]] || return 0
	ENGINE_PID=$(cat "$BATS_FILE_TMPDIR/engine.pid" 2>/dev/null) || ENGINE_PID=
	if [[ -n $ENGINE_PID ]] && kill -0 "$ENGINE_PID" 2>/dev/null; then
		kill -TERM "$ENGINE_PID"
		wait_for 20 "the engine to stop" eval "! kill -0 $ENGINE_PID 2>/dev/null" ||
			kill -KILL "$ENGINE_PID" 2>/dev/null || true
	fi
	for p in $(engine_pids | sort -u); do
		kill -KILL "$p" 2>/dev/null || true
	done
	wait_for 10 "the engine's processes to go" no_engine_pids || true
	engine_cgroups | while IFS= read -r d; do rmdir "$d" 2>/dev/null || true; done
	# the daemon's log, if a test failed, before the directory goes
	if [[ -f $BATS_FILE_TMPDIR/made-dirs ]]; then
		tac "$BATS_FILE_TMPDIR/made-dirs" | xargs -r rmdir 2>/dev/null || true
		rm -f "$BATS_FILE_TMPDIR/made-dirs"
	fi
	if [[ -d $ENGINE_DIR ]]; then
		cp "$ENGINE_DIR/daemon.log" "$BATS_FILE_TMPDIR/" 2>/dev/null || true
		rm -rf "$ENGINE_DIR"
	fi
}

# Fails listing what the engine left (call after engine_stop).
assert_engine_clean() {
	local left
	left=$(engine_leftovers)
	[[ -z $left ]] && return 0
	echo "the engine left these behind:" >&2
	while IFS= read -r left; do echo "  $left"; done <<<"$left" >&2
	return 1
}

