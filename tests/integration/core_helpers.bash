# core_helpers.bash — what core.bats and process.bats share: hrun (husk run --network
# none with bats' run), start/stop of a background container, expect_bad, mountinfo
# fields. Loaded after helpers.bash.
# shellcheck shell=bash
# shellcheck disable=SC2154 # stderr, stderr_lines, output, status: set by bats' run

# hrun ARGS...: `husk run --network none ARGS...` with bats' run (stdout in $output,
# stderr in $stderr).
# Without --name in ARGS, it adds a cname so that the leftover check is strict.
# hrun -N ARGS... expects exit status N (bats' run -N).
hrun() {
	local a named=0 expect=()
	if [[ ${1:-} =~ ^-[0-9]+$ ]]; then
		expect=("$1")
		shift
	fi
	for a in "$@"; do
		[[ $a == --name || $a == --name=* ]] && named=1
	done
	if ((named)); then
		run "${expect[@]}" --separate-stderr "$HUSK" run --network none "$@"
	else
		run "${expect[@]}" --separate-stderr "$HUSK" run --network none --name "$(cname)" "$@"
	fi
}

# start NAME HUSK-RUN-ARGS...: a container in the background, waited for until its
# command runs; BG_PID is husk's PID.
start() {
	local name=$1
	shift
	husk_bg "$name" run --network none --name "$name" "$@"
	wait_running "$name"
}

# stop: SIGTERM to the background husk (reaching SLEEPER's trap); expects status 0.
stop() {
	kill -TERM "$BG_PID"
	bg_wait "$BG_PID"
	[[ $BG_STATUS -eq 0 ]] || fail "husk exited $BG_STATUS after SIGTERM: $(cat "$BATS_TEST_TMPDIR"/*.err)"
}

# expect_bad VALUE HUSK-ARGS...: husk refuses with 125 and one stderr line that
# starts with "husk: " and names VALUE; nothing on stdout, no state created.
expect_bad() {
	local value=$1
	shift
	run --separate-stderr "$HUSK" "$@"
	[[ $status -eq 125 ]] || fail "husk $*: expected exit 125, got $status; stderr: $stderr"
	[[ -z $output ]] || fail "husk $*: unexpected stdout: $output"
	[[ ${#stderr_lines[@]} -eq 1 ]] || fail "husk $*: expected one line on stderr, got: $stderr"
	[[ $stderr == "husk: "* ]] || fail "husk $*: stderr does not start with 'husk: ': $stderr"
	[[ $stderr == *"$value"* ]] || fail "husk $*: stderr does not name '$value': $stderr"
}

# mountinfo_field MOUNTPOINT FIELD <mountinfo: mount options (opts), super options
# (super), filesystem type (fstype) or device (dev) of the last mount at MOUNTPOINT.
mountinfo_field() {
	awk -v m="$1" -v f="$2" '$5 == m {
		for (i = 7; $i != "-"; i++) ;
		if (f == "opts") v = $6; else if (f == "fstype") v = $(i + 1);
		else if (f == "super") v = $(i + 3); else if (f == "dev") v = $3
	} END { print v }'
}

has_opt() { [[ ,$1, == *",$2,"* ]]; }

# not CMD...: fails if CMD succeeds (a bare `! CMD` never fails a bats test).
not() {
	if "$@"; then
		fail "unexpectedly succeeded: $*"
	fi
}
