#!/usr/bin/env bats
# process.bats — the container's command as a process: exit codes, signals, --init,
# volumes and tmpfs, environment, workdir, user, terminal, stdin, --log-file,
# --explain. Every container runs with --network none; teardown checks that nothing
# is left.

# shellcheck disable=SC2016 # the single-quoted scripts run in the container
# shellcheck disable=SC2154 # stderr, stderr_lines, output, status: set by bats' run

load helpers
load core_helpers
load busybox_suite

# ---------------------------------------------------------------------------------
# exit status

@test "the command's exit status is husk's (0 and 3)" {
	hrun "$R" true
	[ "$status" -eq 0 ]
	hrun "$R" sh -c 'exit 3'
	[ "$status" -eq 3 ]
	[ -z "$stderr" ]
}

@test "a command that does not exist exits 127 and names it" {
	hrun -127 "$R" /no/such/command
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "husk: "*"/no/such/command"* ]]
	hrun -127 "$R" no-such-command-in-path
	[[ $stderr == "husk: "*"no-such-command-in-path"* ]]
}

@test "a command that cannot be executed exits 126 and names it" {
	local root
	root=$(rootfs_copy)
	printf 'not a program\n' >"$root/not-exec"
	chmod 0644 "$root/not-exec"
	hrun "$root" /not-exec
	[ "$status" -eq 126 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "husk: "*"/not-exec"* ]]
	hrun "$root" /etc
	[ "$status" -eq 126 ]
	[[ $stderr == "husk: "*"/etc"* ]]
}

@test "a command that dies of signal N exits 128+N (--init passes it on)" {
	hrun --init "$R" sh -c 'kill -USR1 $$'
	[ "$status" -eq $((128 + 10)) ]
	hrun --init "$R" sh -c 'kill -SEGV $$'
	[ "$status" -eq $((128 + 11)) ]
}

# ---------------------------------------------------------------------------------
# signals

@test "SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to husk reach a trap in the container" {
	local sig n
	for sig in TERM INT HUP QUIT USR1 USR2; do
		n=$(cname "sig$sig")
		start "$n" "$R" sh -c "trap 'echo got $sig; exit 42' $sig; echo ready; while :; do sleep 1 & wait \$!; done"
		wait_output "$BATS_TEST_TMPDIR/$n.out" ready
		kill "-$sig" "$BG_PID"
		bg_wait "$BG_PID"
		[[ $BG_STATUS -eq 42 ]] || fail "SIG$sig: husk exited $BG_STATUS, expected 42"
		grep -qx "got $sig" "$BATS_TEST_TMPDIR/$n.out" || fail "SIG$sig: the trap did not run"
	done
}

@test "sleep as PID 1 ignores SIGTERM: husk SIGKILLs it after --stop-timeout 1" {
	local n t0 t1 ms
	n=$(cname stop)
	start "$n" --stop-timeout 1 "$R" sleep 60
	t0=$(date +%s%N)
	kill -TERM "$BG_PID"
	bg_wait "$BG_PID"
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	echo "stopped after $ms ms"
	[ "$BG_STATUS" -eq 137 ]
	[ "$ms" -ge 900 ]
	[ "$ms" -lt 4000 ]
}

@test "SIGINT (Ctrl-C) also ends a PID 1 that ignores it, after --stop-timeout" {
	local n
	n=$(cname int)
	start "$n" --stop-timeout 1 "$R" sleep 60
	kill -INT "$BG_PID"
	wait_for 5 "husk to end after SIGINT" eval "! kill -0 $BG_PID 2>/dev/null"
	bg_wait "$BG_PID"
	[ "$BG_STATUS" -eq 137 ]
}

@test "--init is PID 1, forwards signals to the command and passes on its status" {
	local n
	n=$(cname init)
	start "$n" --init "$R" sh -c 'trap "echo got TERM; exit 42" TERM; ps -o pid,comm; echo ready; while :; do sleep 1 & wait $!; done'
	wait_output "$BATS_TEST_TMPDIR/$n.out" ready
	# PID 1 is husk's init (its comm names husk), the command is PID 2
	grep -Eq '^ *1 +[^ ]*husk' "$BATS_TEST_TMPDIR/$n.out"
	grep -Eq '^ *2 +sh' "$BATS_TEST_TMPDIR/$n.out"
	kill -TERM "$BG_PID"
	bg_wait "$BG_PID"
	[ "$BG_STATUS" -eq 42 ]
	grep -qx 'got TERM' "$BATS_TEST_TMPDIR/$n.out"
}

@test "--init reaps orphaned zombies" {
	# each (sleep &) leaves an orphan that is re-parented to PID 1 and exits at once
	hrun --init "$R" sh -c 'for i in 1 2 3 4 5; do (sleep 0.1 &); done; sleep 1; ps -o stat,comm'
	[ "$status" -eq 0 ]
	[[ $output != *Z* ]] || fail "zombies left: $output"
	# the orphans were re-parented to husk's init, not to sh (PID 2): only init reaps them
	[ "$(grep -c sleep <<<"$output")" -eq 0 ]
}

# ---------------------------------------------------------------------------------
# volumes and tmpfs

# volume_fixture: sets root (a rootfs copy with an empty /data) and vol (a host
# directory holding a file `in`) for the -v tests
volume_fixture() {
	root=$(rootfs_copy)
	mkdir "$root/data"
	vol=$BATS_TEST_TMPDIR/vol
	mkdir "$vol"
	echo from-host >"$vol/in"
}

@test "-v HOST:CTR is a read-write bind mount" {
	local root vol
	volume_fixture
	hrun -v "$vol:/data" "$root" sh -c 'cat /data/in; echo from-container >/data/out'
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$vol/out")" = from-container ]
	# the rootfs's own /data was not written
	[ -z "$(ls -A "$root/data")" ]
}

@test "-v HOST:CTR:ro refuses writes" {
	local root vol
	volume_fixture
	hrun -v "$vol:/data:ro" "$root" sh -c 'cat /data/in; if echo x >/data/out; then echo WROTE; fi'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[[ $output != *WROTE* ]]
	[[ $stderr == *"Read-only file system"* ]]
	[ ! -e "$vol/out" ]
}

@test "--tmpfs CTR:size=1m mounts a 1M tmpfs; nothing reaches the rootfs" {
	local root
	root=$(rootfs_copy)
	mkdir "$root/scratch"
	hrun --tmpfs /scratch:size=1m "$root" sh -c 'cat /proc/self/mountinfo
		echo small >/scratch/small && echo small-ok
		if dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>/dev/null; then echo BIG-FIT; fi'
	[ "$status" -eq 0 ]
	[ "$(mountinfo_field /scratch fstype <<<"$output")" = tmpfs ]
	has_opt "$(mountinfo_field /scratch super <<<"$output")" size=1024k
	[[ $output == *small-ok* ]]
	[[ $output != *BIG-FIT* ]]
	[ -z "$(ls -A "$root/scratch")" ]
}

# ---------------------------------------------------------------------------------
# process: environment, workdir, user, terminal, stdin

@test "-e KEY=VAL, -e KEY (husk's value), --env-file, and the defaults PATH, HOSTNAME, HOME" {
	local n envf
	n=$(cname env)
	envf=$BATS_TEST_TMPDIR/env
	printf '# a comment\n\nFROM_FILE=file value\nWITH_EQ=a=b\n' >"$envf"
	HUSK_TEST_COPIED=copied HUSK_TEST_HOST_ONLY=leak run --separate-stderr "$HUSK" run --network none \
		--name "$n" -e GREETING=hello -e HUSK_TEST_COPIED --env-file "$envf" "$R" env
	[ "$status" -eq 0 ]
	local env=$output
	grep -qx 'GREETING=hello' <<<"$env"
	grep -qx 'HUSK_TEST_COPIED=copied' <<<"$env"
	grep -qx 'FROM_FILE=file value' <<<"$env"
	grep -qx 'WITH_EQ=a=b' <<<"$env"
	grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' <<<"$env"
	grep -qx "HOSTNAME=$n" <<<"$env"
	grep -qx 'HOME=/root' <<<"$env"
	# nothing of husk's own environment leaks in unless asked
	not grep -q HUSK_TEST_HOST_ONLY <<<"$env"
	not grep -q '^BATS_' <<<"$env"
}

@test "-w DIR sets the working directory" {
	hrun -w /etc "$R" pwd
	[ "$status" -eq 0 ]
	[ "$output" = /etc ]
}

@test "-u NAME is resolved from ROOTFS's /etc/passwd and /etc/group, not the host's" {
	local root
	root=$(rootfs_copy)
	echo 'alice:x:1234:2345:Alice:/home/alice:/bin/sh' >>"$root/etc/passwd"
	printf 'devs:x:2345:\nextra:x:3456:alice\n' >>"$root/etc/group"
	mkdir -p "$root/home/alice"
	hrun -u alice "$root" sh -c 'id -u; id -g; id -G; echo $HOME'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1234 ]
	[ "${lines[1]}" = 2345 ]
	[[ " ${lines[2]} " == *" 3456 "* ]]
	[ "${lines[3]}" = /home/alice ]
	hrun -u alice:extra "$root" id -g
	[ "$status" -eq 0 ]
	[ "$output" = 3456 ]
	# "daemon" exists on the host, not in this rootfs
	grep -q '^daemon:' /etc/passwd || skip "the host has no user daemon"
	expect_bad daemon run --network none -u daemon "$root" id
}

@test "-u UID:GID works with numeric ids that have no passwd entry" {
	hrun -u 4321:8765 "$R" sh -c 'id -u; id -g'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 4321 ]
	[ "${lines[1]}" = 8765 ]
	hrun -u 65534 "$R" id -un
	[ "$status" -eq 0 ]
	[ "$output" = nobody ]
}

@test "-t gives the container a terminal (tty prints /dev/pts/0)" {
	# script(1) gives husk a terminal of its own, as an interactive user would have
	run script -qec "$HUSK run --network none -t $R sh -c 'tty; test -t 0 && test -t 1 && echo both-ttys'" /dev/null </dev/null
	[ "$status" -eq 0 ]
	output=${output//$'\r'/}
	[[ $output == *"/dev/pts/0"* ]]
	[[ $output == *both-ttys* ]]
	# without -t there is none
	hrun "$R" tty
	[ "$status" -ne 0 ]
	[[ $output == *"not a tty"* ]]
}

@test "-t passes the exit status and the window size through" {
	run script -qec "stty rows 33 cols 111; $HUSK run --network none -t $R sh -c 'stty size; exit 5'" /dev/null </dev/null
	[ "$status" -eq 5 ]
	[[ ${output//$'\r'/} == *"33 111"* ]]
}

@test "-i keeps stdin open; without it the container's stdin is empty" {
	run --separate-stderr bash -c "echo piped | '$HUSK' run --network none -i '$R' cat"
	[ "$status" -eq 0 ]
	[ "$output" = piped ]
	run --separate-stderr bash -c "echo piped | '$HUSK' run --network none '$R' cat"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "--log-file copies stdout and stderr to the file, and still shows them" {
	local log=$BATS_TEST_TMPDIR/ctr.log
	hrun --log-file "$log" "$R" sh -c 'echo to-stdout; echo to-stderr >&2'
	[ "$status" -eq 0 ]
	[ "$output" = to-stdout ]
	[ "$stderr" = to-stderr ]
	grep -qx to-stdout "$log"
	grep -qx to-stderr "$log"
}

@test "--explain prints each step as a shell command with its duration" {
	hrun --explain --memory 64M "$R" true
	[ "$status" -eq 0 ]
	[[ $stderr == *"pivot_root"* ]]
	[[ $stderr == *"mount -t proc"* ]]
	# joining the cgroup: PID 1 writing 0 into each v1 hierarchy's tasks, or
	# clone3(CLONE_INTO_CGROUP) on v2
	[[ $stderr == *"echo 0 > /sys/fs/cgroup/memory/"*"/tasks"* || $stderr == *"CLONE_INTO_CGROUP"* ]]
	[[ $stderr == *"unshare"* ]]
	[[ $stderr == *"hostname"* ]]
	grep -Eq '^husk: \[ *[0-9]+ us\] ' <<<"$stderr"
	# and it costs nothing when off
	hrun --memory 64M "$R" true
	[ -z "$stderr" ]
}
