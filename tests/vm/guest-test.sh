#!/bin/sh
# shellcheck shell=dash
# husk's tests inside the VM (busybox sh), started by /init (guest-init.sh) as
#   sh /guest-test.sh MODE        MODE: v2, v1 or hybrid (how /init mounted cgroups)
# Prints TAP-like lines on the console, "ok N - what" / "not ok N - what" with "# "
# detail lines after a failure, and ends with "N passed, N failed".
# Every wait polls with a deadline; nothing sleeps to hide a race.
MODE=${1:-v2}
HUSK=${HUSK:-/usr/local/bin/husk}
ROOTFS=${ROOTFS:-/var/lib/husk-vm/rootfs}
SYNC=$ROOTFS/vmt # a directory the containers and this script both see (/vmt inside)
OUT=/tmp/husk-vm-test
mkdir -p "$OUT" "$SYNC"
chmod 1777 "$SYNC"

WRAP=
N=0
PASSED=0
FAILED=0

ok() {
	N=$((N + 1))
	PASSED=$((PASSED + 1))
	echo "ok $N - $*"
}

# not_ok DESC [FILE...]: the files' contents follow as "# " lines
not_ok() {
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $N - $1"
	shift
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "#   --- ${f##*/}"
		sed 's/^/#   /' "$f" | head -n 40
	done
}

note() { echo "# $*"; }

# milliseconds since boot
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# wait_file FILE SECONDS [PID]: poll until FILE exists; 1 on time-out, or as soon
# as process PID (the husk that should make FILE appear) has ended
wait_file() {
	_deadline=$(($(now_ms) + $2 * 1000))
	while [ ! -e "$1" ]; do
		[ "$(now_ms)" -lt "$_deadline" ] || return 1
		if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then
			[ -e "$1" ]
			return
		fi
		sleep 0.02
	done
}

# cg_dir CONTROLLER NAME: the container's cgroup directory for that controller
cg_dir() {
	if [ "$MODE" = v2 ]; then
		echo "/sys/fs/cgroup/husk/$2"
	else
		echo "/sys/fs/cgroup/$1/husk/$2"
	fi
}

# every cgroup directory husk may have made for NAME
cg_dirs() {
	if [ "$MODE" = v2 ]; then
		echo "/sys/fs/cgroup/husk/$1"
	else
		for c in memory cpu,cpuacct pids devices freezer; do
			echo "/sys/fs/cgroup/$c/husk/$1"
		done
	fi
}

# cg_gone NAME: no cgroup directory and no state directory of NAME remain
cg_gone() {
	for d in $(cg_dirs "$1") "/run/husk/$1"; do
		if [ -e "$d" ]; then
			echo "left behind: $d" >>"$OUT/$1.err"
			return 1
		fi
	done
}

# run_ctr NAME [HUSK RUN OPTIONS...] -- COMMAND...: husk run in the foreground
# with a time-out; stdout/stderr in $OUT/NAME.out/.err, status in $RC
run_ctr() {
	_name=$1
	shift
	timeout -s KILL 60 "$HUSK" run --name "$_name" --network none "$@" \
		>"$OUT/$_name.out" 2>"$OUT/$_name.err"
	RC=$?
}

# start_held NAME OPTIONS... -- SHELL-COMMAND: runs SHELL-COMMAND in the container
# with husk (prefixed by $WRAP, if set) in the background, then holds the container (and its cgroup) open until
# release NAME. held_ready NAME waits until SHELL-COMMAND has finished.
start_held() {
	_name=$1
	shift
	_opts=
	while [ "$1" != -- ]; do
		_opts="$_opts $1"
		shift
	done
	shift
	rm -f "$SYNC/done-$_name" "$SYNC/stop-$_name"
	# shellcheck disable=SC2086 # options are single words
	timeout -s KILL 90 $WRAP "$HUSK" run --name "$_name" --network none $_opts "$ROOTFS" /bin/sh -c \
		"$1; touch /vmt/done-$_name; i=0; while [ ! -e /vmt/stop-$_name ] && [ \$i -lt 1500 ]; do sleep 0.05; i=\$((i + 1)); done" \
		>"$OUT/$_name.out" 2>"$OUT/$_name.err" &
	HELD_PID=$!
}

held_ready() { wait_file "$SYNC/done-$1" 60 "$HELD_PID"; }

# release NAME: lets the held container end; its husk's status is in $RC
release() {
	touch "$SYNC/stop-$1"
	wait "$HELD_PID"
	RC=$?
}

# --- the tests -------------------------------------------------------------------

echo "# husk-vm tests: cgroup mode $MODE, husk $("$HUSK" --version 2>&1 | head -n1)"
MOUNTS_BEFORE=$(wc -l </proc/self/mountinfo)

# 1. husk check names the mode
"$HUSK" check >"$OUT/check.out" 2>&1
if grep -Eq "^ok +cgroup mode +$MODE( |\$)" "$OUT/check.out"; then
	ok "husk check reports cgroup mode $MODE"
else
	not_ok "husk check reports cgroup mode $MODE" "$OUT/check.out"
fi
sed 's/^/#   /' "$OUT/check.out"
if grep -Eq '^ok +cgroup memory' "$OUT/check.out" && grep -Eq '^ok +cgroup cpu' "$OUT/check.out" &&
	grep -Eq '^ok +cgroup pids' "$OUT/check.out"; then
	ok "husk check finds the memory, cpu and pids controllers"
else
	not_ok "husk check finds the memory, cpu and pids controllers" "$OUT/check.out"
fi

# 2. a simple container runs and passes its output through
run_ctr t-hello "$ROOTFS" /bin/echo hello from husk
if [ "$RC" -eq 0 ] && [ "$(cat "$OUT/t-hello.out")" = "hello from husk" ]; then
	ok "husk run --network none ROOTFS echo: exit 0 and its output"
else
	echo "exit status $RC" >>"$OUT/t-hello.err"
	not_ok "husk run --network none ROOTFS echo: exit 0 and its output" "$OUT/t-hello.out" "$OUT/t-hello.err"
fi

# 3. --memory 50M sets the limit, read from the host side while the container runs
if [ "$MODE" = v2 ]; then memfile=memory.max; else memfile=memory.limit_in_bytes; fi
start_held t-mem --memory 50M -- true
if held_ready t-mem; then
	got=$(cat "$(cg_dir memory t-mem)/$memfile" 2>&1)
else
	got="(the container did not start)"
fi
release t-mem
if [ "$got" = 52428800 ] && [ "$RC" -eq 0 ]; then
	ok "--memory 50M: $memfile = 52428800"
else
	echo "$memfile: $got; husk exit status $RC" >>"$OUT/t-mem.err"
	not_ok "--memory 50M: $memfile = 52428800" "$OUT/t-mem.out" "$OUT/t-mem.err"
fi
if cg_gone t-mem; then
	ok "--memory: the cgroup and state directories are removed afterwards"
else
	not_ok "--memory: the cgroup and state directories are removed afterwards" "$OUT/t-mem.err"
fi

# 4. a 200M allocation under --memory 50M is OOM killed: 137 and a message
run_ctr t-oom --memory 50M "$ROOTFS" /memhog 200
want="husk: container t-oom was killed: out of memory"
if [ "$RC" -eq 137 ] && grep -qF "$want" "$OUT/t-oom.err"; then
	ok "OOM kill of a 200M allocation under --memory 50M: exit 137, '$want'"
else
	echo "exit status $RC (want 137)" >>"$OUT/t-oom.err"
	not_ok "OOM kill of a 200M allocation under --memory 50M: exit 137, '$want'" "$OUT/t-oom.out" "$OUT/t-oom.err"
fi
if cg_gone t-oom; then
	ok "OOM kill: the cgroup and state directories are removed afterwards"
else
	not_ok "OOM kill: the cgroup and state directories are removed afterwards" "$OUT/t-oom.err"
fi

# 5. --cpus 0.5: the quota, and a 2 s busy loop measured from the cgroup's counters.
# spin (PID 1 of the container) waits for /vmt/spin.go before it loops and only sleeps
# after it, so the two readings bracket the loop alone, however late this script is.
rm -f "$SYNC"/spin.*
timeout -s KILL 90 "$HUSK" run --name t-cpu --network none --cpus 0.5 "$ROOTFS" /spin 2000 /vmt/spin \
	>"$OUT/t-cpu.out" 2>"$OUT/t-cpu.err" &
HELD_PID=$!
cpudir=$(cg_dir cpu t-cpu)
if [ "$MODE" = v2 ]; then
	read_quota() { cat "$cpudir/cpu.max" 2>&1; }
	usage() { awk '$1 == "usage_usec" { print $2 }' "$cpudir/cpu.stat"; }
	usage_src="cpu.stat usage_usec"
	qname=cpu.max
else
	read_quota() { echo "$(cat "$cpudir/cpu.cfs_quota_us" 2>&1) $(cat "$cpudir/cpu.cfs_period_us" 2>&1)"; }
	# cpuacct.usage counts nanoseconds
	usage() { awk '{ printf "%d\n", $1 / 1000 }' "$(cg_dir cpuacct t-cpu)/cpuacct.usage"; }
	usage_src="cpuacct.usage"
	qname="cpu.cfs_quota_us cpu.cfs_period_us"
fi
want_quota="50000 100000"
quota="(the container did not start)"
quota_end=
ratio=
if wait_file "$SYNC/spin.ready" 60 "$HELD_PID"; then
	quota=$(read_quota)
	u0=$(usage)
	touch "$SYNC/spin.go"
	if wait_file "$SYNC/spin.done" 60 "$HELD_PID"; then
		u1=$(usage)
		quota_end=$(read_quota) # still the same at the end
		throttled=$(awk '$1 == "nr_throttled" { print $2 }' "$cpudir/cpu.stat")
		spun=$(cat "$SYNC/spin.done")
		wall=${spun#wall_us=}
		wall=${wall%% *}
		ratio=$(awk -v a="$u0" -v b="$u1" -v w="$wall" 'BEGIN { printf "%.3f", (b - a) / w }')
	fi
fi
touch "$SYNC/spin.stop"
wait "$HELD_PID"
RC=$?
if [ "$quota" = "$want_quota" ] && [ "$quota_end" = "$want_quota" ] && [ "$RC" -eq 0 ]; then
	ok "--cpus 0.5: $qname = $want_quota"
else
	echo "$qname: '$quota' (at the end: '$quota_end'); husk exit $RC" >>"$OUT/t-cpu.err"
	not_ok "--cpus 0.5: $qname = $want_quota" "$OUT/t-cpu.out" "$OUT/t-cpu.err"
fi
if [ -n "$ratio" ] && awk -v r="$ratio" 'BEGIN { exit !(r >= 0.4 && r <= 0.6) }'; then
	ok "--cpus 0.5: a 2 s busy loop used $ratio CPU ($usage_src; want 0.5 +- 0.1; $spun; nr_throttled $throttled)"
else
	echo "measured: '${ratio:-nothing}' CPU; spin: ${spun:-no result}; nr_throttled ${throttled:-?}" >>"$OUT/t-cpu.err"
	not_ok "--cpus 0.5: a 2 s busy loop uses 0.5 +- 0.1 CPU ($usage_src)" "$OUT/t-cpu.out" "$OUT/t-cpu.err"
fi
note "cpu: measured ${ratio:-nothing} CPU under --cpus 0.5 (mode $MODE, TCG)"
if cg_gone t-cpu; then
	ok "--cpus: the cgroup and state directories are removed afterwards"
else
	not_ok "--cpus: the cgroup and state directories are removed afterwards" "$OUT/t-cpu.err"
fi

# 6. --pids-limit 20 bounds a fork bomb (sh + forker + at most 18 children)
start_held t-pids --pids-limit 20 -- "/forker 200 >/vmt/forker-out 2>&1"
held_ready t-pids
pdir=$(cg_dir pids t-pids)
pmax=$(cat "$pdir/pids.max" 2>&1)
pevents=$(awk '$1 == "max" { print $2 }' "$pdir/pids.events" 2>/dev/null)
release t-pids
forked=$(cat "$SYNC/forker-out" 2>&1)
k=$(echo "$forked" | sed -n 's/^forked \([0-9]*\) of.*/\1/p')
if [ "$pmax" = 20 ] && [ -n "$k" ] && [ "$k" -ge 1 ] && [ "$k" -le 18 ] && [ "$RC" -eq 0 ]; then
	ok "--pids-limit 20: pids.max = 20, a fork bomb stopped: $forked (pids.events max ${pevents:-?})"
else
	echo "pids.max: $pmax; forker: ${forked:-nothing}; pids.events max: ${pevents:-?}; husk exit $RC" >>"$OUT/t-pids.err"
	not_ok "--pids-limit 20: pids.max = 20 and a fork bomb is stopped at 18 children" "$OUT/t-pids.out" "$OUT/t-pids.err"
fi
if cg_gone t-pids; then
	ok "--pids-limit: the cgroup and state directories are removed afterwards"
else
	not_ok "--pids-limit: the cgroup and state directories are removed afterwards" "$OUT/t-pids.err"
fi

# 6b. v2 without clone3 (ENOSYS, as on kernels before 5.3): husk falls back to clone
# and must then write the child into cgroup.procs itself
if [ "$MODE" = v2 ]; then
	WRAP=noclone3
	start_held t-noclone3 --memory 50M -- true
	WRAP=
	procs=
	if held_ready t-noclone3; then
		procs=$(wc -l <"$(cg_dir memory t-noclone3)/cgroup.procs")
	fi
	release t-noclone3
	if [ -n "$procs" ] && [ "$procs" -ge 1 ] && [ "$RC" -eq 0 ]; then
		ok "v2 without clone3 (ENOSYS): the container is still in its cgroup ($procs process(es) in cgroup.procs)"
	else
		echo "cgroup.procs of /sys/fs/cgroup/husk/t-noclone3 holds ${procs:-nothing} process(es) while the container runs; husk exit $RC" >>"$OUT/t-noclone3.err"
		not_ok "v2 without clone3 (ENOSYS): the container is still in its cgroup" "$OUT/t-noclone3.out" "$OUT/t-noclone3.err"
	fi
	if cg_gone t-noclone3; then
		ok "v2 without clone3: the cgroup and state directories are removed afterwards"
	else
		not_ok "v2 without clone3: the cgroup and state directories are removed afterwards" "$OUT/t-noclone3.err"
	fi
fi

# 7. namespaces: each of the container's differs from the VM's
# shellcheck disable=SC2016 # expanded by the container's shell
run_ctr t-ns "$ROOTFS" /bin/sh -c \
	'for n in pid mnt uts ipc net cgroup; do echo "$n $(readlink /proc/1/ns/$n)"; done; echo "pid1 $$"; echo "hostname $(hostname)"'
bad=
for n in pid mnt uts ipc net; do
	host=$(readlink "/proc/1/ns/$n")
	ctr=$(sed -n "s/^$n //p" "$OUT/t-ns.out")
	if [ -z "$ctr" ] || [ "$ctr" = "$host" ]; then
		bad="$bad $n(host $host, container ${ctr:-none})"
	fi
done
grep -qx 'pid1 1' "$OUT/t-ns.out" || bad="$bad pid1($(sed -n 's/^pid1 //p' "$OUT/t-ns.out"))"
grep -qx 'hostname t-ns' "$OUT/t-ns.out" || bad="$bad hostname($(sed -n 's/^hostname //p' "$OUT/t-ns.out"))"
if [ "$RC" -eq 0 ] && [ -z "$bad" ]; then
	ok "namespaces: pid mnt uts ipc net differ from the VM's, the command is PID 1, hostname = name"
else
	echo "differs wrongly:$bad; exit $RC" >>"$OUT/t-ns.err"
	not_ok "namespaces: pid mnt uts ipc net differ from the VM's, the command is PID 1, hostname = name" "$OUT/t-ns.out" "$OUT/t-ns.err"
fi
cgns=$(sed -n 's/^cgroup //p' "$OUT/t-ns.out")
if [ -z "$cgns" ]; then
	:
elif [ "$cgns" = "$(readlink /proc/1/ns/cgroup)" ]; then
	note "the container shares the VM's cgroup namespace"
else
	note "the container has its own cgroup namespace"
fi

# 8. pivot_root: / is the rootfs, the VM's root is gone; and --no-pivot (chroot)
for how in pivot nopivot; do
	opt=--explain
	[ $how = nopivot ] && opt=--no-pivot
	run_ctr "t-$how" "$opt" "$ROOTFS" /bin/sh -c \
		'test -e /husk-vm-rootfs && echo rootfs-marker; test -e /husk-vm-guest && echo guest-marker; ls /; cat /proc/1/mountinfo'
	what="pivot_root: / is the rootfs and the VM's root is not reachable"
	[ $how = nopivot ] && what="--no-pivot (chroot): / is the rootfs"
	if [ "$RC" -eq 0 ] && grep -qx rootfs-marker "$OUT/t-$how.out" && ! grep -qx guest-marker "$OUT/t-$how.out" &&
		{ [ $how = nopivot ] || grep -q pivot_root "$OUT/t-$how.err"; }; then
		ok "$what"
	else
		echo "exit $RC" >>"$OUT/t-$how.err"
		not_ok "$what" "$OUT/t-$how.out" "$OUT/t-$how.err"
	fi
done

# where a container's start goes under TCG: husk's own account of each step
grep -q pivot_root "$OUT/t-pivot.err" && sed 's/^/# explain: /' "$OUT/t-pivot.err"

# 9. exit statuses (docker's)
run_ctr t-exit3 "$ROOTFS" /bin/sh -c 'exit 3'
r3=$RC
run_ctr t-exit127 "$ROOTFS" /no/such/command
r127=$RC
run_ctr t-exit125 --memory lots "$ROOTFS" /bin/true
r125=$RC
if [ "$r3" -eq 3 ] && [ "$r127" -eq 127 ] && [ "$r125" -eq 125 ]; then
	ok "exit statuses: the command's 3, 127 for a missing command, 125 for a bad option"
else
	echo "got $r3 $r127 $r125, want 3 127 125" >>"$OUT/t-exit3.err"
	not_ok "exit statuses: the command's 3, 127 for a missing command, 125 for a bad option" \
		"$OUT/t-exit3.err" "$OUT/t-exit127.err" "$OUT/t-exit125.err"
fi

# 10. device rules (v1: the devices cgroup, v2: an eBPF device program): a node
# made with mknod (CAP_MKNOD is in the default set) opens only if it is a standard
# one; /dev/null's numbers as the control (so that nodev or the like is not what
# refuses), /dev/kmsg's (1:11) as the refused one
run_ctr t-dev "$ROOTFS" /bin/sh -c 'mknod /tmp/n c 1 3 && mknod /tmp/k c 1 11 &&
	echo x >/tmp/n && echo "null: ok"; cat /tmp/k 2>&1 | head -n 1; rm -f /tmp/n /tmp/k'
if [ "$RC" -eq 0 ] && grep -qx 'null: ok' "$OUT/t-dev.out" &&
	grep -q 'Operation not permitted' "$OUT/t-dev.out"; then
	ok "device rules: a mknod'ed 1:3 opens, a mknod'ed 1:11 (kmsg) is refused (EPERM)"
else
	not_ok "device rules: a mknod'ed 1:3 opens, a mknod'ed 1:11 (kmsg) is refused (EPERM)" \
		"$OUT/t-dev.out" "$OUT/t-dev.err"
fi

# 11. a published port on the VM's loopback: the eBPF connect redirect where a
# cgroup2 hierarchy is mounted (v2, hybrid), the userspace forwarder where not (v1).
# The first bridge container makes the kernel load the nf_tables modules on demand
# (13 s of a 22 s start under TCG at load 19): up to 120 s for the first answer
case $MODE in
v1) want_path="userspace forwarder" cg2= ;;
v2) want_path="eBPF connect redirect" cg2=/sys/fs/cgroup ;;
*) want_path="eBPF connect redirect" cg2=/sys/fs/cgroup/unified ;;
esac
bpf_progs() { [ -z "$cg2" ] || cgroup-bpf "$cg2" | grep husk_ports; }
mkdir -p "$ROOTFS/www"
echo "served-in-$MODE" >"$ROOTFS/www/index.html"
timeout -s KILL 150 "$HUSK" run --explain --init --name t-port -p 127.0.0.1:18080:8080 "$ROOTFS" \
	/usr/sbin/httpd -f -p 8080 -h /www >"$OUT/t-port.out" 2>"$OUT/t-port.err" &
PORT_PID=$!
got='' tries=0 t0=$(now_ms)
while [ "$(now_ms)" -lt $((t0 + 120000)) ] && kill -0 "$PORT_PID" 2>/dev/null; do
	tries=$((tries + 1))
	# (busybox nc: the static busybox's wget crashes in getaddrinfo)
	got=$(printf 'GET /index.html HTTP/1.0\r\n\r\n' | nc -w 2 127.0.0.1 18080 2>"$OUT/t-port.wget" | tail -n 1) &&
		[ -n "$got" ] && break
	sleep 0.1
done
note "-p: $tries tries in $(($(now_ms) - t0)) ms; the last: $(cat "$OUT/t-port.wget")"
progs_running=$(bpf_progs)
kill -TERM "$PORT_PID" 2>/dev/null
wait "$PORT_PID"
{
	echo "got: '$got'"
	echo "programs while it ran: $progs_running"
	echo "programs after: $(bpf_progs)"
	grep -E "^(ok|warn) +-p on loopback" "$OUT/check.out"
	ip link show husk0 2>&1
	grep -v "mount\|mknod\|nft '\|rmdir\|mkdir\|cgroup.procs" "$OUT/t-port.err"
} >"$OUT/t-port.sum"
if [ "$got" = "served-in-$MODE" ] && grep -Eq "^ok +-p on loopback +$want_path" "$OUT/check.out" &&
	{ [ -z "$cg2" ] || { echo "$progs_running" | grep -q '^connect4 husk_ports' && [ -z "$(bpf_progs)" ]; }; } &&
	! ip link show husk0 >/dev/null 2>&1; then
	ok "-p 127.0.0.1:18080:8080: httpd answers through the $want_path; nothing of it is left"
else
	not_ok "-p 127.0.0.1:18080:8080: httpd answers through the $want_path; nothing of it is left" \
		"$OUT/t-port.sum"
fi

# 11b. v2: rootless husk (uid 1000, no setuid) on a cgroup subtree delegated to it,
# as systemd's user@UID.service is: --memory 50M goes on <subtree>/husk/<name>, the
# container runs in its leaf ctr (its cgroup namespace's root, all it can reach), so a
# 200M allocation is OOM killed (137) and it cannot raise the limit from inside
if [ "$MODE" = v2 ]; then
	D=/sys/fs/cgroup/hkt-deleg
	mkdir -p "$D/shell" /tmp/hkt-rl
	echo "+memory +pids +cpu" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	echo "+memory +pids +cpu" >"$D/cgroup.subtree_control"
	chown 1000:1000 "$D" "$D/cgroup.procs" "$D/cgroup.subtree_control" "$D/cgroup.threads" \
		"$D/shell" "$D/shell/cgroup.procs" /tmp/hkt-rl
	chmod 755 /tmp/hkt-rl
	as_user() {
		# shellcheck disable=SC2016 # $$ is the inner shell's
		timeout -s KILL 60 sh -c 'echo $$ >"$0/shell/cgroup.procs" && exec "$@"' "$D" \
			runas 1000 1000 \
			env XDG_RUNTIME_DIR=/tmp/hkt-rl HOME=/tmp "$HUSK" run --network none "$@"
	}
	# (the leaf has no memory.max of its own: the limit is its parent's, out of reach)
	as_user --name t-rl-a -m 50M "$ROOTFS" /bin/sh -c 'id -u; cat /proc/self/cgroup; ls /sys/fs/cgroup/memory.max 2>/dev/null || echo no-own-limit; echo 1000000000 >/sys/fs/cgroup/memory.max && echo raised; cat /proc/self/uid_map' \
		>"$OUT/t-rl-a.out" 2>"$OUT/t-rl-a.err"
	RC_A=$?
	as_user --name t-rl-b -m 50M "$ROOTFS" /memhog 200 >"$OUT/t-rl-b.out" 2>"$OUT/t-rl-b.err"
	RC_B=$?
	# with newuidmap and a subuid range (run.sh puts both in), the range is mapped and
	# both containers were made in the namespace of the husk-userns left running
	HELD=ok
	if [ -u /usr/bin/newuidmap ]; then
		HOLDER=$(ps -o pid,comm | awk '$2 == "husk-userns" { print $1 }')
		grep -q "^ *1 *300000 *65536$" "$OUT/t-rl-a.out" && [ -n "$HOLDER" ] ||
			HELD="no range or no holder (${HOLDER:-none}; $(ps -o pid,user,comm | tr '\n' ';'))"
		[ -z "$HOLDER" ] || kill "$HOLDER"
		i=0
		while [ -n "$HOLDER" ] && [ -d "/proc/$HOLDER" ] && ! grep -q '^State:.*Z' "/proc/$HOLDER/status" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	if [ "$RC_A" -eq 0 ] && [ "$(sed -n 1p "$OUT/t-rl-a.out")" = 0 ] &&
		[ "$(sed -n 2p "$OUT/t-rl-a.out")" = "0::/" ] &&
		[ "$(sed -n 3p "$OUT/t-rl-a.out")" = no-own-limit ] && ! grep -q raised "$OUT/t-rl-a.out" &&
		grep -q "Read-only file system" "$OUT/t-rl-a.err" &&
		grep -q "^ *0 *1000 *1$" "$OUT/t-rl-a.out" && ! grep -q warning "$OUT/t-rl-a.err" &&
		[ "$RC_B" -eq 137 ] && grep -q "out of memory (limit 50M)" "$OUT/t-rl-b.err" &&
		[ ! -e "$D/husk" ] && [ -z "$(ls /tmp/hkt-rl/husk 2>/dev/null)" ] && [ "$HELD" = ok ]; then
		ok "v2 delegated to uid 1000: rootless husk limits its container (OOM at 50M), which cannot raise it; with a subuid range, in the namespace husk-userns holds"
	else
		echo "rc a=$RC_A b=$RC_B; held: $HELD; $D: $(find "$D" -maxdepth 3 -type d | tr '\n' ' ')" >"$OUT/t-rl.sum"
		not_ok "v2 delegated to uid 1000: rootless husk limits its container (OOM at 50M), which cannot raise it; with a subuid range, in the namespace husk-userns holds" \
			"$OUT/t-rl.sum" "$OUT/t-rl-a.out" "$OUT/t-rl-a.err" "$OUT/t-rl-b.err"
	fi
	rmdir "$D/shell" "$D" 2>/dev/null
	rm -rf /tmp/hkt-rl
fi

# 11c. v2: the OCI face as engines drive it: moby's device rules (deny all first,
# then allows: an eBPF program), a nested cgroupsPath with cpuset, cpu shares and an
# io weight (each level below the root passes the controllers on); create, start,
# the limits read from the host while it runs, delete leaves no cgroup
if [ "$MODE" = v2 ]; then
	B=/tmp/hkt-oci
	mkdir -p "$B"
	rm -f "$SYNC/oci-ready" "$SYNC/oci-stop"
	cat >"$B/config.json" <<EOF
{ "ociVersion": "1.0.2",
  "process": { "terminal": false, "user": { "uid": 0, "gid": 0 }, "cwd": "/",
    "args": ["/bin/sh", "-c", "head -c 1 /dev/zero | wc -c; mknod /dev/k c 1 11 && cat /dev/k 2>&1 | head -n 1; touch /vmt/oci-ready; i=0; while [ ! -e /vmt/oci-stop ] && [ \$i -lt 1500 ]; do sleep 0.05; i=\$((i + 1)); done"],
    "env": ["PATH=/bin:/sbin:/usr/bin"],
    "capabilities": { "bounding": ["CAP_MKNOD"], "effective": ["CAP_MKNOD"], "permitted": ["CAP_MKNOD"] } },
  "root": { "path": "$ROOTFS" },
  "mounts": [ { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"] } ],
  "linux": { "cgroupsPath": "/hkt-oci/nested/ctr",
    "resources": { "devices": [ { "allow": false, "access": "rwm" },
        { "allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm" },
        { "allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm" } ],
      "cpu": { "cpus": "0", "mems": "0", "shares": 512 }, "blockIO": { "weight": 300 } },
    "namespaces": [ { "type": "pid" }, { "type": "mount" }, { "type": "ipc" }, { "type": "uts" },
      { "type": "network" } ] } }
EOF
	C=/sys/fs/cgroup/hkt-oci/nested/ctr
	timeout -s KILL 60 "$HUSK" create --bundle "$B" hkt-oci </dev/null >"$OUT/t-oci.out" 2>"$OUT/t-oci.err"
	RC_C=$?
	timeout -s KILL 30 "$HUSK" start hkt-oci >>"$OUT/t-oci.err" 2>&1
	wait_file "$SYNC/oci-ready" 30
	cpus=$(cat "$C/cpuset.cpus" 2>&1)
	weight=$(cat "$C/cpu.weight" 2>&1)
	io=ok
	if grep -qw io /sys/fs/cgroup/cgroup.controllers; then
		grep -q "default 300" "$C/io.weight" 2>/dev/null || io="io.weight: $(cat "$C/io.weight" 2>&1)"
	fi
	touch "$SYNC/oci-stop"
	for _ in $(seq 200); do
		"$HUSK" state hkt-oci 2>/dev/null | grep -q '"status": *"stopped"' && break
		sleep 0.05
	done
	"$HUSK" delete --force hkt-oci >>"$OUT/t-oci.err" 2>&1
	echo "create rc $RC_C; cpuset.cpus '$cpus'; cpu.weight '$weight'; $io" >"$OUT/t-oci.sum"
	if [ "$RC_C" -eq 0 ] && [ "$(sed -n 1p "$OUT/t-oci.out")" = 1 ] &&
		grep -q "Operation not permitted" "$OUT/t-oci.out" && [ "$cpus" = 0 ] &&
		[ "$weight" = 20 ] && [ "$io" = ok ] && [ ! -e /sys/fs/cgroup/hkt-oci ] &&
		[ ! -e /run/husk/hkt-oci ]; then
		ok "v2 OCI bundle: moby's device rules hold (/dev/zero reads, a mknod'ed kmsg is EPERM); cpuset.cpus 0, cpu.weight 20, io weight 300 on a nested cgroupsPath; delete leaves nothing"
	else
		not_ok "v2 OCI bundle: moby's device rules, cpuset, cpu and io limits on a nested cgroupsPath" \
			"$OUT/t-oci.sum" "$OUT/t-oci.out" "$OUT/t-oci.err"
	fi
	rm -rf "$B" "$SYNC/oci-ready" "$SYNC/oci-stop"
fi

# 12. nothing remains: no husk cgroup, no state, no extra mount, no stray process
left=
for d in $(cg_dirs '*'); do
	[ -e "$d" ] && left="$left $d"
done
for d in /run/husk/*; do
	[ -e "$d" ] && left="$left $d"
done
MOUNTS_AFTER=$(wc -l </proc/self/mountinfo)
[ "$MOUNTS_AFTER" -eq "$MOUNTS_BEFORE" ] || left="$left mounts:$MOUNTS_BEFORE->$MOUNTS_AFTER"
# (busybox timeout's watcher outlives its command by up to 1 s: not counted)
strays=$(ps -o pid,args | awk '$2 ~ /(husk|forker|memhog|spin|noclone3)$/ || /[v]mt\/stop-/')
[ -z "$strays" ] || left="$left processes: $strays"
if [ -z "$left" ]; then
	ok "nothing left behind: no husk cgroup, no /run/husk entry, no new mount, no process"
else
	echo "left behind:$left" >"$OUT/leftovers"
	not_ok "nothing left behind: no husk cgroup, no /run/husk entry, no new mount, no process" "$OUT/leftovers"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
