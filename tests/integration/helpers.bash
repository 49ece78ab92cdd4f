# shellcheck shell=bash
# Shared helpers for husk's bats tests (run as root against the built binary).
#
#   load helpers
#   setup()    { husk_setup; }      # records what already exists (leftover baseline)
#   teardown() { husk_teardown; }   # stops background husks, then assert_no_leftovers
#
# Paths:     HUSK_SRC (repo root), HUSK (absolute path of the binary; set HUSK to test
#            another build), HUSK_TEST_CACHE (fixtures, /var/cache/husk-test).
# Fixtures:  rootfs_busybox (cached, shared: never write into it), rootfs_copy (a
#            private, writable copy for this test).
# Names:     cname [TAG] -> a fresh container name, remembered for the leftover check.
# Failing:   fail MESSAGE...  (MESSAGE on stderr, then status 1).
# Waiting:   wait_for TIMEOUT DESC CMD...  (poll, never a bare sleep),
#            wait_running NAME, container_pid NAME, stop_pid PID TIMEOUT DESC.
# Cgroups:   cgroup_mode (v1|v2|hybrid), cgroup_dir CONTROLLER NAME.
# Leftovers: husk_leftovers (one line per object), assert_no_leftovers.

# run --separate-stderr and run -N need bats 1.5 (scripts/test.sh makes sure of it)
if declare -F bats_require_minimum_version >/dev/null; then
	bats_require_minimum_version 1.5.0
fi

HUSK_SRC=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
HUSK=${HUSK:-$HUSK_SRC/build/husk}
[[ $HUSK == /* ]] || HUSK=$HUSK_SRC/$HUSK
# test tools built next to husk (tests/tools)
HUSK_TOOLS=${HUSK_TOOLS:-$(dirname "$HUSK")/tests/tools}
HUSK_TEST_CACHE=${HUSK_TEST_CACHE:-/var/cache/husk-test}
HUSK_STATE_ROOT=${HUSK_STATE_ROOT:-/run/husk}
# Leftovers named after this test's containers (cname) always fail the test. Other
# new husk objects may belong to another husk running on the same machine: under CI
# (tests run one at a time) they fail the test after HUSK_LEFTOVER_GRACE seconds;
# elsewhere they are only reported, unless HUSK_LEFTOVER_STRICT=1.
if [[ ${CI:-} == true ]]; then
	HUSK_LEFTOVER_STRICT=${HUSK_LEFTOVER_STRICT:-1}
else
	HUSK_LEFTOVER_STRICT=${HUSK_LEFTOVER_STRICT:-0}
fi
HUSK_LEFTOVER_GRACE=${HUSK_LEFTOVER_GRACE:-2}
export HUSK HUSK_SRC HUSK_TEST_CACHE HUSK_STATE_ROOT

# --- fixtures ---------------------------------------------------------------------

# Builds the busybox rootfs once (scripts/build-rootfs.sh --method busybox) into the
# cache and prints its path. Concurrent callers wait on a lock.
rootfs_busybox() {
	local dir=$HUSK_TEST_CACHE/busybox
	if ! grep -qx 'state=complete' "$dir/.husk-rootfs" 2>/dev/null ||
		[[ ! -x $dir/bin/busybox ]]; then
		mkdir -p "$HUSK_TEST_CACHE"
		(
			flock 9
			if ! grep -qx 'state=complete' "$dir/.husk-rootfs" 2>/dev/null; then
				"$HUSK_SRC/scripts/build-rootfs.sh" "$dir" --method busybox >&2 ||
					{ echo "rootfs_busybox: build-rootfs.sh failed" >&2; exit 1; }
			fi
		) 9>"$HUSK_TEST_CACHE/.lock" || return 1
	fi
	printf '%s\n' "$dir"
}

# A private, writable copy of the busybox rootfs: rootfs_copy [DEST] -> DEST
# (default $BATS_TEST_TMPDIR/rootfs).
rootfs_copy() {
	local src dest=${1:-$BATS_TEST_TMPDIR/rootfs}
	src=$(rootfs_busybox) || return 1
	mkdir -p "$dest"
	cp -a "$src/." "$dest/"
	printf '%s\n' "$dest"
}

# --- names, processes, waiting ----------------------------------------------------

# cname [TAG]: a container name unique to this run, remembered so that the leftover
# check is strict about everything named after it.
cname() {
	local n
	n="hkt-${1:-t}-$BATS_TEST_NUMBER-$$-$RANDOM"
	n=${n:0:64}
	printf '%s\n' "$n" >>"$BATS_TEST_TMPDIR/.husk-names"
	printf '%s\n' "$n"
}

# fail MESSAGE...: prints MESSAGE on stderr and returns 1, which fails the test
# (as the last command of a check, or after || in one).
fail() {
	printf '%s\n' "$*" >&2
	return 1
}

# wait_for TIMEOUT DESC CMD...: runs CMD every 50 ms until it succeeds; fails the test
# with DESC after TIMEOUT seconds.
wait_for() {
	local timeout=$1 desc=$2 deadline
	shift 2
	deadline=$(($(date +%s%N) + timeout * 1000000000))
	until "$@"; do
		if (($(date +%s%N) > deadline)); then
			echo "timed out after ${timeout}s waiting for: $desc" >&2
			return 1
		fi
		sleep 0.05
	done
}

# stop_pid PID TIMEOUT DESC: SIGTERM to PID if it runs, then SIGKILL if it is still
# there after TIMEOUT seconds (wait_for says DESC). Returns 0.
stop_pid() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait_for "$2" "$3" eval "! kill -0 $pid 2>/dev/null" ||
		kill -KILL "$pid" 2>/dev/null || true
}

# husk_bg NAME ARGS...: starts `husk ARGS...` in the background with stdout and
# stderr in $BATS_TEST_TMPDIR/NAME.out and NAME.err; sets BG_PID. husk_teardown kills
# what is still running.
husk_bg() {
	local tag=$1
	shift
	"$HUSK" "$@" >"$BATS_TEST_TMPDIR/$tag.out" 2>"$BATS_TEST_TMPDIR/$tag.err" 3>&- </dev/null &
	BG_PID=$!
	printf '%s\n' "$BG_PID" >>"$BATS_TEST_TMPDIR/.husk-bg"
}

# bg_wait PID: waits for a husk_bg process and sets BG_STATUS to its exit status.
# shellcheck disable=SC2034 # BG_STATUS is read by the tests
bg_wait() {
	BG_STATUS=0
	wait "$1" || BG_STATUS=$?
}

state_running() {
	grep -q '"status":"running"' "$HUSK_STATE_ROOT/$1/state.json" 2>/dev/null
}

# wait_running NAME [TIMEOUT]: until husk has started the command (state.json says so).
wait_running() {
	wait_for "${2:-10}" "container $1 running" state_running "$1"
}

# container_pid NAME: host PID of the container's PID 1, from its state file.
container_pid() {
	sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$HUSK_STATE_ROOT/$1/state.json"
}

file_has() { grep -q -- "$2" "$1" 2>/dev/null; }

# wait_output FILE TEXT [TIMEOUT]: until FILE contains TEXT.
wait_output() {
	wait_for "${3:-10}" "'$2' in $1" file_has "$1" "$2"
}

# --- cgroups ----------------------------------------------------------------------

cgroup_mode() {
	if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then
		echo v2
	elif [[ -e /sys/fs/cgroup/unified/cgroup.controllers ]]; then
		echo hybrid
	else
		echo v1
	fi
}

# cgroup_dir CONTROLLER NAME: where husk keeps NAME's cgroup for CONTROLLER.
cgroup_dir() {
	local ctl=$1 name=$2 mnt
	if [[ $(cgroup_mode) == v2 ]]; then
		echo "/sys/fs/cgroup/husk/$name"
		return
	fi
	# the v1 hierarchy whose super options name the controller (cpu may share cpuacct)
	mnt=$(awk -v c="$ctl" '$0 ~ / - cgroup / {
		n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit }
	}' /proc/self/mountinfo)
	echo "${mnt:-/sys/fs/cgroup/$ctl}/husk/$name"
}

# --- leftovers --------------------------------------------------------------------

# One line per husk object on the host: cgroup directories, mounts, veths, nftables
# tables, state entries, processes in husk cgroups, husk processes.
husk_leftovers() {
	local f pid
	find /sys/fs/cgroup -maxdepth 3 -type d -path '*husk*' -printf 'cgroup %p\n' 2>/dev/null
	# mounts in the host's namespace: anything naming husk (state dir, the fixture
	# cache) or under this run's temporary directories (private rootfs copies)
	awk -v d="${BATS_RUN_TMPDIR:-/nonexistent}" '{
		for (i = 7; i < NF && $i != "-"; i++) ;
		src = $(i + 2)
		if ($4 ~ /husk/ || $5 ~ /husk/ || src ~ /husk/ || index($5, d) == 1)
			print "mount " $5 " (" src " " $4 ")"
	}' /proc/self/mountinfo
	# husk owns every veth on a test machine (a baseline taken in husk_setup
	# leaves out those that were there before the test)
	ip -o link show type veth 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "veth " $2 }'
	nft list tables 2>/dev/null | grep -i husk | sed 's/^/nft /' || true
	if [[ -d $HUSK_STATE_ROOT ]]; then
		find "$HUSK_STATE_ROOT" -mindepth 1 -maxdepth 1 -printf 'state %p\n' 2>/dev/null || true
	fi
	# containers' writable layers in the store (engine/layer_dir.h)
	local layers=${HUSK_IMAGE_ROOT:-/var/lib/husk}/containers
	if [[ -d $layers ]]; then
		find "$layers" -mindepth 1 -maxdepth 1 -printf 'layer %p\n' 2>/dev/null || true
	fi
	# one grep and one find over /proc: a fork per process is slow on a busy machine
	while IFS= read -r f; do
		pid=${f#/proc/}
		pid=${pid%%/*}
		echo "process $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) in $(grep -m1 ':/husk/' "$f" 2>/dev/null)"
	done < <(grep -ls ':/husk/' /proc/[0-9]*/cgroup 2>/dev/null)
	while IFS= read -r f; do
		pid=${f#/proc/}
		pid=${pid%%/*}
		echo "process $pid (husk $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null))"
	done < <(find /proc/[0-9]*/exe -maxdepth 0 -lname "$HUSK*" 2>/dev/null)
	return 0
}

# husk's published-port eBPF programs attached to a cgroup2 root and its maps, one
# line each
husk_bpf_programs() {
	local root
	[[ -x $HUSK_TOOLS/cgroup-bpf ]] || return 0
	for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[[ $(stat -f -c %T "$root" 2>/dev/null) == cgroup2fs ]] || continue
		"$HUSK_TOOLS/cgroup-bpf" "$root" | awk -v r="$root" '$2 == "husk_ports" { print "bpf " r " " $0 }'
	done
	# the maps of the shared redirect, which live as long as a program or husk holds them
	"$HUSK_TOOLS/cgroup-bpf" --maps | sed 's/^/bpf /'
	return 0
}

# Objects not in the baseline taken by husk_setup (all of them without one).
new_leftovers() {
	local base=$BATS_TEST_TMPDIR/.husk-baseline
	if [[ -f $base ]]; then
		husk_leftovers | grep -vxF -f "$base" || true
	else
		husk_leftovers
	fi
}

# Fails listing the husk objects this test left on the host (see HUSK_LEFTOVER_STRICT).
assert_no_leftovers() {
	local left mine names=$BATS_TEST_TMPDIR/.husk-names deadline
	deadline=$(($(date +%s%N) + HUSK_LEFTOVER_GRACE * 1000000000))
	while :; do
		left=$(new_leftovers)
		[[ -z $left ]] && return 0
		mine=
		if [[ -s $names ]]; then
			mine=$(grep -F -f "$names" <<<"$left" || true)
		fi
		[[ -n $mine ]] && break
		if ((!HUSK_LEFTOVER_STRICT)); then
			echo "# not counted (another husk may be running here):" >&3
			# shellcheck disable=SC2001
			sed 's/^/#   /' <<<"$left" >&3
			return 0
		fi
		(($(date +%s%N) > deadline)) && break
		sleep 0.2
	done
	echo "husk left these behind:" >&2
	# shellcheck disable=SC2001
	sed 's/^/  /' <<<"${mine:-$left}" >&2
	return 1
}

# --- setup / teardown -------------------------------------------------------------

# A PID 1 that stays until SIGTERM (`wait` returns at once on a trapped signal).
# shellcheck disable=SC2034 # used by the .bats files that load this one
SLEEPER='trap "exit 0" TERM; echo ready; while :; do sleep 1 & wait $!; done'

# For the files whose containers run the busybox rootfs: built once per file
# (setup_file), then $R in every test (setup).
busybox_setup_file() {
	rootfs_busybox >/dev/null
}

busybox_setup() {
	husk_setup
	# shellcheck disable=SC2034 # the tests use it
	R=$(rootfs_busybox)
}

husk_setup() {
	[[ $EUID -eq 0 ]] || skip "needs root"
	[[ -x $HUSK ]] || {
		echo "husk binary not found at $HUSK (build: meson setup build && ninja -C build)" >&2
		return 1
	}
	husk_leftovers >"$BATS_TEST_TMPDIR/.husk-baseline"
}

# Kills husks this test left running in the background (SIGKILL after 5 s of SIGTERM),
# then checks that nothing is left.
husk_teardown() {
	local pid
	if [[ -f $BATS_TEST_TMPDIR/.husk-bg ]]; then
		while read -r pid; do
			kill -0 "$pid" 2>/dev/null || continue
			stop_pid "$pid" 5 "husk $pid to stop"
			wait "$pid" 2>/dev/null || true
		done <"$BATS_TEST_TMPDIR/.husk-bg"
	fi
	assert_no_leftovers
}

# Debian's docker-registry on 127.0.0.1:REG_PORT (22000-22999), its config and
# storage under this file's temporary dir; registry_stop (in teardown_file) stops it.
registry_start() {
	local t=$BATS_FILE_TMPDIR/registry port
	mkdir -p "$t/data"
	for port in $(shuf -i 22000-22999 -n 20); do
		ss -Hltn "sport = :$port" | grep -q . || break
	done
	cat >"$t/config.yml" <<-EOF
		version: 0.1
		log:
		  level: info
		storage:
		  filesystem:
		    rootdirectory: $t/data
		http:
		  addr: 127.0.0.1:$port
	EOF
	docker-registry serve "$t/config.yml" >"$t/log" 2>&1 3>&- &
	echo $! >"$t/pid"
	export REG_PORT=$port REG_LOG=$t/log REG_DATA=$t/data
	wait_for 20 "the registry on port $port" curl -fs "http://127.0.0.1:$port/v2/" -o /dev/null
}

# registry_stop: the registry of registry_start, if this file started one
registry_stop() {
	local p=$BATS_FILE_TMPDIR/registry/pid
	[[ -f $p ]] || return 0
	stop_pid "$(cat "$p")" 10 "the registry to stop"
	rm -f "$p"
}

# The busybox rootfs as a tarball (cached, shared by the engine files and rootless.bats).
image_tar() {
	local root tar=$HUSK_TEST_CACHE/busybox-rootfs.tar
	root=$(rootfs_busybox) || return 1
	if [[ ! -s $tar || $root/.husk-rootfs -nt $tar ]]; then
		(
			flock 9
			if [[ ! -s $tar || $root/.husk-rootfs -nt $tar ]]; then
				tar -C "$root" --exclude=./.husk-rootfs -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
			fi
		) 9>"$HUSK_TEST_CACHE/.tar-lock" || return 1
	fi
	printf '%s\n' "$tar"
}

# The busybox rootfs as an OCI image archive (index.json, one uncompressed layer),
# for `ctr images import`; built once into the test cache, named
# docker.io/library/hkt-busybox:latest (containerd's io.containerd.image.name).
oci_archive() {
	local name=hkt-busybox out=$HUSK_TEST_CACHE/busybox-oci.tar layer dir
	layer=$(image_tar) || return 1
	if [[ ! -s $out || $layer -nt $out ]]; then
		dir=$(mktemp -d "$HUSK_TEST_CACHE/oci.XXXX")
		mkdir -p "$dir/blobs/sha256"
		local ld ls cd cs md ms
		ld=$(sha256sum "$layer" | cut -d' ' -f1)
		ls=$(stat -c %s "$layer")
		cp "$layer" "$dir/blobs/sha256/$ld"
		printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
			"$ld" >"$dir/cfg"
		cd=$(sha256sum "$dir/cfg" | cut -d' ' -f1)
		cs=$(stat -c %s "$dir/cfg")
		mv "$dir/cfg" "$dir/blobs/sha256/$cd"
		printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
			"$cd" "$cs" "$ld" "$ls" >"$dir/man"
		md=$(sha256sum "$dir/man" | cut -d' ' -f1)
		ms=$(stat -c %s "$dir/man")
		mv "$dir/man" "$dir/blobs/sha256/$md"
		printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"docker.io/library/%s:latest","org.opencontainers.image.ref.name":"latest"}}]}' \
			"$md" "$ms" "$name" >"$dir/index.json"
		printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
		tar -C "$dir" -cf "$out.tmp" oci-layout index.json blobs && mv "$out.tmp" "$out"
		rm -rf "$dir"
	fi
	printf '%s\n' "$out"
}
