#!/usr/bin/env bats
# core.bats — husk run, observed from inside and outside the container: namespaces,
# root filesystem and mounts, cgroup limits, bad input, husk check (the command's own
# process: process.bats). Networking is tested elsewhere, so every container here runs
# with --network none. teardown checks that nothing is left.

# shellcheck disable=SC2016 # the single-quoted scripts run in the container
# shellcheck disable=SC2154 # stderr, stderr_lines, output, status: set by bats' run

load helpers
load core_helpers
load busybox_suite

# ---------------------------------------------------------------------------------
# namespaces

@test "the command is PID 1 and ps shows only the container's processes" {
	# "; true" keeps sh from exec'ing ps as its last command
	hrun "$R" sh -c 'ps -o pid,args; true'
	[ "$status" -eq 0 ]
	# header, PID 1 (this sh) and ps itself: nothing of the host
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[1]} =~ ^\ *1\ +sh\ -c\ ps ]]
	# (busybox forks its ps applet without exec: it shows as "{ps} sh -c ...")
	[[ ${lines[2]} =~ ^\ *[0-9]+\ +(ps|\{ps\}) ]]
}

@test "outside, the container's PID 1 is a host process whose NSpid ends in 1" {
	local n pid
	n=$(cname pid)
	start "$n" "$R" sh -c "$SLEEPER"
	pid=$(container_pid "$n")
	[ -n "$pid" ] && [ "$pid" -ne 1 ]
	grep -E "^NSpid:[[:space:]]+${pid}[[:space:]]+1$" "/proc/$pid/status"
	stop
}

@test "--hostname is set inside; the default is the name; the host's is unchanged" {
	local before n
	before=$(hostname)
	hrun --hostname web-1.example "$R" sh -c 'hostname; uname -n'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = web-1.example ]
	[ "${lines[1]}" = web-1.example ]
	n=$(cname host)
	hrun --name "$n" "$R" hostname
	[ "$status" -eq 0 ]
	[ "$output" = "$n" ]
	[ "$(hostname)" = "$before" ]
}

@test "the default name is generated as husk-<hex> (seen as the hostname)" {
	run --separate-stderr "$HUSK" run --network none "$R" hostname
	[ "$status" -eq 0 ]
	[[ $output =~ ^husk-[0-9a-f]+$ ]]
}

@test "pid, mnt, uts, ipc, net and cgroup namespaces differ from the host's (inside and outside)" {
	local n pid ns inside host outside
	n=$(cname ns)
	husk_bg "$n" run --network none --name "$n" "$R" sh -c \
		'for n in pid mnt uts ipc net cgroup; do echo "$n $(readlink /proc/1/ns/$n)"; done; '"$SLEEPER"
	wait_running "$n"
	wait_output "$BATS_TEST_TMPDIR/$n.out" ready
	pid=$(container_pid "$n")
	for ns in pid mnt uts ipc net cgroup; do
		inside=$(awk -v n="$ns" '$1 == n { print $2 }' "$BATS_TEST_TMPDIR/$n.out")
		outside=$(readlink "/proc/$pid/ns/$ns")
		host=$(readlink "/proc/self/ns/$ns")
		[[ $inside == "$ns:["*"]" ]] || fail "$ns: inside printed '$inside'"
		[[ $inside == "$outside" ]] || fail "$ns: inside $inside, outside $outside"
		[[ $inside != "$host" ]] || fail "$ns: the container shares the host's namespace $host"
	done
	stop
}

@test "the container's processes are in its cgroup before the command runs (cgroup ns rooted there)" {
	local n pid ctl line
	n=$(cname cg)
	husk_bg "$n" run --network none --name "$n" --memory 64M --pids-limit 100 "$R" sh -c \
		'cat /proc/1/cgroup; '"$SLEEPER"
	wait_running "$n"
	wait_output "$BATS_TEST_TMPDIR/$n.out" ready
	pid=$(container_pid "$n")
	if [[ $(cgroup_mode) == v2 ]]; then
		grep -qx "0::/husk/$n" "/proc/$pid/cgroup"
		grep -qx '0::/' "$BATS_TEST_TMPDIR/$n.out"
	else
		for ctl in memory pids; do
			line=$(grep -E "^[0-9]+:([^:]*,)?$ctl(,[^:]*)?:" "/proc/$pid/cgroup")
			[[ $line == *":/husk/$n" ]] || fail "outside, $ctl: $line"
			# the cgroup namespace was made after the move: inside the path is /
			line=$(grep -E "^[0-9]+:([^:]*,)?$ctl(,[^:]*)?:" "$BATS_TEST_TMPDIR/$n.out")
			[[ $line == *":/" ]] || fail "inside, $ctl: $line"
		done
	fi
	stop
}

# ---------------------------------------------------------------------------------
# root filesystem

@test "/ is ROOTFS: a marker file written there is read inside; host paths are not visible" {
	local root marker
	root=$(rootfs_copy)
	marker="marker-$RANDOM-$RANDOM"
	echo "$marker" >"$root/husk-marker"
	echo secret >"$BATS_TEST_TMPDIR/host-only"
	hrun "$root" sh -c "cat /husk-marker; test -e '$BATS_TEST_TMPDIR/host-only' && echo host-visible; true"
	[ "$status" -eq 0 ]
	[ "$output" = "$marker" ]
}

@test "pivot_root detaches the host's root: the container's mount table holds only its own mounts" {
	hrun "$R" cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	local mp bad=
	while read -r mp; do
		[[ $mp =~ ^/($|proc|sys|dev|etc/(hosts|hostname|resolv\.conf)$) ]] || bad+=" $mp"
	done < <(awk '{ print $5 }' <<<"$output")
	[[ -z $bad ]] || fail "host mounts visible inside:$bad"
	[[ $output != *oldroot* ]]
}

@test "--no-pivot uses chroot(2): the command runs in ROOTFS" {
	local root
	root=$(rootfs_copy)
	echo chrooted >"$root/husk-marker"
	hrun --no-pivot --explain "$root" sh -c 'cat /husk-marker; ps -o pid,comm | awk "NR == 2 { print \$1 }"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = chrooted ]
	[ "${lines[1]}" = 1 ]
	[[ $stderr == *chroot* ]]
	[[ $stderr != *pivot_root* ]]
}

@test "husk does not modify the ROOTFS it is given" {
	local root before after
	root=$(rootfs_copy)
	before=$(cd "$root" && find . -printf '%p %y %m %s %T@ %l\n' | sort)
	hrun --memory 64M --hostname changed "$root" sh -c 'cat /etc/hostname /etc/hosts >/dev/null 2>&1; ls / /dev /proc >/dev/null'
	[ "$status" -eq 0 ]
	after=$(cd "$root" && find . -printf '%p %y %m %s %T@ %l\n' | sort)
	diff <(echo "$before") <(echo "$after")
}

@test "/proc is mounted nosuid,noexec,nodev" {
	hrun "$R" cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	local opts
	opts=$(mountinfo_field /proc opts <<<"$output")
	[ "$(mountinfo_field /proc fstype <<<"$output")" = proc ]
	has_opt "$opts" nosuid
	has_opt "$opts" noexec
	has_opt "$opts" nodev
}

@test "/sys is read-only" {
	hrun "$R" sh -c 'cat /proc/self/mountinfo; if mkdir /sys/husk-test 2>/dev/null; then echo WRITABLE; fi'
	[ "$status" -eq 0 ]
	[[ $output != *WRITABLE* ]]
	[ "$(mountinfo_field /sys fstype <<<"$output")" = sysfs ]
	has_opt "$(mountinfo_field /sys opts <<<"$output")" ro
}

@test "/dev is a small tmpfs with exactly the standard nodes and links" {
	hrun "$R" sh -c 'ls -A /dev | sort | tr "\n" " "; echo
		for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T %a" /dev/$d)"; done
		for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
		echo "ptmx $(stat -c %F /dev/ptmx) -> $(readlink /dev/ptmx)"
		head -c 5 /dev/zero | wc -c
		echo x >/dev/null && echo null-ok
		if echo x 2>/dev/null >/dev/full; then echo full-accepted; else echo full-refused; fi
		cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero " ]
	[[ $output == *"null character special file 1:3 666"* ]]
	[[ $output == *"zero character special file 1:5 666"* ]]
	[[ $output == *"full character special file 1:7 666"* ]]
	[[ $output == *"random character special file 1:8 666"* ]]
	[[ $output == *"urandom character special file 1:9 666"* ]]
	[[ $output == *"tty character special file 5:0 666"* ]]
	[[ $output == *"fd -> /proc/self/fd"* ]]
	[[ $output == *"stdin -> /proc/self/fd/0"* ]]
	[[ $output == *"stdout -> /proc/self/fd/1"* ]]
	[[ $output == *"stderr -> /proc/self/fd/2"* ]]
	[[ $output =~ ptmx\ (symbolic\ link\ -\>\ pts/ptmx|character\ special\ file) ]]
	[[ $output == *$'\n5\n'* ]]
	[[ $output == *null-ok* ]]
	[[ $output == *full-refused* ]]
	[ "$(mountinfo_field /dev fstype <<<"$output")" = tmpfs ]
}

@test "/dev/pts is a new devpts instance, not the host's" {
	hrun "$R" sh -c 'cat /proc/self/mountinfo; echo; ls /dev/pts'
	[ "$status" -eq 0 ]
	local inside host
	inside=$(mountinfo_field /dev/pts dev <<<"$output")
	host=$(mountinfo_field /dev/pts dev </proc/self/mountinfo)
	[ "$(mountinfo_field /dev/pts fstype <<<"$output")" = devpts ]
	[ -n "$inside" ]
	[ "$inside" != "$host" ]
	# a fresh instance holds only ptmx until someone opens it
	[ "${lines[-1]}" = ptmx ]
}

@test "/dev/shm is a 64M tmpfs and /dev/mqueue an mqueue" {
	hrun "$R" sh -c 'cat /proc/self/mountinfo; df -k /dev/shm | tail -n1'
	[ "$status" -eq 0 ]
	[ "$(mountinfo_field /dev/shm fstype <<<"$output")" = tmpfs ]
	has_opt "$(mountinfo_field /dev/shm super <<<"$output")" size=65536k
	[ "$(awk '{ print $2 }' <<<"${lines[-1]}")" = 65536 ]
	[ "$(mountinfo_field /dev/mqueue fstype <<<"$output")" = mqueue ]
}

# ---------------------------------------------------------------------------------
# resource limits

@test "--memory 50M puts 52428800 in the cgroup's limit file (host and container view)" {
	local n file inside
	n=$(cname mem)
	if [[ $(cgroup_mode) == v2 ]]; then
		file=memory.max
		inside=/sys/fs/cgroup/memory.max
	else
		file=memory.limit_in_bytes
		inside=/sys/fs/cgroup/memory/memory.limit_in_bytes
	fi
	husk_bg "$n" run --network none --name "$n" --memory 50M "$R" sh -c "cat $inside; $SLEEPER"
	wait_running "$n"
	wait_output "$BATS_TEST_TMPDIR/$n.out" ready
	[ "$(cat "$(cgroup_dir memory "$n")/$file")" = 52428800 ]
	[ "$(head -n1 "$BATS_TEST_TMPDIR/$n.out")" = 52428800 ]
	stop
}

@test "--memory-swap sets the memory+swap limit where the kernel accounts swap" {
	local n dir
	n=$(cname swap)
	dir=$(cgroup_dir memory "$n")
	start "$n" --memory 50M --memory-swap 120M "$R" sh -c "$SLEEPER"
	if [[ $(cgroup_mode) == v2 ]]; then
		[ -e "$dir/memory.swap.max" ] || { stop; skip "no swap accounting (memory.swap.max)"; }
		# v2 counts swap alone: 120M - 50M
		[ "$(cat "$dir/memory.swap.max")" = $((70 << 20)) ]
	else
		[ -e "$dir/memory.memsw.limit_in_bytes" ] || { stop; skip "no swap accounting (memsw)"; }
		[ "$(cat "$dir/memory.memsw.limit_in_bytes")" = $((120 << 20)) ]
	fi
	stop
}

@test "a 200M allocation under --memory 50M is killed: exit 137 and the OOM message" {
	local n
	n=$(cname oom)
	hrun --name "$n" --memory 50M "$R" dd if=/dev/zero of=/dev/null bs=200M count=1
	[ "$status" -eq 137 ]
	[[ $stderr == *"husk: container $n was killed: out of memory (limit 50M)"* ]]
}

@test "a SIGKILL that is not an OOM kill exits 137 without the OOM message" {
	local n pid
	n=$(cname kill)
	start "$n" --memory 50M "$R" sleep 60
	pid=$(container_pid "$n")
	kill -KILL "$pid"
	bg_wait "$BG_PID"
	[ "$BG_STATUS" -eq 137 ]
	not grep -q 'out of memory' "$BATS_TEST_TMPDIR/$n.err"
}

# cpu_usage_ns NAME: CPU time the container's cgroup has used, in ns.
cpu_usage_ns() {
	local dir
	if [[ $(cgroup_mode) == v2 ]]; then
		dir=$(cgroup_dir cpu "$1")
		echo $(($(awk '$1 == "usage_usec" { print $2 }' "$dir/cpu.stat") * 1000))
	else
		dir=$(cgroup_dir cpuacct "$1")
		cat "$dir/cpuacct.usage"
	fi
}

@test "--cpus 0.5 holds two busy loops to 0.5 ± 0.1 CPU over 2 s (cgroup usage)" {
	local n u0 u1 t0 t1 milli
	n=$(cname cpu)
	husk_bg "$n" run --network none --name "$n" --cpus 0.5 "$R" sh -c \
		'trap "exit 0" TERM; (while :; do :; done) & (while :; do :; done) & echo spinning; sleep 60 & wait $!'
	wait_running "$n"
	wait_output "$BATS_TEST_TMPDIR/$n.out" spinning
	u0=$(cpu_usage_ns "$n")
	t0=$(date +%s%N)
	sleep 2 # the measurement window itself
	u1=$(cpu_usage_ns "$n")
	t1=$(date +%s%N)
	milli=$(((u1 - u0) * 1000 / (t1 - t0)))
	echo "measured $milli millicpus; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
	echo "(a busy host gives the container less than its quota: run the tests alone)"
	[ "$milli" -ge 400 ]
	[ "$milli" -le 600 ]
	stop
}

@test "--pids-limit 20 bounds a fork bomb" {
	local n dir max=0 cur inside
	n=$(cname pids)
	dir=$(cgroup_dir pids "$n")
	if [[ $(cgroup_mode) == v2 ]]; then inside=/sys/fs/cgroup; else inside=/sys/fs/cgroup/pids; fi
	# a binary tree of subshells, 2^7 leaves: unbounded it holds ~255 tasks at once.
	# Then PID 1 reports the cgroup's counters with builtins only (forks may fail).
	husk_bg "$n" run --network none --name "$n" --pids-limit 20 "$R" sh -c '
		b() { if [ "$1" -gt 0 ]; then b $(($1 - 1)) & b $(($1 - 1)) & wait; else sleep 2; fi; }
		(b 7) 2>/dev/null
		read max <'"$inside"'/pids.max; echo "max $max"
		read ev <'"$inside"'/pids.events; echo "events $ev"'
	while kill -0 "$BG_PID" 2>/dev/null; do
		cur=$(cat "$dir/pids.current" 2>/dev/null) || cur=0
		((cur > max)) && max=$cur
		sleep 0.02
	done
	bg_wait "$BG_PID"
	echo "highest pids.current seen from the host: $max"
	cat "$BATS_TEST_TMPDIR/$n.out"
	[ "$BG_STATUS" -eq 0 ]
	grep -qx 'max 20' "$BATS_TEST_TMPDIR/$n.out"
	[ "$max" -le 20 ]
	# the kernel refused forks because the limit was reached (pids.events counts a
	# refusal only at the limit; a sampler on a busy host may miss the peak itself)
	local refused
	refused=$(sed -n 's/^events max \([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/$n.out")
	[ "${refused:-0}" -gt 0 ]
}

@test "the tutorial spellings --mem=100M --cpu=50% --pids=50 are aliases" {
	local n mem cpu pids quota period
	n=$(cname alias)
	start "$n" --mem=100M --cpu=50% --pids=50 "$R" sh -c "$SLEEPER"
	mem=$(cgroup_dir memory "$n")
	cpu=$(cgroup_dir cpu "$n")
	pids=$(cgroup_dir pids "$n")
	if [[ $(cgroup_mode) == v2 ]]; then
		[ "$(cat "$mem/memory.max")" = 104857600 ]
		read -r quota period <"$cpu/cpu.max"
	else
		[ "$(cat "$mem/memory.limit_in_bytes")" = 104857600 ]
		quota=$(cat "$cpu/cpu.cfs_quota_us")
		period=$(cat "$cpu/cpu.cfs_period_us")
	fi
	[ $((quota * 2)) -eq "$period" ]
	[ "$(cat "$pids/pids.max")" = 50 ]
	stop
}

# ---------------------------------------------------------------------------------
# bad input: one line naming the value, exit 125, nothing left (teardown checks)

@test "bad input: sizes" {
	expect_bad 100X run --network none --memory 100X "$R" true
	expect_bad 99999999999999999999 run --network none --memory 99999999999999999999 "$R" true
	expect_bad 16E run --network none --memory 16E "$R" true
	expect_bad 12Q run --network none --tmpfs /tmp:size=12Q "$R" true
	expect_bad abc run --network none --memory-swap abc "$R" true
}

@test "bad input: a --memory below the minimum names the value as given" {
	expect_bad "'1k'" run --network none --memory 1k "$R" true
	expect_bad "'2M'" run --network none --memory 2M "$R" true
	expect_bad "'50M'" run --network none --memory 100M --memory-swap 50M "$R" true
}

@test "bad input: --cpus 0, -1, inf, nan and garbage" {
	local v
	for v in 0 -1 inf nan 1e400 abc; do
		expect_bad "$v" run --network none --cpus "$v" "$R" true
	done
	expect_bad 0% run --network none --cpu=0% "$R" true
	expect_bad 0 run --network none --pids-limit 0 "$R" true
}

@test "bad input: names with path tricks, bad hostnames" {
	local v
	for v in ../x x/y .hidden -x "" "$(printf 'a%.0s' {1..65})"; do
		expect_bad "'$v'" run --network none --name "$v" "$R" true
	done
	for v in bad_host -x x- a..b "has space" "$(printf 'h%.0s' {1..65})"; do
		expect_bad "'$v'" run --network none --hostname "$v" "$R" true
	done
	[ ! -e /run/husk/x ]
}

# (found the bug fixed in 055c663: the refused husk removed the running one's state)
@test "bad input: a name in use is refused; the running container is untouched" {
	local n
	n=$(cname dup)
	start "$n" "$R" sh -c "$SLEEPER"
	local first=$BG_PID
	expect_bad "$n" run --network none --name "$n" "$R" true
	[[ $stderr == *"in use"* || $stderr == *exists* ]]
	kill -0 "$first"
	state_running "$n"
	[ -d "$(cgroup_dir memory "$n")" ]
	stop
}

@test "bad input: a missing or non-directory ROOTFS" {
	expect_bad /no/such/rootfs run --network none /no/such/rootfs true
	expect_bad /etc/passwd run --network none /etc/passwd true
}

@test "bad input: a path longer than its buffer is refused naming it, never cut" {
	local long
	long=/tmp/$(printf 'r%.0s' {1..300})
	expect_bad "invalid --root '/tmp/rrrr" --root "$long" run --network none "$R" true
	expect_bad "longer than 255 bytes" --root "$long" ps
	# a home directory in the image's /etc/passwd that does not fit
	local rfs=$BATS_TEST_TMPDIR/rootfs
	cp -a "$R" "$rfs"
	printf 'longhome:x:1234:1234::/%s:/bin/sh\n' "$(printf 'h%.0s' {1..300})" >>"$rfs/etc/passwd"
	expect_bad "its home directory in the container's /etc/passwd is longer than" \
		run --network none -u longhome "$rfs" true
}

@test "bad input: workdir relative or missing" {
	expect_bad rel/dir run --network none -w rel/dir "$R" true
	expect_bad /no/such/dir run --network none -w /no/such/dir "$R" true
}

@test "bad input: unknown user or group" {
	expect_bad ghost run --network none -u ghost "$R" true
	expect_bad ghostgrp run --network none -u 0:ghostgrp "$R" true
	expect_bad "root:" run --network none -u root: "$R" true
}

@test "bad input: volumes" {
	expect_bad rel:/x run --network none -v rel:/x "$R" true
	expect_bad /no/such/host/path run --network none -v /no/such/host/path:/x "$R" true
	expect_bad /tmp run --network none -v /tmp "$R" true
	expect_bad rx run --network none -v /tmp:/x:rx "$R" true
	expect_bad "/tmp:rel" run --network none -v /tmp:rel "$R" true
	expect_bad rel run --network none --tmpfs rel "$R" true
}

@test "bad input: environment and options" {
	expect_bad 1A=b run --network none -e 1A=b "$R" true
	expect_bad /no/such/env-file run --network none --env-file /no/such/env-file "$R" true
	expect_bad bogus run --network none --network bogus "$R" true
	expect_bad -1 run --network none --stop-timeout -1 "$R" true
	expect_bad --no-such-option run --no-such-option "$R" true
}

# ---------------------------------------------------------------------------------
# the command line

@test "husk --version, and run --help describes every option of docs/cli.md" {
	run "$HUSK" --version
	[ "$status" -eq 0 ]
	[[ $output =~ ^husk\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	run "$HUSK" run --help
	[ "$status" -eq 0 ]
	local help=$output opt missing='' opts=()
	# every --option in the first column of the tables of the "husk run" section
	mapfile -t opts < <(awk '/^## /{ on = ($0 ~ /^## husk run/) } on && /^\| `/ { split($0, c, " \\| "); print c[1] }' \
		"$HUSK_SRC/docs/cli.md" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
	[ "${#opts[@]}" -ge 20 ]
	for opt in "${opts[@]}"; do
		[[ $help == *"$opt"* ]] || missing+=" $opt"
	done
	[[ -z $missing ]] || fail "not in husk run --help:$missing"
}

@test "husk check prints one verdict line per host feature" {
	run "$HUSK" check
	[ "$status" -eq 0 ]
	local item line mode
	for item in kernel "cgroup mode" "namespace pid" "namespace mount" "namespace uts" \
		"namespace ipc" "namespace network" "namespace cgroup" "user namespaces" overlayfs \
		seccomp nftables veth bridge; do
		[ "$(grep -Ec "^[a-z]+ +$item( |$)" <<<"$output")" -eq 1 ] || fail "no single line for '$item'"
	done
	for line in "${lines[@]}"; do
		[[ $line =~ ^(ok|warn|fail|no|info)\ + ]] || fail "not a verdict line: $line"
	done
	grep -Eq "^ok +kernel .*$(uname -r)" <<<"$output"
	mode=$(cgroup_mode)
	grep -Eq "^ok +cgroup mode +$mode" <<<"$output"
}
