#!/usr/bin/env bats
# cleanup.bats — nothing of a container outlives it: husk SIGKILLed mid-run (its
# container dies with it, the next husk removes the cgroup and state left), stale
# state next to live containers, failures during setup inside the container, many
# husks at once. teardown checks the host after every test.

# shellcheck disable=SC2016 # the single-quoted scripts run in the container
# shellcheck disable=SC2154 # stderr, stderr_lines, output, status: set by bats' run
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load helpers
load busybox_suite

# every PID given is gone
all_gone() {
	local p
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}

# cgroup directories of NAME in the hierarchies husk uses
cgroup_dirs() {
	if [[ $(cgroup_mode) == v2 ]]; then
		cgroup_dir memory "$1"
	else
		cgroup_dir memory "$1"
		cgroup_dir pids "$1"
		cgroup_dir cpu "$1"
	fi
}

# nothing of NAME: no state directory, no cgroup directory
nothing_of() {
	local d
	[[ ! -e ${2:-$HUSK_STATE_ROOT}/$1 ]] || { echo "state of $1 left" >&2; return 1; }
	for d in $(cgroup_dirs "$1"); do
		[[ ! -e $d ]] || { echo "cgroup $d left" >&2; return 1; }
	done
}

# crash NAME HUSK-RUN-ARGS...: starts a container whose PID 1 has two children,
# SIGKILLs husk once they run, and sets PIDS to the container's processes.
crash() {
	local n=$1
	shift
	husk_bg "$n" run --network none --name "$n" "$@" "$R" sh -c 'sleep 1000 & sleep 1000 & echo ready; wait'
	wait_running "$n"
	wait_output "$BATS_TEST_TMPDIR/$n.out" ready
	PIDS=$(cat "$(cgroup_dir pids "$n")/cgroup.procs")
	[[ $(wc -w <<<"$PIDS") -ge 3 ]] || fail "expected 3 processes in the container, got: $PIDS"
	kill -KILL "$BG_PID"
	bg_wait "$BG_PID"
	[[ $BG_STATUS -eq 137 ]] || fail "husk exited $BG_STATUS, not killed"
}

@test "husk SIGKILLed mid-run: the container's processes die with it" {
	local n
	n=$(cname crash)
	crash "$n"
	# shellcheck disable=SC2086 # a list of PIDs
	wait_for 5 "the container's processes ($PIDS) to die" all_gone $PIDS
	# the next husk cleans what the dead one left
	run "$HUSK" run --network none --name "$(cname next)" "$R" true
	[ "$status" -eq 0 ]
	nothing_of "$n"
}

@test "husk SIGKILLed with --init: init, command and grandchildren die with it" {
	local n
	n=$(cname crashinit)
	crash "$n" --init
	# shellcheck disable=SC2086
	wait_for 5 "the container's processes ($PIDS) to die" all_gone $PIDS
	run "$HUSK" run --network none --name "$(cname next)" "$R" true
	[ "$status" -eq 0 ]
	nothing_of "$n"
}

@test "husk SIGKILLed while its container is stopped (SIGSTOP): the container still dies" {
	local n pid
	n=$(cname frozen)
	husk_bg "$n" run --network none --name "$n" "$R" sh -c "$SLEEPER"
	wait_running "$n"
	pid=$(container_pid "$n")
	kill -STOP "$pid"
	wait_for 5 "PID $pid to stop" grep -q '^State:.*T (stopped)' "/proc/$pid/status"
	kill -KILL "$BG_PID"
	bg_wait "$BG_PID"
	wait_for 5 "the stopped container ($pid) to die" all_gone "$pid"
	run "$HUSK" run --network none --name "$(cname next)" "$R" true
	[ "$status" -eq 0 ]
	nothing_of "$n"
}

@test "after a crash the name can be used again at once" {
	local n
	n=$(cname reuse)
	crash "$n"
	run --separate-stderr "$HUSK" run --network none --name "$n" "$R" echo second
	[ "$status" -eq 0 ]
	[ "$output" = second ]
	nothing_of "$n"
}

@test "stale state with no live owner is removed by the next husk; a live container's is kept" {
	local live stale d
	live=$(cname live)
	stale=$(cname stale)
	husk_bg "$live" run --network none --name "$live" "$R" sh -c "$SLEEPER"
	local live_pid=$BG_PID
	wait_running "$live"
	# what a husk killed before it could clean up leaves: empty cgroup directories
	# and a state directory whose lock nobody holds. The state goes last and appears
	# at once (made under a dot name, which husk ignores, then renamed): another husk
	# on this machine may sweep it as soon as it exists, cgroups included.
	for d in $(cgroup_dirs "$stale"); do
		mkdir -p "$d"
	done
	mkdir -p "$HUSK_STATE_ROOT/.$stale"
	printf '{"name":"%s","pid":999999,"status":"running"}\n' "$stale" >"$HUSK_STATE_ROOT/.$stale/state.json"
	: >"$HUSK_STATE_ROOT/.$stale/lock"
	mv "$HUSK_STATE_ROOT/.$stale" "$HUSK_STATE_ROOT/$stale"
	run "$HUSK" run --network none --name "$(cname next)" "$R" true
	[ "$status" -eq 0 ]
	nothing_of "$stale"
	# the live one is untouched and still works
	kill -0 "$live_pid"
	state_running "$live"
	for d in $(cgroup_dirs "$live"); do
		[ -d "$d" ] || fail "cgroup $d of the running container was removed"
	done
	grep -q "$(container_pid "$live")" "$(cgroup_dir pids "$live")/cgroup.procs"
	kill -TERM "$live_pid"
	bg_wait "$live_pid"
	[ "$BG_STATUS" -eq 0 ]
}

@test "the next husk passes a kept exited record without reading it (a start is not O(kept containers))" {
	local i k kept=()
	for i in 1 2 3; do
		k=$(cname kept)
		kept+=("$k")
		run -0 "$HUSK" run -d --name "$k" --network none "$R" true
	done
	for k in "${kept[@]}"; do
		wait_for 10 "$k exited and cleaned" test -e "$HUSK_STATE_ROOT/$k/cleaned"
	done
	# the scan of the state root is husk's own, before the container's process exists
	strace -qq -e trace=open,openat -o "$BATS_TEST_TMPDIR/trace" \
		"$HUSK" run --rm --network none "$R" true
	grep -q "$HUSK_STATE_ROOT/${kept[0]}/lock" "$BATS_TEST_TMPDIR/trace" ||
		fail "the trace shows no scan of the state root"
	! grep "$HUSK_STATE_ROOT/hkt-kept-.*/state.json" "$BATS_TEST_TMPDIR/trace" || false
	# they are still listed, and husk rm takes them
	run -0 "$HUSK" ps -a
	local listed=$output
	for k in "${kept[@]}"; do
		[[ $listed == *"$k exited"* || $listed == *"$k "*"exited (0)"* ]]
		run -0 "$HUSK" rm "$k"
	done
}

@test "--root DIR: a crashed container's state under DIR is removed by the next husk using DIR" {
	local n root=$BATS_TEST_TMPDIR/state
	n=$(cname root)
	husk_bg "$n" --root "$root" run --network none --name "$n" "$R" sh -c "$SLEEPER"
	wait_for 10 "state under $root" grep -q '"status":"running"' "$root/$n/state.json"
	wait_output "$BATS_TEST_TMPDIR/$n.out" ready
	[ ! -e "$HUSK_STATE_ROOT/$n" ]
	kill -KILL "$BG_PID"
	bg_wait "$BG_PID"
	run "$HUSK" --root "$root" run --network none --name "$(cname next)" "$R" true
	[ "$status" -eq 0 ]
	nothing_of "$n" "$root"
}

# a setup step that fails inside the container, after the cgroup, the state and the
# namespaces exist: one line naming the path, 125, and nothing left (teardown)
expect_setup_failure() {
	local value=$1
	shift
	run --separate-stderr "$HUSK" run --network none --name "$(cname fail)" "$@"
	[[ $status -eq 125 ]] || fail "husk run $*: expected 125, got $status; stderr: $stderr"
	[[ ${#stderr_lines[@]} -eq 1 ]] || fail "husk run $*: expected one line, got: $stderr"
	[[ $stderr == "husk: "*"$value"* ]] || fail "husk run $*: the line does not name $value: $stderr"
}

@test "a setup step failing inside the container: one line, 125, nothing left" {
	local root
	root=$(rootfs_copy)
	mkdir "$BATS_TEST_TMPDIR/vol"
	# workdir that is a file
	expect_setup_failure /etc/passwd -w /etc/passwd "$root" true
	# a volume onto a file of the rootfs
	expect_setup_failure /etc/passwd -v "$BATS_TEST_TMPDIR/vol:/etc/passwd" "$root" true
	# a tmpfs onto a file of the rootfs
	expect_setup_failure /etc/group --tmpfs /etc/group "$root" true
}

@test "ten husks started at once all run and leave nothing" {
	local i pids=() n st fails=0
	for i in $(seq 1 10); do
		n=$(cname "par$i")
		"$HUSK" run --network none --name "$n" --memory 32M --pids-limit 20 "$R" sh -c "echo $i" \
			>"$BATS_TEST_TMPDIR/par$i.out" 2>"$BATS_TEST_TMPDIR/par$i.err" 3>&- &
		pids+=($!)
	done
	for i in $(seq 1 10); do
		st=0
		wait "${pids[$((i - 1))]}" || st=$?
		if [[ $st -ne 0 || $(cat "$BATS_TEST_TMPDIR/par$i.out") != "$i" ]]; then
			echo "husk $i exited $st: $(cat "$BATS_TEST_TMPDIR/par$i.err")" >&2
			fails=$((fails + 1))
		fi
	done
	[ "$fails" -eq 0 ]
}
