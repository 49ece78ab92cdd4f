#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2154  # single quotes are for the container's shell; bats sets $stderr
# userns.bats — user namespaces for root-run containers (issue #16): --userns auto maps
# container ids 0..65535 to a block of host ids of their own from the pool
# (/run/husk/.userns, one flock-held lease per container), the rootfs shown owned by
# the container's root through an idmapped mount. Checked from both sides: the
# container's /proc/self/uid_map and the host's view of its processes and files.

load helpers

setup() {
	husk_setup
	ROOTFS=$(rootfs_busybox)
	unset HUSK_USERNS_POOL
	# bats' own temporary directories are 0700: the mapped root could not reach a
	# volume there, so the volumes live in a directory every uid may enter
	OPEN=$(mktemp -d /tmp/hkt-userns.XXXXXX)
	chmod 755 "$OPEN"
}

teardown() {
	rm -rf "$OPEN"
	husk_teardown
}

# words "  0  1 2" -> "0 1 2" (the kernel pads the columns of uid_map)
words() {
	local -a w
	read -ra w <<<"$1"
	echo "${w[*]}"
}

# host uid of a process
host_uid() { awk '/^Uid:/ { print $2 }' "/proc/$1/status"; }

@test "--userns auto: uid 0 inside is an unprivileged host uid; the rootfs looks root-owned" {
	run --separate-stderr "$HUSK" run --rm --name "$(cname)" --network none --userns auto "$ROOTFS" \
		sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c "%u %g" / /bin/busybox /etc/passwd'
	[ "$status" -eq 0 ]
	read -r ins outs count <<<"${lines[0]}"
	[ "$ins" -eq 0 ] && [ "$count" -eq 65536 ]
	[ "$outs" -ge 2147483648 ] # the default pool
	[ "$(words "${lines[1]}")" = "0 $outs 65536" ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = "0 0" ] && [ "${lines[4]}" = "0 0" ] && [ "${lines[5]}" = "0 0" ]
	# --userns host (the default) keeps the host's ids
	run "$HUSK" run --rm --name "$(cname)" --network none "$ROOTFS" cat /proc/self/uid_map
	[ "$status" -eq 0 ]
	[ "$(words "$output")" = "0 0 4294967295" ]
}

@test "--userns auto: PID 1 runs as the mapped host uid; a file made in a volume is owned by it" {
	local n vol pid
	n=$(cname)
	vol=$OPEN/vol
	mkdir -m 777 "$vol"
	"$HUSK" run -d --name "$n" --network none --userns auto -v "$vol:/vol" "$ROOTFS" \
		sh -c 'touch /vol/made-inside; exec sleep 60' >/dev/null
	wait_running "$n"
	pid=$(container_pid "$n")
	local base
	base=$(awk 'NR == 1 { print $2 }' "/proc/$pid/uid_map")
	[ "$base" -ge 2147483648 ]
	[ "$(host_uid "$pid")" -eq "$base" ]
	wait_for 5 "the file in the volume" test -e "$vol/made-inside"
	[ "$(stat -c %u:%g "$vol/made-inside")" = "$base:$base" ]
	# husk exec enters as the namespace's root too, not as the host's uid 0
	run "$HUSK" exec "$n" sh -c 'id -u; touch /vol/made-by-exec'
	[ "$status" -eq 0 ] && [ "$output" = 0 ]
	[ "$(stat -c %u "$vol/made-by-exec")" -eq "$base" ]
	run "$HUSK" exec -u 1000 "$n" id -u
	[ "$output" = 1000 ]
	"$HUSK" rm -f "$n" >/dev/null
}

@test "--userns auto: the mapped root cannot read or change the host root's files" {
	local vol=$OPEN/hostroot
	mkdir -m 755 "$vol"
	echo secret >"$vol/secret"
	chmod 600 "$vol/secret"
	echo keep >"$vol/owned"
	chmod 644 "$vol/owned"
	run "$HUSK" run --rm --name "$(cname)" --network none --userns auto -v "$vol:/h" "$ROOTFS" \
		sh -c 'cat /h/secret; echo "cat=$?"; echo x >>/h/owned; echo "append=$?"; rm -f /h/owned; echo "rm=$?"; touch /h/new; echo "new=$?"; stat -c %u /h/secret'
	[ "$status" -eq 0 ]
	[[ $output == *"cat=1"* ]] && [[ $output == *"append=1"* ]]
	[[ $output == *"rm=1"* ]] && [[ $output == *"new=1"* ]]
	[[ $output == *"Permission denied"* ]]
	[ "${lines[-1]}" = 65534 ] # the host's root is nobody in there
	[ "$(cat "$vol/owned")" = keep ] && [ ! -e "$vol/new" ]
	# the same with --userns host reads it: the volume itself is not the barrier
	run "$HUSK" run --rm --name "$(cname)" --network none -v "$vol:/h" "$ROOTFS" cat /h/secret
	[ "$output" = secret ]
	# a volume the mapped uid cannot even reach is refused with a reason
	mkdir -m 700 "$BATS_TEST_TMPDIR/closed"
	mkdir "$BATS_TEST_TMPDIR/closed/inner"
	run --separate-stderr "$HUSK" run --rm --name "$(cname)" --network none --userns auto \
		-v "$BATS_TEST_TMPDIR/closed/inner:/c" "$ROOTFS" true
	[ "$status" -eq 125 ]
	[[ $stderr == *"(with --userns the container's root is an unprivileged host uid, and the path must be reachable by it): Permission denied"* ]]
}

@test "--userns auto: two running containers get disjoint blocks; a block comes back after rm" {
	local a b pa pb ba bb
	a=$(cname a)
	b=$(cname b)
	"$HUSK" run -d --name "$a" --network none --userns auto "$ROOTFS" sleep 60 >/dev/null
	"$HUSK" run -d --name "$b" --network none --userns auto "$ROOTFS" sleep 60 >/dev/null
	wait_running "$a"
	wait_running "$b"
	pa=$(container_pid "$a")
	pb=$(container_pid "$b")
	ba=$(awk '{ print $2 }' "/proc/$pa/uid_map")
	bb=$(awk '{ print $2 }' "/proc/$pb/uid_map")
	[ "$ba" -ne "$bb" ]
	# [ba, ba+65536) and [bb, bb+65536) do not meet
	((ba + 65536 <= bb || bb + 65536 <= ba))
	[ -f "/run/husk/.userns/leases/$ba" ] && [ -f "/run/husk/.userns/leases/$bb" ]
	[ "$(cat "/run/husk/.userns/leases/$ba")" = "$a" ]
	"$HUSK" rm -f "$a" >/dev/null
	[ ! -e "/run/husk/.userns/leases/$ba" ]
	"$HUSK" rm -f "$b" >/dev/null
}

@test "--userns auto: a SIGKILLed husk takes its container along and its block is reclaimed" {
	local n pid base
	n=$(cname k)
	husk_bg k run --name "$n" --network none --userns auto "$ROOTFS" sleep 60
	local husk_pid=$BG_PID
	wait_running "$n"
	pid=$(container_pid "$n")
	base=$(awk '{ print $2 }' "/proc/$pid/uid_map")
	[ -f "/run/husk/.userns/leases/$base" ]
	kill -KILL "$husk_pid"
	bg_wait "$husk_pid"
	# the uid change cleared the parent-death signal: husk armed it again
	wait_for 5 "PID 1 gone with its husk" eval "! kill -0 $pid 2>/dev/null"
	# the dead lease is not held: the next container gets the same block
	run "$HUSK" run --rm --name "$(cname)" --network none --userns auto "$ROOTFS" cat /proc/self/uid_map
	[ "$status" -eq 0 ]
	[ "$(words "$output")" = "0 $base 65536" ]
	"$HUSK" rm -f "$n" >/dev/null 2>&1 || true
}

@test "--userns auto: bridge and host networks; /sys bound read-only without a netns; devices work" {
	run "$HUSK" run --rm --name "$(cname)" --userns auto "$ROOTFS" \
		sh -c 'ip -4 addr show eth0 | grep -c inet; cat /etc/hosts | grep -c localhost; echo hi >/dev/null && echo null-ok; head -c4 /dev/zero | wc -c'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ] && [ "${lines[2]}" = null-ok ] && [ "${lines[3]}" = 4 ]
	run "$HUSK" run --rm --name "$(cname)" --network host --userns auto "$ROOTFS" \
		sh -c 'ls /sys/class/net | grep -c lo; touch /sys/x 2>&1; ls /sys/fs/cgroup | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -ge 1 ]
	[[ ${lines[1]} == *"Read-only file system"* ]]
	[ "${lines[2]}" -ge 1 ]
}

@test "--userns: the pool is configurable and a full pool is an error that says so" {
	local a
	a=$(cname a)
	HUSK_USERNS_POOL=3000000000:65536 "$HUSK" run -d --name "$a" --network none --userns auto "$ROOTFS" sleep 60 >/dev/null
	wait_running "$a"
	[ "$(awk '{ print $2 }' "/proc/$(container_pid "$a")/uid_map")" = 3000000000 ]
	HUSK_USERNS_POOL=3000000000:65536 run --separate-stderr "$HUSK" run --rm --name "$(cname)" --network none --userns auto "$ROOTFS" true
	[ "$status" -eq 125 ]
	[[ $stderr == *"no free block of 65536 ids left in the pool 3000000000:65536"* ]]
	"$HUSK" rm -f "$a" >/dev/null
	HUSK_USERNS_POOL=3000000000:10 run --separate-stderr "$HUSK" run --rm --name "$(cname)" --network none --userns auto "$ROOTFS" true
	[ "$status" -eq 125 ]
	[[ $stderr == *"userns pool 3000000000:10"* ]]
}

@test "--userns: bad values; keep-id is for rootless husk; --explain shows the maps" {
	run --separate-stderr "$HUSK" run --rm --userns bogus "$ROOTFS" true
	[ "$status" -eq 125 ]
	[[ $stderr == *"invalid --userns 'bogus': expected host, private, auto or keep-id"* ]]
	run --separate-stderr "$HUSK" run --rm --name "$(cname)" --network none --userns keep-id "$ROOTFS" true
	[ "$status" -eq 125 ]
	[[ $stderr == *"--userns keep-id: only for a rootless husk"* ]]
	run --separate-stderr "$HUSK" run --rm --explain --name "$(cname)" --network none --userns private "$ROOTFS" true
	[ "$status" -eq 0 ]
	[[ $stderr == *"unshare --pid --mount --uts --ipc --net --user"* ]]
	[[ $stderr == *"/uid_map"* ]] && [[ $stderr == *"X-mount.idmap"* ]]
}

@test "husk check: idmapped mounts are tried for real" {
	run "$HUSK" check
	[[ $output == *"idmapped mounts"*"supported on"* ]]
	[[ $output == *"idmapped overlayfs"* ]]
}

@test "--userns auto over an overlay root (images, --overlay): the layers look root's, writes land in the upper dir as the mapped ids" {
	local n out base
	n=$(cname)
	run -0 "$HUSK" run -d --name "$n" --overlay --userns auto --network none "$ROOTFS" sh -c '
		stat -c "bin=%u:%g" /bin; stat -c "root=%u:%g" /
		echo made >/bin/made-here && stat -c "made=%u:%g" /bin/made-here
		cat /proc/self/uid_map >/uid_map; exec sleep 1000'
	wait_for 10 "the container's first lines" test -s "$HUSK_STATE_ROOT/$n/layer/upper/uid_map"
	out=$("$HUSK" logs "$n")
	echo "$out"
	[[ $out == *"bin=0:0"* && $out == *"root=0:0"* && $out == *"made=0:0"* ]]
	base=$(awk '{ print $2 }' "$HUSK_STATE_ROOT/$n/layer/upper/uid_map")
	((base > 0))
	# on the host: the copy-up and the new file belong to the block's first id, the
	# rootfs underneath is untouched, and no mount of it is in the host's table
	[ "$(stat -c %u "$HUSK_STATE_ROOT/$n/layer/upper/bin/made-here")" = "$base" ]
	[ "$(stat -c %u "$HUSK_STATE_ROOT/$n/layer/upper")" = "$base" ]
	[ ! -e "$ROOTFS/bin/made-here" ]
	! findmnt -rn -o TARGET | grep -qF "$HUSK_STATE_ROOT/$n" || false
	run -0 "$HUSK" rm -f "$n"
	[ ! -e "$HUSK_STATE_ROOT/$n" ]
}
