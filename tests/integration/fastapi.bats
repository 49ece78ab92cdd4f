#!/usr/bin/env bats
# The FastAPI service end to end: scripts/build-rootfs.sh, run-fastapi.sh and the app,
# driving the real husk binary. Run as root:  bats tests/integration/fastapi.bats
#
# setup_file builds the debootstrap rootfs once into $HUSK_TEST_CACHE/rootfs-debootstrap
# (about a minute the first time, reused afterwards). Every test checks that husk and
# run-fastapi.sh left nothing behind: cgroups, mounts, veths, nftables tables, state.

load helpers

RUN_FASTAPI=$HUSK_SRC/run-fastapi.sh
BUILD_ROOTFS=$HUSK_SRC/scripts/build-rootfs.sh

setup_file() {
	[[ $EUID -eq 0 ]] || skip "needs root"
	export FASTAPI_ROOTFS=$HUSK_TEST_CACHE/rootfs-debootstrap
	# a port of its own, so that a demo on 8000 does not get in the way
	export FASTAPI_PORT=${FASTAPI_PORT:-18000}
	# bridge: a veth pair and the port published with -p (the real thing); host is
	# there to debug the rest when bridge networking is broken
	export FASTAPI_NETWORK=${FASTAPI_NETWORK:-bridge}
	# run-fastapi.sh imports the rootfs as an image: into a store cached next to it
	export HUSK_IMAGE_ROOT=${HUSK_IMAGE_ROOT:-$HUSK_TEST_CACHE/images}
	mkdir -p "$HUSK_TEST_CACHE"
	(
		flock 9
		"$BUILD_ROOTFS" "$FASTAPI_ROOTFS" --method debootstrap >&2
	) 9>"$HUSK_TEST_CACHE/.lock-debootstrap"
}

setup() {
	husk_setup
	export LOG_DIR=$BATS_TEST_TMPDIR/logs
	RUN_PIDS=()
}

teardown() {
	local pid
	for pid in "${RUN_PIDS[@]}"; do
		stop_pid "$pid" 20 "run-fastapi.sh $pid to stop"
	done
	husk_teardown
}

# fastapi_name: a container name for run-fastapi.sh, remembered by the leftover check
fastapi_name() {
	local n="fastapi-t$BATS_TEST_NUMBER-$$-$RANDOM"
	printf '%s\n' "$n" >>"$BATS_TEST_TMPDIR/.husk-names"
	printf '%s\n' "$n"
}

health_ok() {
	[[ $(curl -fsS -m 1 "http://127.0.0.1:$FASTAPI_PORT/health" 2>/dev/null) == '{"status":"ok"}' ]]
}

# start_run NAME [ARGS...]: run-fastapi.sh run in the background with SIGINT at its
# default (a background job of a script would otherwise start with SIGINT ignored,
# as a terminal's Ctrl-C would not). Sets RUN_PID.
start_run() {
	local name=$1
	shift
	env --default-signal=INT "$RUN_FASTAPI" run --name "$name" --port "$FASTAPI_PORT" \
		--network "$FASTAPI_NETWORK" --rootfs "$FASTAPI_ROOTFS" "$@" >"$BATS_TEST_TMPDIR/$name.out" 2>&1 3>&- </dev/null &
	RUN_PID=$!
	RUN_PIDS+=("$RUN_PID")
}

# stop_run SIGNAL: signal run-fastapi.sh and wait for it; sets RUN_STATUS.
stop_run() {
	kill -s "$1" "$RUN_PID"
	RUN_STATUS=0
	wait "$RUN_PID" || RUN_STATUS=$?
}

show_run_output() {
	echo "--- run-fastapi.sh output:"
	cat "$BATS_TEST_TMPDIR/$1.out"
}

# cgroup_value NAME CONTROLLER FILE_V1 FILE_V2: the limit husk wrote, read from the host
cgroup_value() {
	local name=$1 ctl=$2 v1=$3 v2=$4
	if [[ $(cgroup_mode) == v2 ]]; then
		cat "$(cgroup_dir "$ctl" "$name")/$v2"
	else
		cat "$(cgroup_dir "$ctl" "$name")/$v1"
	fi
}

@test "run-fastapi.sh --help names every command and exits 0" {
	run -0 "$RUN_FASTAPI" --help
	for cmd in setup run teardown demo status; do
		[[ $output == *"  $cmd "* ]]
	done
	run -1 "$RUN_FASTAPI" --no-such-option
	[[ $output == *"unknown option: --no-such-option"* ]]
}

@test "demo from a clean state: /health answers ok, limits shown from the host, nothing left" {
	run -0 "$RUN_FASTAPI" teardown
	run -0 "$RUN_FASTAPI" demo --rootfs "$FASTAPI_ROOTFS" --port "$FASTAPI_PORT" \
		--network "$FASTAPI_NETWORK" --timeout 60
	echo "$output"
	[[ $output == *'"status": "ok"'* ]]
	[[ $output == *'demo: OK: /health answered {"status":"ok"}'* ]]
	# the app's own view: PID 1 in its namespace, limits read from its cgroup
	[[ $output == *'"pid": 1,'* ]]
	[[ $output == *'"memory_limit": "256M"'* ]]
	[[ $output == *'"pids_limit": 128'* ]]
	# the host's view of the cgroup files husk wrote (v1 or v2 names)
	[[ $output =~ memory\.(limit_in_bytes|max)\ +268435456 ]]
	[[ $output =~ (cpu\.cfs_quota_us\ +100000|cpu\.max\ +100000\ 100000) ]]
	[[ $output =~ pids\.max\ +128 ]]
	# a container log was written
	compgen -G "$LOG_DIR/container_*.log"
	grep -q 'Application startup complete' "$LOG_DIR"/container_*.log
}

@test "run from the image: two instances do not share writes; the built rootfs is never written" {
	local a b port2=$((FASTAPI_PORT + 1))
	a=$(fastapi_name)
	b=$(fastapi_name)
	start_run "$a"
	local pid_a=$RUN_PID
	start_run "$b" --port "$port2"
	local pid_b=$RUN_PID
	wait_for 90 "/health of $a" health_ok || { show_run_output "$a"; false; }
	wait_for 90 "/health of $b" curl -fsS -m 1 "http://127.0.0.1:$port2/health" -o /dev/null ||
		{ show_run_output "$b"; false; }
	run -0 "$HUSK" ps
	[[ $output == *"$a"*localhost/husk-fastapi:* && $output == *"$b"*localhost/husk-fastapi:* ]]
	"$HUSK" exec "$a" sh -c 'echo from-a > /tmp/written-by-a'
	run -0 "$HUSK" exec "$a" cat /tmp/written-by-a
	[[ $output == from-a ]]
	run -1 "$HUSK" exec "$b" cat /tmp/written-by-a
	[[ ! -e $FASTAPI_ROOTFS/tmp/written-by-a ]]
	[[ $(cat "$HUSK_STATE_ROOT/$a/layer/upper/tmp/written-by-a") == from-a ]]
	kill -TERM "$pid_a" "$pid_b"
	wait "$pid_a" || true
	wait "$pid_b" || true
	[[ ! -e $HUSK_STATE_ROOT/$a && ! -e $HUSK_STATE_ROOT/$b ]]
}

@test "run: limits from flags are in the host's cgroup files and in the app's view; SIGTERM leaves nothing" {
	local name
	name=$(fastapi_name)
	start_run "$name" --memory 128M --cpus 0.5 --pids 64
	wait_for 60 "/health of $name" health_ok || { show_run_output "$name"; false; }

	# from the host: husk/<name> in each hierarchy (v1) or the unified one (v2)
	[[ $(cgroup_value "$name" memory memory.limit_in_bytes memory.max) == 134217728 ]]
	if [[ $(cgroup_mode) == v2 ]]; then
		[[ $(cgroup_value "$name" cpu - cpu.max) == "50000 100000" ]]
	else
		[[ $(cgroup_value "$name" cpu cpu.cfs_quota_us -) == 50000 ]]
		[[ $(cgroup_value "$name" cpu cpu.cfs_period_us -) == 100000 ]]
	fi
	[[ $(cgroup_value "$name" pids pids.max pids.max) == 64 ]]

	# from inside: the app reads the same limits through its cgroup namespace
	run -0 curl -fsS "http://127.0.0.1:$FASTAPI_PORT/"
	echo "$output"
	[[ $output == *"\"hostname\":\"$name\""* ]]
	[[ $output == *'"memory_limit_bytes":134217728'* ]]
	[[ $output == *'"cpu_limit":0.5'* ]]
	[[ $output == *'"pids_limit":64'* ]]
	[[ $output == *'"pid":1,'* ]]

	stop_run TERM
	show_run_output "$name"
	[[ $RUN_STATUS -eq 0 ]]
	assert_no_leftovers
}

@test "run: SIGINT (Ctrl-C) stops the app and leaves nothing behind" {
	local name
	name=$(fastapi_name)
	start_run "$name"
	wait_for 60 "/health of $name" health_ok || { show_run_output "$name"; false; }
	[[ -d $HUSK_STATE_ROOT/$name ]]

	stop_run INT
	show_run_output "$name"
	# uvicorn exits 0 after a graceful shutdown; run-fastapi.sh exits with its status
	[[ $RUN_STATUS -eq 0 ]]
	grep -q 'SIGINT: stopping container' "$BATS_TEST_TMPDIR/$name.out"
	grep -q 'Finished server process' "$BATS_TEST_TMPDIR/$name.out"
	run ! health_ok
	assert_no_leftovers
}

@test "teardown removes what a killed run left (husk and the script SIGKILLed)" {
	local name hpid
	name=$(fastapi_name)
	start_run "$name"
	wait_for 60 "/health of $name" health_ok || { show_run_output "$name"; false; }
	hpid=$(sed -n 's/.*"husk_pid":\([0-9]*\).*/\1/p' "$HUSK_STATE_ROOT/$name/state.json")
	[[ -n $hpid ]]
	# no trap can run; the app dies with husk (PR_SET_PDEATHSIG), its record, cgroups
	# and network stay until someone removes them (teardown here; the next husk run
	# would too, so do not insist on seeing them)
	kill -KILL "$RUN_PID" "$hpid"
	wait "$RUN_PID" || true
	wait_for 10 "the app to die with husk" eval '! health_ok'

	run -0 "$RUN_FASTAPI" teardown
	echo "$output"
	assert_no_leftovers
	run -0 "$RUN_FASTAPI" teardown
	[[ $output == *"nothing to remove"* ]]
}

@test "status: reports a running container and its health, 3 when there is none" {
	local name
	name=$(fastapi_name)
	run -3 "$RUN_FASTAPI" status --port "$FASTAPI_PORT"
	start_run "$name"
	wait_for 60 "/health of $name" health_ok || { show_run_output "$name"; false; }
	run -0 "$RUN_FASTAPI" status --port "$FASTAPI_PORT"
	echo "$output"
	[[ $output == *"$name: running"* ]]
	[[ $output == *"/health on port $FASTAPI_PORT: ok"* ]]
	stop_run TERM
	[[ $RUN_STATUS -eq 0 ]]
}

@test "copy rootfs (the tutorials' manual way) is built and serves /health" {
	local name dir=$BATS_TEST_TMPDIR/rootfs-copy
	run -0 "$BUILD_ROOTFS" "$dir" --method copy
	echo "$output"
	[[ $output =~ done\ in\ .*is\ [0-9.]+M ]]
	[[ -x $dir/usr/bin/python3 && -f $dir/.husk-rootfs ]]
	# nothing but Python and its libraries: no shell, no package manager
	[[ ! -e $dir/bin/sh && ! -e $dir/usr/bin/apt-get ]]

	name=$(fastapi_name)
	env --default-signal=INT "$RUN_FASTAPI" run --name "$name" --port "$FASTAPI_PORT" \
		--network "$FASTAPI_NETWORK" --rootfs "$dir" >"$BATS_TEST_TMPDIR/$name.out" 2>&1 3>&- </dev/null &
	RUN_PID=$!
	RUN_PIDS+=("$RUN_PID")
	wait_for 60 "/health of $name" health_ok || { show_run_output "$name"; false; }
	stop_run TERM
	[[ $RUN_STATUS -eq 0 ]]
	# the rootfs was not written to by the run (byte-compiled files came with it)
	run -0 find "$dir" -newer "$dir/.husk-rootfs" -type f
	[[ -z $output ]]
}

@test "app: reads its limits from cgroup v2, v1 and hybrid files, unknown without them" {
	/usr/bin/python3 -B - "$HUSK_SRC/app" "$BATS_TEST_TMPDIR/cg" <<'EOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import main

root = sys.argv[2]
def files(d, **kv):
    os.makedirs(d, exist_ok=True)
    for k, v in kv.items():
        with open(os.path.join(d, k.replace("_", ".", 1)), "w") as f:
            f.write(v + "\n")

# v2: one hierarchy; in a cgroup namespace our cgroup is its root
files(root + "/v2", memory_max="268435456", cpu_max="50000 100000", pids_max="max")
main.CGROUP_ROOT = root + "/v2"
main.own_cgroups = lambda: {"": "/"}
r = main.cgroup_limits()
assert (r["version"], r["memory_limit"], r["cpu_limit"], r["pids_limit"]) == \
    ("v2", "256M", 0.5, "unlimited"), r

# v1 (and hybrid: v1 controllers plus an empty v2 entry): one tree per controller
files(root + "/v1/memory", memory_limit_in_bytes="134217728")
files(root + "/v1/cpu", cpu_cfs_quota_us="-1", cpu_cfs_period_us="100000")
files(root + "/v1/pids", pids_max="64")
main.CGROUP_ROOT = root + "/v1"
main.own_cgroups = lambda: {"memory": "/", "cpu": "/", "cpuacct": "/", "pids": "/", "": "/"}
r = main.cgroup_limits()
assert (r["version"], r["memory_limit_bytes"], r["cpu_limit"], r["pids_limit"]) == \
    ("v1", 134217728, "unlimited", 64), r
files(root + "/v1/memory", memory_limit_in_bytes="9223372036854771712")
assert main.cgroup_limits()["memory_limit"] == "unlimited"

# nothing mounted
main.CGROUP_ROOT = root + "/none"
r = main.cgroup_limits()
assert (r["memory_limit"], r["cpu_limit"], r["pids_limit"]) == ("unknown",) * 3, r
print("ok")
EOF
}

@test "build-rootfs.sh: idempotent, refuses a directory it did not make" {
	local dir=$BATS_TEST_TMPDIR/bb
	run -0 "$BUILD_ROOTFS" "$dir" --method busybox
	[[ -x $dir/bin/busybox && -L $dir/bin/sh ]]
	[[ $(stat -c %a "$dir/tmp") == 1777 ]]
	grep -q '^nobody:x:65534:65534:' "$dir/etc/passwd"
	[[ -f $dir/etc/hosts && -f $dir/etc/resolv.conf && -d $dir/proc && -d $dir/dev ]]
	run -0 "$BUILD_ROOTFS" "$dir" --method busybox
	[[ $output == *"nothing to do"* ]]
	run -1 "$BUILD_ROOTFS" "$dir" --method copy
	[[ $output == *"use --force"* ]]
	mkdir "$BATS_TEST_TMPDIR/mine"
	touch "$BATS_TEST_TMPDIR/mine/precious"
	run -1 "$BUILD_ROOTFS" "$BATS_TEST_TMPDIR/mine" --method busybox
	[[ $output == *"refusing to touch it"* ]]
	[[ -f $BATS_TEST_TMPDIR/mine/precious ]]
	run -0 "$BUILD_ROOTFS" "$dir" --method busybox --tar "$BATS_TEST_TMPDIR/bb.tar.gz"
	tar -tzf "$BATS_TEST_TMPDIR/bb.tar.gz" | grep -qx './bin/busybox'
}

@test "shellcheck: every shell script of the project is clean" {
	command -v shellcheck >/dev/null || apt-get install -y -q shellcheck >/dev/null
	local f files=()
	while IFS= read -r f; do
		[[ -f $HUSK_SRC/$f ]] || continue
		if [[ $f == *.sh || $f == *.bash || $f == *.bats ]] ||
			head -n1 "$HUSK_SRC/$f" | grep -qE '^#!.*(/|env )(ba)?sh\b'; then
			files+=("$HUSK_SRC/$f")
		fi
	done < <(git -C "$HUSK_SRC" ls-files --cached --others --exclude-standard)
	((${#files[@]} > 3))
	printf '%s\n' "${files[@]}"
	run shellcheck -x "${files[@]}"
	echo "$output"
	[[ $status -eq 0 ]]
	# wait_for retries a command: a "$(...)" among its arguments is read once, at the
	# call, and the wait can never see the change it waits for
	run grep -nE '^[[:space:]]*wait_for [^'"'"']*"\$\(' "${files[@]}"
	echo "$output"
	[[ $status -eq 1 ]]
}
