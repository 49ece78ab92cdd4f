#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2154,SC2317  # single quotes are for the container's shell; bats sets $stderr; helpers are called through wait_for
# Detached containers and their lifecycle: run -d (the monitor), ps, logs, stop, kill,
# rm, inspect, exec, stats; --rm, --restart; a monitor killed; many husks at once.
# Every test ends with nothing of husk left on the host (teardown checks).

load helpers

setup() {
	husk_setup
	ROOTFS=$(rootfs_busybox)
}

teardown() {
	local rc=0 n
	husk_teardown || rc=$?
	# what a failed test left: removed, so that the next test starts clean
	if [[ -s $BATS_TEST_TMPDIR/.husk-names ]]; then
		while read -r n; do
			"$HUSK" rm -f "$n" >/dev/null 2>&1 || true
		done <"$BATS_TEST_TMPDIR/.husk-names"
	fi
	return "$rc"
}

# run_d NAME ARGS... : husk run -d --network none --name NAME ARGS..., must succeed
run_d() {
	local name=$1
	shift
	run -0 "$HUSK" run -d --network none --name "$name" "$@"
	[[ $output == "$name" ]]
}

field() { # field NAME JQ-EXPR: from husk inspect
	"$HUSK" inspect "$1" | jq -r ".[0]$2"
}

status_is() { [[ $(field "$1" .state.status) == "$2" ]]; }
gone() { [[ ! -e $HUSK_STATE_ROOT/$1 ]]; }
log_has() { "$HUSK" logs "$1" 2>/dev/null | grep -q -- "$2"; }
log_count() { "$HUSK" logs "$1" | grep -c -- "$2" || true; }

@test "run -d prints the name once the container runs; ps, logs, stop, rm" {
	local n
	n=$(cname d)
	run_d "$n" "$ROOTFS" sh -c 'echo hello out; echo hello err >&2; exec sleep 1000'
	# returned only once PID 1 runs: the record says so already
	state_running "$n"
	pid=$(container_pid "$n")
	[[ -d /proc/$pid ]]
	run -0 "$HUSK" ps
	[[ $output == *NAME*PID*STATUS*CREATED*COMMAND*ROOTFS*PORTS* ]]
	line=$(grep -- "$n" <<<"$output")
	[[ $line == *" $pid "*running*"sleep 1000"*"$ROOTFS"* || $line == *" $pid "*running*"$ROOTFS"* ]]
	wait_for 10 "the output in the log" log_has "$n" "hello err"
	run -0 "$HUSK" logs "$n"
	[[ $output == *"hello out"* && $output == *"hello err"* ]]
	run -0 "$HUSK" stop -t 1 "$n"
	[[ $output == "$n" ]]
	! [[ -d /proc/$pid ]] || [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]]
	# the stopped container is kept, with its exit status, until rm
	run -0 "$HUSK" ps -a
	[[ $(grep -- "$n" <<<"$output") == *"exited (137)"* ]]
	run -0 "$HUSK" ps
	[[ $output != *"$n"* ]]
	run -0 "$HUSK" rm "$n"
	[[ $output == "$n" ]]
	gone "$n"
}

@test "a stopped container keeps its exit code in ps -a and inspect" {
	local n
	n=$(cname x)
	run_d "$n" -m 64M "$ROOTFS" sh -c 'exit 3'
	wait_for 10 "$n to exit" status_is "$n" exited
	run -0 "$HUSK" ps -a
	[[ $(grep -- "$n" <<<"$output") == *"exited (3)"*ago* ]]
	run -0 "$HUSK" ps -a --format json
	[[ $(jq -r ".[] | select(.name == \"$n\") | .exit_code" <<<"$output") == 3 ]]
	run -0 "$HUSK" inspect "$n"
	jq -e '.[0].state.exit_code == 3 and .[0].state.running == false and
	       .[0].state.oom_killed == false and .[0].limits.memory == 67108864 and
	       .[0].state.finished_at != null and (.[0].cgroup | length) > 0 and
	       .[0].network.mode == "none" and .[0].config.command == ["sh", "-c", "exit 3"]' <<<"$output"
	# the cgroups are gone although the record stays
	[[ ! -e $(cgroup_dir memory "$n") ]]
	run -0 "$HUSK" rm "$n"
	gone "$n"
}

@test "run -d that cannot start: one line, its exit code, nothing left" {
	local n
	n=$(cname f)
	run -127 "$HUSK" run -d --network none --name "$n" "$ROOTFS" /no/such/command
	[[ ${#lines[@]} -eq 1 && ${lines[0]} == "husk: "*"/no/such/command"* ]]
	gone "$n"
	run -125 "$HUSK" run -d --network none --restart sometimes "$ROOTFS" true
	[[ $output == "husk: invalid --restart 'sometimes'"* ]]
	run -125 "$HUSK" run -d --rm --restart always --network none "$ROOTFS" true
	[[ $output == "husk: invalid --restart with --rm"* ]]
	run_d "$n" "$ROOTFS" sleep 1000
	run -125 "$HUSK" run -d --network none --name "$n" "$ROOTFS" true
	[[ $output == *"a container with that name exists"* ]]
	run -0 "$HUSK" rm -f "$n"
	gone "$n"
}

@test "ten detached containers: listed by ps, all stopped by one stop" {
	local names=() n i
	for i in $(seq 10); do
		n=$(cname ten)
		names+=("$n")
		run_d "$n" --init "$ROOTFS" sleep 1000
	done
	run -0 "$HUSK" ps --format json
	for n in "${names[@]}"; do
		jq -e ".[] | select(.name == \"$n\" and .state == \"running\" and .pid > 0)" <<<"$output" >/dev/null
	done
	# --init passes SIGTERM on: all ten stop at once, well before any grace period ends
	start=$(date +%s%N)
	run -0 "$HUSK" stop "${names[@]}"
	((($(date +%s%N) - start) / 1000000 < 5000))
	[[ ${#lines[@]} -eq 10 ]]
	for n in "${names[@]}"; do
		[[ $(field "$n" .state.status) == exited && $(field "$n" .state.exit_code) == 143 ]]
	done
	run -0 "$HUSK" rm "${names[@]}"
	for n in "${names[@]}"; do gone "$n"; done
}

@test "exec sees the container's PID 1 and hostname, not the host" {
	local n
	n=$(cname e)
	echo secret >"$BATS_TEST_TMPDIR/host-only"
	run_d "$n" --hostname inside --cap-drop NET_RAW "$ROOTFS" sh -c 'exec sleep 1000'
	# the same security profile as the container's process: capabilities, seccomp
	profile="Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp:"
	run -0 "$HUSK" exec "$n" grep -E "$profile" /proc/self/status
	[[ $output == "$(grep -E "$profile" "/proc/$(container_pid "$n")/status")" ]]
	run -0 "$HUSK" exec "$n" sh -c "tr '\\0' ' ' </proc/1/cmdline"
	[[ $output == "sleep 1000 " ]]
	run -0 "$HUSK" exec "$n" hostname
	[[ $output == inside ]]
	run -0 "$HUSK" exec "$n" sh -c 'ps -o pid,comm | wc -l'
	((output <= 5)) # the header, sleep, sh, ps, wc: no host process
	run -1 "$HUSK" exec "$n" test -e "$BATS_TEST_TMPDIR/host-only"
	run -0 "$HUSK" exec -u 1000:1000 -w /tmp -e FOO=bar "$n" sh -c 'echo $(id -u) $(pwd) $FOO $HOSTNAME'
	[[ $output == "1000 /tmp bar inside" ]]
	run -7 "$HUSK" exec "$n" sh -c 'exit 7'
	run -127 "$HUSK" exec "$n" no-such-command
	[[ $output == "husk: command not found: 'no-such-command'"* ]]
	run -0 "$HUSK" stop -t 0 "$n"
	run -1 "$HUSK" exec "$n" true
	[[ ${#lines[@]} -eq 1 && $output == "husk: container $n is not running"* ]]
	run -0 "$HUSK" rm "$n"
}

@test "exec joins the container's cgroup and cgroup namespace" {
	local n dir
	n=$(cname g)
	run_d "$n" "$ROOTFS" sh -c 'exec sleep 1000'
	# at the root of every hierarchy of its cgroup namespace: the container's cgroup
	run -0 "$HUSK" exec "$n" cat /proc/self/cgroup
	! grep -qv ':/$' <<<"$output" || false
	dir=$(cgroup_dir pids "$n")
	husk_bg ex exec "$n" sleep 1000
	two() { [[ $(wc -l <"$dir/cgroup.procs") -eq 2 ]]; }
	wait_for 10 "the exec'd process in $dir" two
	run -0 "$HUSK" rm -f "$n"
	gone "$n"
	# the exec'd process ended with the container
	wait_for 10 "husk exec to end" eval "! kill -0 $BG_PID 2>/dev/null"
	bg_wait "$BG_PID"
	((BG_STATUS == 137))
}

@test "logs -f follows new lines until the container ends; --tail" {
	local n ctl
	n=$(cname l)
	ctl=$BATS_TEST_TMPDIR/ctl
	mkdir "$ctl"
	run_d "$n" -v "$ctl:/ctl" "$ROOTFS" sh -c \
		'for i in 1 2 3 4 5; do echo line $i; done
		 while [ ! -e /ctl/go ]; do sleep 0.05; done
		 echo after go; exit 0'
	wait_for 10 "the first lines" log_has "$n" "line 5"
	run -0 "$HUSK" logs --tail 2 "$n"
	[[ $output == $'line 4\nline 5' ]]
	run -0 "$HUSK" logs -n 0 "$n"
	[[ -z $output ]]
	husk_bg follow logs -f --tail 1 "$n"
	wait_output "$BATS_TEST_TMPDIR/follow.out" "line 5"
	! grep -q "line 4" "$BATS_TEST_TMPDIR/follow.out" || false
	touch "$ctl/go"
	wait_output "$BATS_TEST_TMPDIR/follow.out" "after go"
	# the monitor ends with the container, and logs -f with it
	wait_for 10 "logs -f to end" eval "! kill -0 $BG_PID 2>/dev/null"
	bg_wait "$BG_PID"
	((BG_STATUS == 0))
	run -0 "$HUSK" rm "$n"
}

@test "the log is capped: --log-opt max-size rotates it" {
	local n
	n=$(cname c)
	run_d "$n" --log-opt max-size=8k "$ROOTFS" sh -c \
		'i=0; while [ $i -lt 400 ]; do echo "line $i ........................................"; i=$((i+1)); done'
	wait_for 10 "$n to exit" status_is "$n" exited
	size=$(stat -c %s "$HUSK_STATE_ROOT/$n/container.log")
	old=$(stat -c %s "$HUSK_STATE_ROOT/$n/container.log.1")
	((size <= 8192 && old <= 8192 && old > 4096))
	run -0 "$HUSK" logs --tail 1 "$n"
	[[ $output == "line 399 "* ]]
	run -0 "$HUSK" rm "$n"
}

@test "stats shows memory rising under a growing allocation" {
	local n
	n=$(cname s)
	run_d "$n" -m 256M --tmpfs /grow "$ROOTFS" sh -c \
		'i=0; while [ $i -lt 60 ]; do dd if=/dev/zero of=/grow/f$i bs=1M count=2 2>/dev/null; i=$((i+1)); sleep 0.05; done; exec sleep 1000'
	run -0 "$HUSK" stats --no-stream "$n"
	[[ ${lines[0]} == *NAME*"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"NET I/O"*PIDS* ]]
	[[ ${lines[1]} == "$n "*"/ 256MiB"* ]]
	first=$("$HUSK" stats --no-stream --format json "$n" | jq '.[0].memory_usage')
	mem_grew() {
		local now
		now=$("$HUSK" stats --no-stream --format json "$n" | jq '.[0].memory_usage')
		((now > first + 16 * 1024 * 1024))
	}
	wait_for 20 "memory to rise by 16 MiB" mem_grew
	run -0 "$HUSK" stats --no-stream --format json "$n"
	jq -e '.[0].memory_limit == 268435456 and .[0].pids >= 1 and .[0].running' <<<"$output"
	run -0 "$HUSK" rm -f "$n"
}

@test "--rm leaves nothing once the container ends" {
	local n
	n=$(cname rm)
	run_d "$n" --rm "$ROOTFS" sh -c 'echo bye'
	wait_for 10 "$n to be removed" gone "$n"
	assert_no_leftovers
	run -1 "$HUSK" logs "$n"
	[[ $output == "husk: no such container: $n" ]]
}

@test "--restart on-failure:2 restarts exactly twice" {
	local n
	n=$(cname r)
	run_d "$n" --restart on-failure:2 "$ROOTFS" sh -c 'echo started; exit 1'
	wait_for 20 "$n to give up" status_is "$n" exited
	[[ $(log_count "$n" started) == 3 ]]
	[[ $(field "$n" .state.restart_count) == 2 && $(field "$n" .state.exit_code) == 1 ]]
	[[ $(field "$n" .state.restart_policy) == on-failure:2 ]]
	run -0 "$HUSK" rm "$n"
}

@test "--restart always: restarts until stop ends it for good" {
	local n
	n=$(cname ra)
	run_d "$n" --restart always "$ROOTFS" sh -c 'echo up; exec sleep 0.2'
	twice() { [[ $(log_count "$n" up) -ge 2 ]]; }
	wait_for 10 "a restart" twice
	# running or in its back-off: either way stop ends it, and no restart follows
	run -0 "$HUSK" stop "$n"
	[[ $(field "$n" .state.status) == exited ]]
	runs=$(log_count "$n" up)
	[[ $(field "$n" .state.restart_count) -ge 1 ]]
	run -0 "$HUSK" ps -a
	[[ $(grep -- "$n" <<<"$output") == *exited* ]]
	[[ $(log_count "$n" up) == "$runs" ]]
	run -0 "$HUSK" rm "$n"
}

@test "kill: signal names and numbers; bad signal; not running" {
	local n
	n=$(cname k)
	run_d "$n" "$ROOTFS" sh -c 'trap "echo got usr1" USR1; trap "echo got hup" HUP; echo ready; while :; do sleep 0.05; done'
	wait_for 10 "the traps" log_has "$n" ready
	run -0 "$HUSK" kill -s USR1 "$n"
	[[ $output == "$n" ]]
	wait_for 10 "USR1 in the container" log_has "$n" "got usr1"
	run -0 "$HUSK" kill -s 1 "$n"
	wait_for 10 "HUP in the container" log_has "$n" "got hup"
	run -125 "$HUSK" kill -s SIGNOPE "$n"
	[[ ${#lines[@]} -eq 1 && $output == "husk: invalid signal 'SIGNOPE'"* ]]
	run -0 "$HUSK" kill "$n"
	wait_for 10 "$n to exit" status_is "$n" exited
	[[ $(field "$n" .state.exit_code) == 137 ]]
	run -1 "$HUSK" kill "$n"
	[[ $output == "husk: container $n is not running"* ]]
	run -0 "$HUSK" rm "$n"
}

@test "rm of a running container needs -f" {
	local n
	n=$(cname f)
	run_d "$n" "$ROOTFS" sleep 1000
	pid=$(container_pid "$n")
	run -1 "$HUSK" rm "$n"
	[[ ${#lines[@]} -eq 1 && $output == "husk: container $n is running: stop it first, or use husk rm -f" ]]
	state_running "$n"
	run -0 "$HUSK" rm -f "$n"
	[[ $output == "$n" ]]
	gone "$n"
	! [[ -d /proc/$pid ]] || [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]]
}

@test "unknown names: one line, exit 1, for every command" {
	local cmd
	for cmd in "logs" "stop" "kill" "rm" "rm -f" "inspect" "stats --no-stream"; do
		# shellcheck disable=SC2086
		run -1 --separate-stderr "$HUSK" $cmd no-such-container-here
		[[ $stderr == "husk: no such container: no-such-container-here" ]]
	done
	run -1 "$HUSK" exec no-such-container-here true
	[[ $output == "husk: no such container: no-such-container-here" ]]
	run -1 "$HUSK" stop ../../etc
	[[ $output == "husk: no such container: ../../etc" ]]
}

@test "a monitor killed with SIGKILL: ps says so; the container stops and is removable" {
	local n mon pid
	n=$(cname m)
	run_d "$n" -m 32M "$ROOTFS" sh -c 'exec sleep 1000'
	mon=$(jq -r .husk_pid "$HUSK_STATE_ROOT/$n/state.json")
	pid=$(container_pid "$n")
	kill -KILL "$mon"
	dead() { [[ $(field "$n" .state.status) == "monitor died" ]]; }
	wait_for 10 "ps to see the dead monitor" dead
	run -0 "$HUSK" ps
	[[ $(grep -- "$n" <<<"$output") == *"monitor died"* ]]
	# PID 1 goes with its monitor (PR_SET_PDEATHSIG), so nothing runs unwatched
	pid_gone() { ! [[ -d /proc/$pid ]] || [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]]; }
	wait_for 10 "PID 1 to end" pid_gone
	run -0 "$HUSK" stop "$n"
	run -0 "$HUSK" rm -f "$n"
	gone "$n"
	[[ ! -e $(cgroup_dir memory "$n") ]]
}

@test "a PID 1 that outlives its SIGKILLed monitor stays killable and removable" {
	local n mon pid root
	n=$(cname ms)
	root=$(rootfs_copy)
	# a setuid exec clears the parent-death signal: this PID 1 survives its monitor
	cp "$root/bin/busybox" "$root/bin/busybox-suid"
	chmod 4755 "$root/bin/busybox-suid"
	run_d "$n" -u 1000 "$root" /bin/busybox-suid sleep 1000
	mon=$(jq -r .husk_pid "$HUSK_STATE_ROOT/$n/state.json")
	pid=$(container_pid "$n")
	kill -KILL "$mon"
	dead() { [[ $(field "$n" .state.status) == "monitor died" ]]; }
	wait_for 10 "ps to see the dead monitor" dead
	[[ -d /proc/$pid ]]
	run -0 "$HUSK" ps
	[[ $(grep -- "$n" <<<"$output") == *" $pid "*"monitor died"* ]]
	run -1 "$HUSK" rm "$n"
	[[ $output == "husk: container $n is still running (its monitor died): stop it first, or use husk rm -f" ]]
	run -0 "$HUSK" kill "$n"
	pid_gone() { ! [[ -d /proc/$pid ]] || [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]]; }
	wait_for 10 "PID 1 to die" pid_gone
	run -0 "$HUSK" rm "$n"
	gone "$n"
}

@test "many husk processes at once never corrupt a record" {
	local names=() n i pids=()
	for i in $(seq 6); do names+=("$(cname p)"); done
	for n in "${names[@]}"; do
		"$HUSK" run -d --network none --init --name "$n" "$ROOTFS" sleep 1000 >/dev/null 3>&- &
		pids+=($!)
	done
	# readers hammer the records while they are written
	for i in $(seq 30); do
		"$HUSK" ps -a --format json | jq -e 'type == "array"' >/dev/null
		for n in "${names[@]}"; do
			[[ ! -e $HUSK_STATE_ROOT/$n/state.json ]] || jq -e .name "$HUSK_STATE_ROOT/$n/state.json" >/dev/null
		done
	done
	for i in "${pids[@]}"; do wait "$i"; done
	for n in "${names[@]}"; do state_running "$n"; done
	# stops, kills and removals in parallel, each twice
	pids=()
	for n in "${names[@]}"; do
		"$HUSK" stop -t 1 "$n" >/dev/null 2>&1 3>&- &
		pids+=($!)
		"$HUSK" kill -s TERM "$n" >/dev/null 2>&1 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || true; done
	for n in "${names[@]}"; do
		jq -e '.status == "exited"' "$HUSK_STATE_ROOT/$n/state.json" >/dev/null
	done
	pids=()
	for n in "${names[@]}"; do
		"$HUSK" rm -f "$n" >/dev/null 2>&1 3>&- &
		pids+=($!)
		"$HUSK" rm -f "$n" >/dev/null 2>&1 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || true; done
	for n in "${names[@]}"; do gone "$n"; done
}

@test "a detached container on the bridge: ps and inspect show its address and ports" {
	local n port addr
	n=$(cname net)
	port=$((20000 + RANDOM % 20000))
	mkdir "$BATS_TEST_TMPDIR/www"
	echo hello-husk >"$BATS_TEST_TMPDIR/www/index.html"
	run -0 "$HUSK" run -d --name "$n" -p "$port:80" -v "$BATS_TEST_TMPDIR/www:/www:ro" \
		"$ROOTFS" httpd -f -p 80 -h /www
	run -0 "$HUSK" ps
	[[ $(grep -- "$n" <<<"$output") == *"0.0.0.0:$port->80/tcp"* ]]
	run -0 "$HUSK" inspect "$n"
	addr=$(jq -r '.[0].network.address' <<<"$output")
	[[ $addr =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]
	jq -e ".[0].network.mode == \"bridge\" and .[0].network.ports[0].host_port == $port and
	       .[0].network.ports[0].container_port == 80" <<<"$output"
	run -0 "$HUSK" exec "$n" ip -4 -o addr show eth0
	[[ $output == *" $addr/"* ]]
	served() { curl -fsS -m 2 "http://127.0.0.1:$port/" | grep -q hello-husk; }
	wait_for 10 "the page through the published port" served
	run -0 "$HUSK" stats --no-stream --format json "$n"
	jq -e '.[0].net_rx_bytes > 0 and .[0].net_tx_bytes > 0' <<<"$output"
	run -0 "$HUSK" rm -f "$n"
	gone "$n"
}

@test "a detached container with a terminal stays up; its output is logged" {
	local n
	n=$(cname t)
	run_d "$n" -t "$ROOTFS" sh
	wait_for 10 "the shell prompt in the log" log_has "$n" '#'
	state_running "$n"
	run -0 "$HUSK" exec "$n" sh -c 'ls /dev/pts | grep -c "^[0-9]"'
	((output >= 1))
	run -0 "$HUSK" rm -f "$n"
}
