#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2154,SC2012  # single quotes are for the container's shell; bats sets $stderr; helpers are called through wait_for
# security.bats — husk's hardened defaults (issue #5), from inside a default container:
# capabilities, seccomp (tests/probe/probe.c tries each blocked syscall), the chroot
# breakout, mounts, read-only and masked kernel files, device rules, namespaces,
# the clock, the kernel log, fds, /dev, /dev/shm; then what --privileged, --cap-add,
# --cap-drop, --user and --security-opt change, bad input, and --init's sealed binary.
# Every container runs with --network none; each denial is checked together with the
# host side (unchanged), and teardown checks that nothing of husk is left.

load helpers

# docker's 14 capabilities
DOCKER_CAPS=00000000a80425fb

setup_file() {
	[[ $EUID -eq 0 ]] || skip "needs root"
	local r=$BATS_FILE_TMPDIR/rootfs lib b
	rootfs_copy "$r" >/dev/null
	# the probe: prebuilt ($HUSK_PROBE, e.g. in a VM without a compiler) or built here
	if [[ -n ${HUSK_PROBE:-} ]]; then
		cp "$HUSK_PROBE" "$r/bin/probe"
	elif command -v gcc >/dev/null; then
		gcc -static -O2 -o "$r/bin/probe" "$BATS_TEST_DIRNAME/../probe/probe.c"
	fi
	# util-linux's unshare and nsenter with their libraries (busybox has neither here)
	if command -v ldd >/dev/null; then
		for b in unshare nsenter; do
			command -v "$b" >/dev/null || continue
			cp "$(command -v "$b")" "$r/bin/$b.real"
			for lib in $(ldd "$(command -v "$b")" | grep -o '/[^ ]*'); do
				mkdir -p "$r$(dirname "$lib")"
				cp -L "$lib" "$r$lib"
			done
			ln -sf "$b.real" "$r/bin/$b"
		done
	fi
	# a block device of the host, for the mknod tests (major:minor)
	awk 'NR > 2 && $4 != "" { print $1 ":" $2; exit }' /proc/partitions >"$BATS_FILE_TMPDIR/blockdev"
}

setup() {
	husk_setup
	R=$BATS_FILE_TMPDIR/rootfs
	BLOCKDEV=$(cat "$BATS_FILE_TMPDIR/blockdev")
}

teardown() {
	husk_teardown
}

need_probe() {
	[[ -x $R/bin/probe ]] || skip "no probe: install gcc (and libc6-dev) or set HUSK_PROBE"
}

need_util_linux() {
	[[ -x $R/bin/unshare.real && -x $R/bin/nsenter.real ]] || skip "no unshare/nsenter (util-linux, ldd) to copy"
}

# hrun ARGS...: husk run --network none --name <fresh> ARGS... (bats' run: $status,
# $output, $stderr)
hrun() {
	run --separate-stderr "$HUSK" run --network none --name "$(cname)" "$@"
}

# ok_run ARGS...: hrun, and the command must exit 0
ok_run() {
	hrun "$@"
	[[ $status -eq 0 ]] || fail "exit $status; stdout: $output; stderr: $stderr"
}

# field NAME: the value of "NAME:" in $output (a /proc/*/status dump)
field() {
	awk -v k="$1:" '$1 == k { print $2 }' <<<"$output"
}

# expect_bad TEXT HUSK-RUN-ARGS...: exit 125, nothing on stdout, one line on stderr
# that starts with "husk: " and contains TEXT
expect_bad() {
	local text=$1
	shift
	hrun "$@"
	[[ $status -eq 125 ]] || fail "expected exit 125, got $status; stderr: $stderr"
	[[ -z $output ]] || fail "unexpected stdout: $output"
	[[ ${#stderr_lines[@]} -eq 1 ]] || fail "expected one line on stderr, got: $stderr"
	[[ $stderr == "husk: "* && $stderr == *"$text"* ]] || fail "expected 'husk: ...$text...', got: $stderr"
}

# --- capabilities ---------------------------------------------------------------------

@test "capabilities: docker's 14 in bounding, permitted and effective; inheritable and ambient empty" {
	ok_run "$R" cat /proc/self/status
	[[ $(field CapBnd) == "$DOCKER_CAPS" ]] || fail "CapBnd $(field CapBnd)"
	[[ $(field CapPrm) == "$DOCKER_CAPS" ]] || fail "CapPrm $(field CapPrm)"
	[[ $(field CapEff) == "$DOCKER_CAPS" ]] || fail "CapEff $(field CapEff)"
	[[ $(field CapInh) == 0000000000000000 ]] || fail "CapInh $(field CapInh)"
	[[ $(field CapAmb) == 0000000000000000 ]] || fail "CapAmb $(field CapAmb)"
	[[ $(field NoNewPrivs) == 0 ]] || fail "NoNewPrivs set by default"
}

@test "capabilities: a non-root --user keeps the bounding set only (as docker)" {
	ok_run --user 1000:1000 "$R" cat /proc/self/status
	[[ $(field Uid) == 1000 ]]
	[[ $(field CapBnd) == "$DOCKER_CAPS" ]] || fail "CapBnd $(field CapBnd)"
	[[ $(field CapPrm) == 0000000000000000 ]] || fail "CapPrm $(field CapPrm)"
	[[ $(field CapEff) == 0000000000000000 ]] || fail "CapEff $(field CapEff)"
}

@test "--cap-add grants the capability and the syscalls it guards (any spelling)" {
	need_probe
	need_util_linux
	ok_run --cap-add sys_time "$R" sh -c 'cat /proc/self/status; probe settimeofday; probe clock_settime'
	[[ $(field CapEff) == 00000000aa0425fb ]] || fail "CapEff $(field CapEff)"
	# the no-op settimeofday(NULL, NULL) passes; the invalid clock value reaches the kernel
	[[ $output == *"settimeofday: ok"* && $output == *"clock_settime: EINVAL"* ]] || fail "$output"
	[[ $(date +%Y) -gt 2001 ]]

	ok_run --cap-add CAP_SYS_ADMIN "$R" sh -c 'mount -t tmpfs none /tmp && grep " /tmp " /proc/self/mountinfo && unshare -m true && echo unshare ok'
	[[ $output == *"- tmpfs none"* && $output == *"unshare ok"* ]] || fail "$output"
	! grep -q " $R/tmp " /proc/self/mountinfo || false
}

@test "--cap-drop: one (case and CAP_ prefix do not matter), ALL, ALL then --cap-add" {
	ok_run --cap-drop cap_chown --cap-drop NET_RAW "$R" cat /proc/self/status
	[[ $(field CapEff) == 00000000a80405fa ]] || fail "CapEff $(field CapEff)"
	[[ $(field CapBnd) == 00000000a80405fa ]] || fail "CapBnd $(field CapBnd)"
	ok_run --cap-drop ALL "$R" cat /proc/self/status
	[[ $(field CapEff) == 0000000000000000 && $(field CapBnd) == 0000000000000000 ]] ||
		fail "CapEff $(field CapEff) CapBnd $(field CapBnd)"
	ok_run --cap-drop all --cap-add kill "$R" cat /proc/self/status
	[[ $(field CapEff) == 0000000000000020 ]] || fail "CapEff $(field CapEff)"
}

# --- seccomp --------------------------------------------------------------------------

@test "seccomp: a filter is on (Seccomp: 2), also for PID 1 under --init" {
	ok_run "$R" cat /proc/self/status
	[[ $(field Seccomp) == 2 ]] || fail "Seccomp $(field Seccomp)"
	ok_run --init "$R" cat /proc/1/status
	[[ $(field Seccomp) == 2 ]] || fail "PID 1: Seccomp $(field Seccomp)"
	[[ $(field CapEff) == "$DOCKER_CAPS" ]] || fail "PID 1: CapEff $(field CapEff)"
}

@test "seccomp: the probe's blocked syscalls fail with EPERM, clone3 with ENOSYS" {
	need_probe
	ok_run "$R" probe syscalls
	local line bad=
	for line in "${lines[@]}"; do
		case $line in
		"clone3: ENOSYS") ;;
		"clone3: "*) bad+="$line; " ;;
		*": EPERM") ;;
		*) bad+="$line; " ;;
		esac
	done
	[[ -z $bad ]] || fail "not denied: $bad"
	[[ ${#lines[@]} -ge 35 ]] || fail "probe printed ${#lines[@]} lines: $output"
	# fork and threads still work (clone without namespace flags)
	ok_run "$R" sh -c 'true & wait $! && echo forked'
	[[ $output == forked ]]
}

@test "seccomp: unconfined, the same calls reach the kernel (the filter is what denies them)" {
	need_probe
	ok_run --security-opt seccomp=unconfined "$R" sh -c 'grep Seccomp: /proc/self/status; probe syscalls'
	[[ $output == *"Seccomp:	0"* ]] || fail "$output"
	[[ $output == *"keyctl: EOPNOTSUPP"* ]] || fail "keyctl: $output"
	[[ $output == *"clone3: ok"* ]] || fail "clone3: $output"
	[[ $output == *"unshare(CLONE_NEWUSER): ok"* ]] || fail "unshare: $output"
}

@test "seccomp: --security-opt seccomp=PROFILE.json (docker's format) is applied" {
	need_probe
	cat >"$BATS_TEST_TMPDIR/p.json" <<-'EOF'
	{
		"defaultAction": "SCMP_ACT_ALLOW",
		"archMap": [ { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": [ "SCMP_ARCH_X86" ] } ],
		"syscalls": [
			{ "names": [ "mkdir", "mkdirat" ], "action": "SCMP_ACT_ERRNO" },
			{ "names": [ "chmod", "fchmodat", "fchmodat2" ], "action": "SCMP_ACT_ERRNO", "errnoRet": 95 },
			{ "names": [ "keyctl" ], "action": "SCMP_ACT_ERRNO",
			  "includes": { "caps": [ "CAP_SYS_ADMIN" ] } }
		]
	}
	EOF
	hrun --security-opt "seccomp=$BATS_TEST_TMPDIR/p.json" "$R" sh -c \
		'mkdir /tmp/x; touch /dev/shm/y; chmod 600 /dev/shm/y; probe keyctl; grep Seccomp: /proc/self/status'
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ $stderr == *"mkdir: can't create directory '/tmp/x': Operation not permitted"* ]] || fail "$stderr"
	[[ $stderr == *"/dev/shm/y: Operation not supported"* ]] || fail "chmod: $stderr"
	# the keyctl rule needs CAP_SYS_ADMIN, which the container lacks: keyctl is allowed
	[[ $output == *"keyctl: EOPNOTSUPP"* && $output == *"Seccomp:	2"* ]] || fail "$output"
	[[ ! -e $R/tmp/x ]]
}

# --- filesystem -----------------------------------------------------------------------

@test "chroot breakout (mkdir, chroot, chdir .. x64, chroot .) stays in the container" {
	need_probe
	ok_run "$R" probe breakout
	local want
	want="/: $(cd "$R" && ls -A | LC_ALL=C sort | paste -sd' ' | sed 's/ / /g')"
	[[ $output == "$want" ]] || fail "got: $output; the container's root: $want"
	[[ $output != "/: $(cd / && ls -A | LC_ALL=C sort | paste -sd' ')" ]]
	[[ ! -e $R/.husk-probe-breakout ]]
}

@test "mount and umount are denied; the host's mount table is unchanged" {
	local before after
	before=$(wc -l </proc/self/mountinfo)
	hrun "$R" sh -c 'mount -t tmpfs none /mnt; echo "rc=$?"; umount /proc; echo "rc=$?"; umount -l /sys/fs/cgroup; echo "rc=$?"; mount -o remount,rw /sys; echo "rc=$?"'
	[[ $status -eq 0 ]]
	[[ $(grep -c '^rc=' <<<"$output") -eq 4 && $output != *"rc=0"* ]] || fail "$output"
	[[ $stderr == *"ermission denied"* || $stderr == *"not permitted"* ]] || fail "$stderr"
	after=$(wc -l </proc/self/mountinfo)
	[[ $before -eq $after ]] || fail "host mounts: $before before, $after after"
}

@test "/proc/sys, /proc/sysrq-trigger, /sys and the cgroup filesystem are read-only" {
	local before
	before=$(cat /proc/sys/vm/overcommit_memory)
	hrun "$R" sh -c '
		echo 2 > /proc/sys/vm/overcommit_memory; echo "sys rc=$?"
		echo husk > /proc/sys/kernel/domainname; echo "domainname rc=$?"
		if [ -e /proc/sysrq-trigger ]; then echo h > /proc/sysrq-trigger; echo "sysrq rc=$?"; fi
		echo add > /sys/kernel/uevent_helper; echo "sysfs rc=$?"
		for f in /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max; do
			[ -e "$f" ] && { echo 1 > "$f"; echo "cgroup rc=$?"; }
		done
		grep -c " ro," /proc/self/mountinfo'
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ $output != *"rc=0"* ]] || fail "a write went through: $output"
	[[ $output == *"sys rc=1"* && $output == *"sysfs rc=1"* && $output == *"cgroup rc=1"* ]] || fail "$output"
	[[ $stderr == *"Read-only file system"* ]] || fail "$stderr"
	[[ $(cat /proc/sys/vm/overcommit_memory) == "$before" ]]
}

@test "masked files read empty, masked directories are empty" {
	ok_run "$R" sh -c '
		for f in /proc/kcore /proc/keys /proc/timer_list /proc/interrupts /proc/sched_debug /proc/latency_stats; do
			[ -e "$f" ] && echo "$f $(head -c 64 "$f" | wc -c)"
		done
		for d in /proc/acpi /proc/scsi /proc/asound /sys/firmware /sys/devices/virtual/powercap; do
			[ -e "$d" ] && echo "$d $(ls -A "$d" | wc -l)"
		done; true'
	[[ $output == *"/proc/interrupts 0"* && $output == *"/proc/timer_list 0"* ]] || fail "$output"
	local line
	for line in "${lines[@]}"; do
		[[ $line == *" 0" ]] || fail "not masked: $line"
	done
	# the host's own files are untouched
	[[ $(head -c 64 /proc/interrupts | wc -c) -gt 0 ]]
}

@test "a /dev/null that is not the null device is refused before masking (CVE-2025-31133)" {
	echo secret >"$BATS_TEST_TMPDIR/notnull"
	expect_bad "/dev/null is not the null device" -v "$BATS_TEST_TMPDIR/notnull:/dev/null" "$R" true
	[[ $(cat "$BATS_TEST_TMPDIR/notnull") == secret ]]
}

# --- devices, namespaces, clock, kernel log ---------------------------------------------

@test "/dev holds only the standard nodes" {
	ok_run "$R" sh -c 'ls -A /dev | paste -sd" "; ls -A /dev/pts | paste -sd" "'
	[[ ${lines[0]} == "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero" ]] ||
		fail "/dev: ${lines[0]}"
	[[ ${lines[1]} == ptmx ]] || fail "/dev/pts: ${lines[1]}"
}

@test "mknod works but the new devices cannot be opened (device cgroup / eBPF program)" {
	# /dev/net/tun (10:200): the host can open it, the container must not
	(exec 9</dev/net/tun) || skip "this host cannot open /dev/net/tun itself"
	hrun "$R" sh -c "mknod /dev/tun c 10 200 && echo made; head -c 1 /dev/tun; echo rc=\$?;
		mknod /dev/mem c 1 1 && head -c 1 /dev/mem; echo rc=\$?; head -c 1 /dev/zero | wc -c"
	[[ $output == $'made\nrc=1\nrc=1\n1' ]] || fail "$output / $stderr"
	[[ $stderr == *"/dev/tun: Operation not permitted"* && $stderr == *"/dev/mem: Operation not permitted"* ]] ||
		fail "$stderr"
	if [[ -n $BLOCKDEV ]]; then
		hrun "$R" sh -c "mknod /dev/blk b ${BLOCKDEV%:*} ${BLOCKDEV#*:} && head -c 1 /dev/blk"
		[[ $stderr == *"/dev/blk: Operation not permitted"* ]] || fail "block device: $output / $stderr"
	fi
}

@test "unshare -U / -m and nsenter -t 1 are denied" {
	need_util_linux
	hrun "$R" sh -c 'unshare -U true; echo "U rc=$?"; unshare -m true; echo "m rc=$?"; unshare -n true; echo "n rc=$?"; nsenter -t 1 -m -u true; echo "nsenter rc=$?"'
	[[ $output == $'U rc=1\nm rc=1\nn rc=1\nnsenter rc=1' ]] || fail "$output / $stderr"
	[[ $(grep -c "Operation not permitted" <<<"$stderr") -eq 4 ]] || fail "$stderr"
}

@test "setting the clock is denied; the host's clock is unchanged" {
	hrun "$R" sh -c "date -s '2001-02-03 04:05:06'"
	[[ $stderr == *"can't set date: Operation not permitted"* ]] || fail "$output / $stderr"
	[[ $(date +%Y) -gt 2001 ]]
}

@test "the kernel log is not readable (dmesg)" {
	hrun "$R" sh -c 'dmesg; echo rc=$?'
	[[ $output == *"rc=1"* && $stderr == *"not permitted"* ]] || fail "$output / $stderr"
}

# --- fds and sizes ----------------------------------------------------------------------

@test "no fd of husk's caller reaches the container" {
	echo seven >"$BATS_TEST_TMPDIR/seven" # (the v2 guest has no /etc/hostname)
	exec 7<"$BATS_TEST_TMPDIR/seven" 8>"$BATS_TEST_TMPDIR/eight"
	ok_run "$R" sh -c 'ls /proc/self/fd | paste -sd" "'
	exec 7<&- 8>&-
	# 0-2, and the fd ls itself opens on /proc/self/fd
	[[ $output == "0 1 2 3" ]] || fail "open fds: $output"
}

@test "/dev/shm is a bounded tmpfs (64M)" {
	hrun "$R" sh -c 'dd if=/dev/zero of=/dev/shm/big bs=1M count=80 2>&1; echo rc=$?; df -k /dev/shm | tail -n 1'
	[[ $output == *"No space left on device"* && $output == *"rc=1"* ]] || fail "$output"
	[[ $output == *" 65536 "* ]] || fail "$output"
}

# --- privileged, no-new-privileges ----------------------------------------------------

@test "--privileged: every capability, no seccomp, no masks, devices open" {
	local bnd
	bnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)
	ok_run --privileged "$R" sh -c "cat /proc/self/status; grep -c ' /proc/keys ' /proc/self/mountinfo;
		mknod /dev/tun c 10 200 && exec 3</dev/tun && echo tun open"
	[[ $(field CapEff) == "$bnd" && $(field CapBnd) == "$bnd" ]] || fail "CapEff $(field CapEff), host $bnd"
	[[ $(field Seccomp) == 0 ]] || fail "Seccomp $(field Seccomp)"
	[[ ${lines[-2]} == 0 ]] || fail "/proc/keys is masked"
	[[ ${lines[-1]} == "tun open" ]] || fail "opening /dev/net/tun's device: $output / $stderr"
}

@test "--security-opt no-new-privileges sets no_new_privs" {
	ok_run --security-opt no-new-privileges "$R" cat /proc/self/status
	[[ $(field NoNewPrivs) == 1 && $(field Seccomp) == 2 ]]
}

# --- --init: husk in the container runs from a sealed copy -----------------------------

@test "--init: PID 1 is a sealed memfd copy of husk, not the host's binary (CVE-2019-5736)" {
	local sum
	sum=$(sha256sum <"$HUSK")
	ok_run --init "$R" sh -c 'readlink /proc/1/exe; echo x >> /proc/1/exe; echo rc=$?'
	[[ ${lines[0]} == "/memfd:husk (deleted)" ]] || fail "/proc/1/exe: ${lines[0]}"
	[[ ${lines[1]} == rc=1 ]] || fail "$output"
	[[ $(sha256sum <"$HUSK") == "$sum" ]]
}

@test "exec: husk joins the container from a sealed copy of itself (CVE-2019-5736)" {
	local name exe
	name=$(cname)
	run "$HUSK" run -d --network none --name "$name" "$R" sleep 60
	[[ $status -eq 0 ]] || fail "husk run -d: $output"
	husk_bg ex exec "$name" sh -c 'echo started; sleep 30'
	wait_output "$BATS_TEST_TMPDIR/ex.out" started
	exe=$(readlink "/proc/$BG_PID/exe")
	"$HUSK" rm -f "$name" >/dev/null
	bg_wait "$BG_PID"
	[[ $exe == "/memfd:husk (deleted)" ]] || fail "husk exec runs $exe"
}

# --- bad input ------------------------------------------------------------------------

@test "bad capability names, --security-opt values and profiles: exit 125, one line" {
	expect_bad "invalid --cap-add 'CAP_FOO': unknown capability" --cap-add CAP_FOO "$R" true
	expect_bad "invalid --cap-drop 'nope': unknown capability" --cap-drop nope "$R" true
	expect_bad "invalid --cap-add '': unknown capability" --cap-add '' "$R" true
	expect_bad "invalid --security-opt 'label=disable'" --security-opt label=disable "$R" true
	expect_bad "seccomp profile '/nonexistent/p.json': No such file or directory" \
		--security-opt seccomp=/nonexistent/p.json "$R" true
	printf '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [ oops ]\n}\n' >"$BATS_TEST_TMPDIR/bad.json"
	expect_bad "invalid seccomp profile '$BATS_TEST_TMPDIR/bad.json': line 3:" \
		--security-opt "seccomp=$BATS_TEST_TMPDIR/bad.json" "$R" true
	echo '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_MAYBE"}]}' \
		>"$BATS_TEST_TMPDIR/bad2.json"
	expect_bad "syscalls[0].action: unknown action 'SCMP_ACT_MAYBE'" \
		--security-opt "seccomp=$BATS_TEST_TMPDIR/bad2.json" "$R" true
	expect_bad "seccomp=unconfined and seccomp=" --security-opt seccomp=unconfined \
		--security-opt "seccomp=$BATS_TEST_TMPDIR/bad2.json" "$R" true
}
