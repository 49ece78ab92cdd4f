#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2154  # single quotes are for the container's shell; bats sets $stderr
# rootless.bats — husk run by an unprivileged user, no setuid bit (issue #16). The file
# creates its own user (useradd, a /etc/subuid and /etc/subgid range) and removes it
# afterwards. The caller's uid is 0 in the container, its subuid range 1..65536
# (newuidmap/newgidmap); state in $XDG_RUNTIME_DIR/husk; no cgroup on a host that
# cannot delegate one; the network is slirp4netns (-p to curl on the host). Images in
# its ~/.local/share/husk ($RL_OPEN/uhome), unpacked with their owners.

load helpers

setup_file() {
	[[ $EUID -eq 0 ]] || skip "needs root (to create the test user)"
	command -v newuidmap >/dev/null || skip "newuidmap missing (Debian's uidmap)"
	RL_USER=hkt-rl-$$
	export RL_USER
	useradd -M -d /nonexistent -s /bin/sh "$RL_USER"
	# a range of our own where useradd gave none (its SUB_UID_* settings)
	grep -q "^$RL_USER:" /etc/subuid || echo "$RL_USER:1900000000:65536" >>/etc/subuid
	grep -q "^$RL_USER:" /etc/subgid || echo "$RL_USER:1900000000:65536" >>/etc/subgid
	RL_OPEN=$(mktemp -d /tmp/hkt-rootless.XXXXXX)
	chmod 755 "$RL_OPEN"
	export RL_OPEN
	# the binary where the user can reach it (the work tree may be closed to it)
	cp "$HUSK" "$RL_OPEN/husk"
	chmod 755 "$RL_OPEN/husk"
	install -d -m 700 -o "$RL_USER" "$RL_OPEN/run"
	# the user's own rootfs: its files are root's in the container
	cp -a "$(rootfs_busybox)/." "$RL_OPEN/rootfs/" 2>/dev/null || { mkdir -p "$RL_OPEN/rootfs" && cp -a "$(rootfs_busybox)/." "$RL_OPEN/rootfs/"; }
	chown -R "$RL_USER:" "$RL_OPEN/rootfs"
	install -d -m 700 -o "$RL_USER" "$RL_OPEN/uhome"
	rl_archives
	# slirp4netns opens /dev/net/tun as the user: Debian's udev makes it 0666, a
	# machine without udev may not (tun_open/tun_close: shared by concurrent runs)
	tun_open
}

# /dev/net/tun open to users while any run of this file needs it: the first one in
# saves the mode, the last one out puts it back (a count under a lock, as several
# suites may run on one machine)
TUN_STATE=/tmp/hkt-tun
tun_open() {
	(
		flock 9
		local n
		n=$(cat "$TUN_STATE.count" 2>/dev/null || echo 0)
		((n > 0)) || stat -c %a /dev/net/tun >"$TUN_STATE.mode"
		echo $((n + 1)) >"$TUN_STATE.count"
		chmod 666 /dev/net/tun
	) 9</dev/net/tun # the device itself is the lock: no lock file left
}
tun_close() {
	(
		flock 9
		local n
		n=$(cat "$TUN_STATE.count" 2>/dev/null || echo 1)
		if ((n <= 1)); then
			[[ -f $TUN_STATE.mode ]] && chmod "$(cat "$TUN_STATE.mode")" /dev/net/tun
			rm -f "$TUN_STATE.count" "$TUN_STATE.mode"
		else
			echo $((n - 1)) >"$TUN_STATE.count"
		fi
	) 9</dev/net/tun # the device itself is the lock: no lock file left
}

# $RL_OPEN/bb.tar: the busybox rootfs, root's, plus /home/app (and its file f) of
# uid:gid 1000:1000; $RL_OPEN/bb2.tar: a docker-archive (made by hand) of that layer
# and one deleting /etc/group (a whiteout), replacing /usr (an opaque dir) and adding a
# device node (/etc/null)
rl_archives() {
	local t=$BATS_FILE_TMPDIR/rl-arch l2=$BATS_FILE_TMPDIR/rl-l2 d1 d2 c
	mkdir -p "$t" "$l2/etc" "$l2/usr/share" "$BATS_FILE_TMPDIR/rl-app/home/app"
	echo by-app >"$BATS_FILE_TMPDIR/rl-app/home/app/f"
	tar -C "$(rootfs_busybox)" --owner 0 --group 0 -cf "$RL_OPEN/bb.tar" .
	tar -C "$BATS_FILE_TMPDIR/rl-app" --owner 1000 --group 1000 -rf "$RL_OPEN/bb.tar" ./home
	: >"$l2/etc/.wh.group"
	: >"$l2/usr/.wh..wh..opq"
	echo replaced >"$l2/usr/share/marker"
	mknod "$l2/etc/null" c 1 3
	tar -C "$l2" --owner 0 --group 0 -cf "$t/l2.tar" etc usr
	cp "$RL_OPEN/bb.tar" "$t/l1.tar"
	d1=$(sha256sum "$t/l1.tar" | cut -d' ' -f1)
	d2=$(sha256sum "$t/l2.tar" | cut -d' ' -f1)
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
		"$d1" "$d2" >"$t/config"
	c=$(sha256sum "$t/config" | cut -d' ' -f1)
	mv "$t/config" "$t/$c.json"
	printf '[{"Config":"%s.json","RepoTags":["localhost/rl:2"],"Layers":["l1.tar","l2.tar"]}]' "$c" >"$t/manifest.json"
	tar -C "$t" -cf "$RL_OPEN/bb2.tar" "$c.json" l1.tar l2.tar manifest.json
	chmod 644 "$RL_OPEN/bb.tar" "$RL_OPEN/bb2.tar"
}

teardown_file() {
	registry_stop
	[[ -n ${RL_OPEN:-} ]] || return 0
	tun_close
	holder_stop
	userdel "$RL_USER" 2>/dev/null || true
	sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
	rm -rf "$RL_OPEN"
}

setup() {
	husk_setup
	RL_UID=$(id -u "$RL_USER")
	RL_SUB=$(awk -F: -v u="$RL_USER" '$1 == u { print $2; exit }' /etc/subuid)
}

teardown() {
	# whatever a failed test left of the user's
	rlhusk ps -a --format '{{.Name}}' 2>/dev/null | while read -r n; do rlhusk rm -f "$n" >/dev/null 2>&1; done
	rlhusk list -q 2>/dev/null | while read -r n; do rlhusk delete --force "$n" >/dev/null 2>&1; done
	husk_teardown
	# husk-userns lingers by design (holder.h): ended here, so each test starts without it
	holder_stop
	# zombies aside (an exited monitor waits for this machine's init to reap it)
	local left
	left=$(ps -u "$RL_USER" -o stat=,pid=,args= | awk '$1 !~ /^Z/' || true)
	[ -z "$left" ] || { echo "processes of $RL_USER left: $left"; return 1; }
}

# the user's husk-userns holders, alive (not zombies): pids
holders() {
	ps -u "$RL_USER" -o stat=,pid=,comm= | awk '$1 !~ /^Z/ && $3 == "husk-userns" { print $2 }'
}
holder_stop() {
	local p
	for p in $(holders); do kill -TERM "$p" 2>/dev/null || true; done
	wait_for 10 "husk-userns to end" eval '[ -z "$(holders)" ]'
}

# a command as the test user (VAR=VALUE first for more of its environment), its state
# in its own runtime dir, its images in its home's ~/.local/share/husk
rlrun() {
	runuser -u "$RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$RL_OPEN/uhome" \
		XDG_RUNTIME_DIR="$RL_OPEN/run" "$@"
}
rlhusk() {
	rlrun "$RL_OPEN/husk" "$@"
}

words() {
	local -a w
	read -ra w <<<"$1"
	echo "${w[*]}"
}

@test "rootless: no setuid bit; the caller's uid is 0 inside, its subuid range 1..65536" {
	[[ $(stat -c %A "$RL_OPEN/husk") != *s* ]]
	run --separate-stderr rlhusk run --rm --network none "$RL_OPEN/rootfs" \
		sh -c 'id -u; cat /proc/self/uid_map /proc/self/gid_map; stat -c %u /bin/busybox'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(words "${lines[1]}")" = "0 $RL_UID 1" ]
	[ "$(words "${lines[2]}")" = "1 $RL_SUB 65536" ]
	[ "${lines[-1]}" = 0 ] # the user's files are root's in there
	# state in $XDG_RUNTIME_DIR/husk, gone afterwards; nothing in /run/husk of ours
	[ ! -e "$RL_OPEN/run/husk" ]
}

@test "rootless: containers are made in the namespace husk-userns holds (newuidmap once), which ends when idle; HUSK_USERNS_LINGER" {
	local r=$RL_OPEN/rootfs h ns1
	run --separate-stderr rlhusk run --rm --explain --network none "$r" readlink /proc/self/ns/user
	[ "$status" -eq 0 ]
	ns1=${lines[-1]}
	h=$(holders)
	[ -n "$h" ] && [ "$(wc -w <<<"$h")" -eq 1 ]
	[ "$(readlink "/proc/$h/ns/user")" = "$ns1" ]
	# the holder has the maps: 0 -> the user, 1.. -> its subuid range
	[ "$(words "$(sed -n 1p "/proc/$h/uid_map")")" = "0 $RL_UID 1" ]
	[ "$(words "$(sed -n 2p "/proc/$h/uid_map")")" = "1 $RL_SUB 65536" ]
	# a second container joins it: the same namespace, the same holder, no newuidmap
	run --separate-stderr rlhusk run --rm --explain --network none "$r" sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$ns1" ]
	[ "$(words "${lines[2]}")" = "1 $RL_SUB 65536" ]
	[ "$(holders)" = "$h" ]
	[[ $stderr == *"the user namespace of husk-userns"* ]]
	[[ $stderr != *newuidmap\ [0-9]* ]]
	# 0: a new namespace of its own, with the same maps, written by the helpers
	run --separate-stderr rlrun HUSK_USERNS_LINGER=0 "$RL_OPEN/husk" run --rm --explain --network none "$r" sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$ns1" ]
	[ "$(words "${lines[2]}")" = "1 $RL_SUB 65536" ]
	[[ $stderr == *"newuidmap "[0-9]* ]]
	run --separate-stderr rlrun HUSK_USERNS_LINGER=soon "$RL_OPEN/husk" run --rm --network none "$r" true
	[ "$status" -eq 125 ]
	[[ $stderr == *"HUSK_USERNS_LINGER 'soon'"* ]]
	# linger 1 s: kept while a container is in the namespace, ended once none is
	holder_stop
	rlrun HUSK_USERNS_LINGER=1 "$RL_OPEN/husk" run -d --name rl-hold --network none "$r" sleep 600 2>/dev/null
	h=$(holders)
	[ -n "$h" ]
	sleep 3 # three lingers: the holder must stay, a process is in its namespace
	[ "$(holders)" = "$h" ]
	rlhusk rm -f rl-hold
	wait_for 15 "husk-userns to end once idle" eval '[ -z "$(holders)" ]'
}

@test "rootless: a husk-userns socket that another uid holds is not used: said once, the container gets a namespace of its own" {
	local r=$RL_OPEN/rootfs name sq
	rlhusk run --rm --network none "$r" true 2>/dev/null
	name=$(awk '$NF ~ /^@husk-userns\/'"$RL_UID"'\// { print substr($NF, 2); exit }' /proc/net/unix)
	[ -n "$name" ]
	holder_stop
	# root takes the name first
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(b"\0" + sys.argv[1].encode())
s.listen(8)
print("bound", flush=True)
time.sleep(60)' "$name" >"$BATS_TEST_TMPDIR/sq.out" &
	sq=$!
	wait_for 10 "the squatter to bind" grep -q bound "$BATS_TEST_TMPDIR/sq.out"
	run --separate-stderr rlhusk run --rm --network none "$r" sh -c 'id -u; cat /proc/self/uid_map'
	kill "$sq"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(words "${lines[2]}")" = "1 $RL_SUB 65536" ]
	[[ $stderr == *"@$name is uid 0's, not yours: not used"* ]]
	[ "$(grep -c 'husk-userns' <<<"$stderr")" -eq 1 ]
	[ -z "$(holders)" ]
}

@test "rootless: no cgroup here: a limit is an error that says why; without one, one warning" {
	run --separate-stderr rlhusk run --rm --network none -m 100M "$RL_OPEN/rootfs" true
	[ "$status" -eq 125 ]
	[[ $stderr == "husk: --memory: a rootless container cannot have cgroup limits here: "* ]]
	run --separate-stderr rlhusk run --rm --network none --pids-limit 10 "$RL_OPEN/rootfs" true
	[ "$status" -eq 125 ]
	[[ $stderr == *"--pids-limit"* ]]
	run --separate-stderr rlhusk run --rm --network none "$RL_OPEN/rootfs" echo hi
	[ "$status" -eq 0 ] && [ "$output" = hi ]
	[ "$(grep -c 'warning: rootless' <<<"$stderr")" -eq 1 ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
}

@test "rootless: files made inside belong to the user (root) and to its subuid range (uid 1)" {
	run --separate-stderr rlhusk run --rm --network none "$RL_OPEN/rootfs" sh -c 'touch /tmp/by-root; chown 1:1 /tmp/by-root && touch /tmp/x && chown 1000 /tmp/x'
	[ "$status" -eq 0 ]
	[ "$(stat -c %u "$RL_OPEN/rootfs/tmp/by-root")" -eq $((RL_SUB)) ]
	[ "$(stat -c %u "$RL_OPEN/rootfs/tmp/x")" -eq $((RL_SUB + 999)) ]
	run --separate-stderr rlhusk run --rm --network none --userns keep-id "$RL_OPEN/rootfs" sh -c 'id -u; touch /tmp/keep'
	[ "$status" -eq 0 ] && [ "$output" = "$RL_UID" ]
	[ "$(stat -c %u "$RL_OPEN/rootfs/tmp/keep")" -eq "$RL_UID" ]
	rm -f "$RL_OPEN/rootfs/tmp/by-root" "$RL_OPEN/rootfs/tmp/x" "$RL_OPEN/rootfs/tmp/keep"
}

@test "rootless: detached, exec, logs, ps, stop, rm: the user's own containers only" {
	local n root_ctr
	n=$(cname rl)
	root_ctr=$(cname root)
	"$HUSK" run -d --name "$root_ctr" --network none "$(rootfs_busybox)" sleep 60 >/dev/null
	rlhusk run -d --name "$n" --network none "$RL_OPEN/rootfs" sh -c 'echo started; exec sleep 60' 2>/dev/null
	wait_for 10 "the user's container" eval "rlhusk ps | grep -q '$n'"
	run rlhusk exec "$n" sh -c 'id -u; ps | grep -c sleep'
	[ "$status" -eq 0 ] && [ "${lines[0]}" = 0 ]
	run rlhusk logs "$n"
	[ "$output" = started ]
	# the user sees its own container, not root's; root's husk does not list the user's
	run rlhusk ps -a
	[[ $output == *"$n"* ]] && [[ $output != *"$root_ctr"* ]]
	run "$HUSK" ps -a
	[[ $output == *"$root_ctr"* ]] && [[ $output != *"$n"* ]]
	run --separate-stderr rlhusk stop "$root_ctr"
	[ "$status" -ne 0 ] && [[ $stderr == *"no such container: $root_ctr"* ]]
	run --separate-stderr rlhusk exec "$root_ctr" true
	[ "$status" -ne 0 ]
	run rlhusk stop -t 1 "$n"
	[ "$status" -eq 0 ]
	run rlhusk rm "$n"
	[ "$status" -eq 0 ]
	"$HUSK" rm -f "$root_ctr" >/dev/null
	[ ! -e "$RL_OPEN/run/husk/$n" ]
}

@test "rootless: -p through slirp4netns reaches the container; the helper goes with it" {
	local n port=32480
	n=$(cname web)
	mkdir -p "$RL_OPEN/rootfs/www"
	echo healthy >"$RL_OPEN/rootfs/www/health"
	chown -R "$RL_USER:" "$RL_OPEN/rootfs/www"
	rlhusk run -d --name "$n" -p "$port:8080" "$RL_OPEN/rootfs" httpd -f -p 8080 -h /www 2>/dev/null
	run curl -s --retry 30 --retry-connrefused --retry-delay 0 --max-time 10 "http://127.0.0.1:$port/health"
	[ "$output" = healthy ]
	pgrep -u "$RL_USER" -x slirp4netns
	run rlhusk exec "$n" sh -c 'ip -4 addr show tap0 | grep -o "inet [0-9.]*"; cat /etc/resolv.conf'
	[ "${lines[0]}" = "inet 10.0.2.100" ] && [ "${lines[1]}" = "nameserver 10.0.2.3" ]
	rlhusk rm -f "$n" >/dev/null
	wait_for 5 "slirp4netns gone" eval "! pgrep -u '$RL_USER' -x slirp4netns >/dev/null"
	rm -rf "$RL_OPEN/rootfs/www"
}

@test "rootless: a SIGKILLed monitor takes the container and slirp4netns along" {
	local n mon
	n=$(cname k)
	rlhusk run -d --name "$n" -p 32481:8080 "$RL_OPEN/rootfs" sleep 60 2>/dev/null
	wait_for 10 "slirp4netns" pgrep -u "$RL_USER" -x slirp4netns
	mon=$(pgrep -u "$RL_USER" -f "husk run -d --name $n")
	kill -KILL "$mon"
	wait_for 5 "slirp4netns gone (its --exit-fd closed)" eval "! pgrep -u '$RL_USER' -x slirp4netns >/dev/null"
	wait_for 5 "the container gone" eval "! pgrep -u '$RL_USER' -x sleep >/dev/null"
	rlhusk rm -f "$n" >/dev/null
}

@test "rootless: the container cannot raise its limits or reach the host's" {
	run --separate-stderr rlhusk run --rm --network none "$RL_OPEN/rootfs" sh -c '
		echo 1 >/proc/sys/kernel/pid_max 2>/dev/null && echo proc-written
		ls /sys/fs/cgroup | wc -l
		ulimit -n 1048576 2>/dev/null && echo raised
		ls /proc | grep -c "^[0-9]"'
	[ "$status" -eq 0 ]
	[[ $output != *proc-written* ]] && [[ $output != *raised* ]]
	[ "${lines[0]}" = 0 ] # no cgroup of its own to write to
	[ "${lines[1]}" -le 3 ] # its own processes only
}

@test "rootless: --userns auto and --network bridge are refused with a reason; --overlay works" {
	run --separate-stderr rlhusk run --rm --userns auto "$RL_OPEN/rootfs" true
	[ "$status" -eq 125 ] && [[ $stderr == *"--userns auto: only as root"* ]]
	run --separate-stderr rlhusk run --rm --network bridge "$RL_OPEN/rootfs" true
	[ "$status" -eq 125 ] && [[ $stderr == *"a rootless container cannot join husk0"* ]]
	# a copy-on-write layer over the user's rootfs: writes go to the upper dir, gone with --rm
	run -0 --separate-stderr rlhusk run --rm --network none --overlay "$RL_OPEN/rootfs" sh -c 'echo w >/ov; cat /ov; stat -c %u /bin/busybox'
	[ "${lines[*]}" = "w 0" ]
	[ ! -e "$RL_OPEN/rootfs/ov" ]
	[ ! -e "$RL_OPEN/run/husk" ]
}

@test "rootless: ./run-fastapi.sh run --rootless serves /health through -p, and stops clean" {
	local rootfs=$HUSK_TEST_CACHE/rootfs-debootstrap port=32490 pid
	(
		flock 9
		"$HUSK_SRC/scripts/build-rootfs.sh" "$rootfs" --method debootstrap >&2
	) 9>"$HUSK_TEST_CACHE/.lock-debootstrap"
	# the script and the app where the user can read them (the work tree may be closed)
	mkdir -p "$RL_OPEN/src/scripts"
	cp "$HUSK_SRC/run-fastapi.sh" "$RL_OPEN/src/"
	cp -r "$HUSK_SRC/scripts/lib" "$RL_OPEN/src/scripts/"
	cp -r "$HUSK_SRC/app" "$RL_OPEN/src/"
	chmod -R a+rX "$RL_OPEN/src"
	runuser -u "$RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent \
		XDG_RUNTIME_DIR="$RL_OPEN/run" HUSK="$RL_OPEN/husk" ROOTFS="$rootfs" \
		"$RL_OPEN/src/run-fastapi.sh" run --rootless -p "$port" \
		>"$BATS_TEST_TMPDIR/fastapi.out" 2>&1 &
	pid=$!
	wait_for 60 "/health through slirp4netns" eval \
		"[[ \$(curl -fsS -m 1 http://127.0.0.1:$port/health 2>/dev/null) == '{\"status\":\"ok\"}' ]]"
	# uvicorn runs as the user's uid on the host, as root inside
	local app
	app=$(pgrep -u "$RL_USER" -f 'uvicorn --app-dir /app' | head -n1)
	[ -n "$app" ]
	grep -q '^0 ' <(awk '{ print $1 " " $2 }' "/proc/$app/uid_map")
	kill -TERM "$pid"
	wait_for 30 "run-fastapi.sh to stop" eval "! kill -0 $pid 2>/dev/null"
	grep -q 'exited with status 0' "$BATS_TEST_TMPDIR/fastapi.out"
	wait_for 5 "slirp4netns gone" eval "! pgrep -u '$RL_USER' -x slirp4netns >/dev/null"
	[ -z "$(ls -A "$RL_OPEN/run/husk" 2>/dev/null)" ]
	rm -rf "$RL_OPEN/run/husk-fastapi-logs-"*
}

# rootless podman runs its OCI runtime as uid 0 of its own user namespace, with no
# user namespace in config.json: husk must take that uid 0 for what it is
@test "rootless: podman --runtime husk runs a container as the test user" {
	command -v podman >/dev/null || skip "podman is not installed"
	"$RL_OPEN/husk" create --help >/dev/null 2>&1 || skip "this husk has no OCI face (husk create)"
	local home=$RL_OPEN/home
	install -d -m 700 -o "$RL_USER" "$home"
	local archive
	archive=$(oci_archive)
	cp "$archive" "$RL_OPEN/busybox-oci.tar"
	chmod 644 "$RL_OPEN/busybox-oci.tar"
	pm() {
		runuser -u "$RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" \
			XDG_RUNTIME_DIR="$RL_OPEN/run" podman --runtime "$RL_OPEN/husk" "$@"
	}
	run pm load -i "$RL_OPEN/busybox-oci.tar"
	[ "$status" -eq 0 ]
	local img
	img=$(pm images -q | head -n1)
	[ -n "$img" ]
	run --separate-stderr pm run --rm --network none "$img" sh -c 'id -u; cat /proc/self/uid_map'
	local st=$status out=$output err=$stderr
	# --network host: no network namespace of the container's, so no sysfs mount in
	# a user namespace: the host's /sys is bound read-only instead (as crun does)
	run --separate-stderr pm run --rm --network host "$img" sh -c 'ls /sys/class/net | grep -c .; touch /sys/x 2>&1; true'
	local st2=$status out2=$output err2=$stderr
	# podman's pause process keeps its user namespace: ended here, by its pid file
	local pause
	pause=$(cat "$RL_OPEN/run/libpod/tmp/pause.pid" 2>/dev/null || true)
	[ -z "$pause" ] || kill -KILL "$pause" 2>/dev/null || true
	echo "podman: status $st, stderr: $err; --network host: status $st2, stderr: $err2"
	[ "$st" -eq 0 ] && [ "$st2" -eq 0 ]
	[ "$(sed -n 1p <<<"$out2")" -ge 1 ] && [[ $out2 == *"Read-only file system"* ]]
	[ "$(sed -n 1p <<<"$out")" = 0 ]
	[ "$(words "$(sed -n 2p <<<"$out")")" = "0 $RL_UID 1" ]
	rm -rf "$home" "$RL_OPEN/busybox-oci.tar"
}

# the user's store: no layer, image or staging dir left, and nothing of a subuid (the
# user can remove what stays, its blobs, alone)
rl_store_is_empty() {
	local s=$1
	[ -z "$(find "$s/layers" "$s/images" "$s/tmp" -mindepth 1 2>/dev/null)" ] ||
		fail "store not empty: $(find "$s" -mindepth 2 | head)"
	[ -z "$(find "$s" ! -user "$RL_USER")" ] || fail "not the user's: $(find "$s" ! -user "$RL_USER" | head)"
}

@test "rootless: import into ~/.local/share/husk; the layer's owners hold inside; writes in the upper dir; rm and rmi leave nothing" {
	local store=$RL_OPEN/uhome/.local/share/husk layer up
	# husk check, as the user, tries a rootless overlay where the store will be
	run rlhusk check
	[[ $output == *"ok   rootless images        overlay in a user namespace with userxattr"*" on $RL_OPEN/uhome"* ]]
	[[ -z $(find "$RL_OPEN/uhome" -name '.husk-check-rootless.*') ]]
	run -0 --separate-stderr rlhusk import "$RL_OPEN/bb.tar" rl:1
	[[ $output =~ ^sha256:[0-9a-f]{64}$ ]]
	[ -z "$stderr" ]
	run -0 rlhusk images
	[[ ${lines[1]} == "rl "*" 1 "* ]]
	# on disk: root's files are the user's, uid 1000's are its subuid's (container ids)
	layer=$(find "$store/layers" -mindepth 1 -maxdepth 1 -type d)
	[ "$(stat -c %u:%g "$layer/bin/busybox")" = "$RL_UID:$(id -g "$RL_USER")" ]
	[ "$(stat -c %u:%g "$layer/home/app/f")" = "$((RL_SUB + 999)):$((RL_SUB + 999))" ]
	run -0 --separate-stderr rlhusk run --rm --network none rl:1 sh -c \
		'stat -c %u:%g /bin/busybox /home/app /home/app/f; cat /home/app/f'
	[ "${lines[*]}" = "0:0 1000:1000 1000:1000 by-app" ]
	# the container's writes are in its upper dir (a directory of uid 1000 there, that
	# the user alone cannot empty), the layer untouched
	run -0 rlhusk run -d --name hkt-rl-img --network none rl:1 sh -c \
		'echo w >/home/app/g; mkdir /home/app/d && touch /home/app/d/x && chown -R 1000:1000 /home/app/d &&
		 chmod 500 /home/app/d && touch /ready; sleep 600'
	up=$RL_OPEN/run/husk/hkt-rl-img/layer/upper
	wait_for 10 "the container's writes" test -e "$up/ready"
	[ "$(cat "$up/home/app/g")" = w ]
	[ ! -e "$layer/home/app/g" ]
	[ "$(stat -c %u:%a "$up/home/app/d")" = "$((RL_SUB + 999)):500" ]
	# keep-id maps other ids than the layer's: refused, one line
	run --separate-stderr rlhusk run --rm --network none --userns keep-id rl:1 true
	[ "$status" -eq 125 ]
	[[ $stderr == "husk: --userns keep-id with image rl:1: not supported"* ]]
	run -0 rlhusk rm -f hkt-rl-img
	[ ! -e "$RL_OPEN/run/husk" ]
	run -0 rlhusk rmi rl:1
	rl_store_is_empty "$store"
}

@test "rootless: a multi-layer image: its whiteout and its opaque dir hold; image prune removes the layers" {
	local store=$RL_OPEN/uhome/.local/share/husk top
	run -0 --separate-stderr rlhusk load -i "$RL_OPEN/bb2.tar"
	[[ $output == "Loaded image: localhost/rl:2 (sha256:"* ]]
	# a user namespace makes no device node: left out, said once
	[[ $stderr == "husk: warning: rootless: device node 'etc/null' (and any other in the image) is not stored"* ]]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	# both overlay mount paths: fsconfig (Linux 6.8+) and mount(2)'s option string
	for how in fsconfig legacy; do
		run -0 --separate-stderr rlrun HUSK_OVERLAY_MOUNT=$how "$RL_OPEN/husk" run --rm --network none localhost/rl:2 sh -c \
			'ls /usr; cat /usr/share/marker; test -e /etc/group || echo no-group; stat -c %u /home/app/f; test -e /etc/passwd && echo passwd'
		[ "${lines[*]}" = "share replaced no-group 1000 passwd" ]
	done
	# in the store: a 0:0 character device, and the opaque mark a user may set
	top=$(jq -r '.[0].layers[1]' <<<"$(rlhusk image inspect localhost/rl:2)")
	top=$store/layers/${top#sha256:}
	[ -c "$top/etc/group" ]
	[ ! -e "$top/etc/null" ]
	[ "$(stat -c %t:%T "$top/etc/group")" = 0:0 ]
	python3 -c 'import os,sys; sys.exit(os.getxattr(sys.argv[1], "user.overlay.opaque") != b"y")' "$top/usr"
	run -0 rlhusk rmi localhost/rl:2
	run -0 rlhusk image prune
	rl_store_is_empty "$store"
}

@test "rootless: without a subuid range the layer's other owners become the user's, said once" {
	local store=$RL_OPEN/xdg/husk layer
	# no newuidmap on PATH: only the user's own id is mapped; $XDG_DATA_HOME wins
	mkdir -p "$RL_OPEN/nohelpers"
	install -d -m 700 -o "$RL_USER" "$RL_OPEN/xdg"
	run -0 --separate-stderr rlrun PATH="$RL_OPEN/nohelpers" XDG_DATA_HOME="$RL_OPEN/xdg" \
		"$RL_OPEN/husk" import "$RL_OPEN/bb.tar" rl:flat
	[ "$(grep -c 'is not mapped' <<<"$stderr")" -eq 1 ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == "husk: warning: rootless: uid 1000 (gid 1000) of './home/"* ]]
	layer=$(find "$store/layers" -mindepth 1 -maxdepth 1 -type d)
	[ "$(stat -c %u "$layer/home/app/f")" -eq "$RL_UID" ]
	run -0 rlhusk images # the store of $HOME has no such image
	[[ $output != *flat* ]]
	# the container maps that one id too: the layer is root's in there
	run -0 --separate-stderr rlrun PATH="$RL_OPEN/nohelpers" XDG_DATA_HOME="$RL_OPEN/xdg" \
		"$RL_OPEN/husk" run --rm --network none rl:flat sh -c 'cat /proc/self/uid_map; stat -c %u /home/app/f /bin/busybox'
	[ "$(words "${lines[0]}")" = "0 $RL_UID 1" ]
	[ "${lines[*]:1}" = "0 0" ]
	run -0 rlrun XDG_DATA_HOME="$RL_OPEN/xdg" "$RL_OPEN/husk" rmi rl:flat
	rl_store_is_empty "$store"
	rm -rf "$RL_OPEN/xdg"
	# a home the user cannot write: one line naming the store, 125
	run --separate-stderr rlrun HOME=/nonexistent "$RL_OPEN/husk" import "$RL_OPEN/bb.tar" rl:nohome
	[ "$status" -eq 125 ]
	[[ $stderr == "husk: image store /nonexistent/.local/share/husk: "* ]]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
}

@test "rootless: pull from a local registry into the user's store, run it, rmi and prune leave nothing" {
	local store=$RL_OPEN/uhome/.local/share/husk ref layer
	registry_start
	ref=127.0.0.1:$REG_PORT/rl/bb:2
	skopeo copy -q --dest-tls-verify=false "docker-archive:$RL_OPEN/bb2.tar" "docker://$ref"
	run -0 --separate-stderr rlhusk pull --insecure -q "$ref"
	[[ $output =~ ^sha256:[0-9a-f]{64}$ ]]
	run -0 --separate-stderr rlhusk run --rm --network none "$ref" sh -c 'ls /usr; stat -c %u:%g /home/app/f'
	[ "${lines[*]}" = "share 1000:1000" ]
	layer=$(jq -r '.[0].layers[0]' <<<"$(rlhusk image inspect "$ref")")
	[ "$(stat -c %u "$store/layers/${layer#sha256:}/home/app/f")" -eq $((RL_SUB + 999)) ]
	run -0 rlhusk rmi "$ref"
	run -0 rlhusk image prune
	rl_store_is_empty "$store"
	registry_stop
}

@test "rootless OCI: a pod as the user: B joins A's user, network, IPC and UTS namespaces by path, with a mount and PID namespace of its own; delete leaves nothing" {
	"$RL_OPEN/husk" create --help >/dev/null 2>&1 || skip "this husk has no OCI face (husk create)"
	local b=$RL_OPEN/pod pid ns want got
	install -d -m 755 -o "$RL_USER" "$b" "$b/a" "$b/b"
	rlrun sh -c "cd '$b/a' && '$RL_OPEN/husk' spec --rootless"
	jq --arg r "$RL_OPEN/rootfs" '.root = {path: $r, readonly: true} | .process.terminal = false
		| .process.args = ["sleep", "1000"] | .hostname = "pod-a"
		| .linux.namespaces += [{type: "network"}]' "$b/a/config.json" >"$b/c.json"
	install -m 644 -o "$RL_USER" "$b/c.json" "$b/a/config.json"
	rlhusk create --bundle "$b/a" hkt-rl-a </dev/null >/dev/null 2>"$b/a.err" 3>&- || fail "create A: $(cat "$b/a.err")"
	pid=$(rlhusk state hkt-rl-a | jq -r .pid)
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ]
	# B: A's user namespace (so no maps of its own), network, IPC, UTS by path
	jq --arg p "/proc/$pid/ns" 'del(.linux.uidMappings, .linux.gidMappings, .hostname)
		| .process.args = ["sh", "-c", "for n in user net ipc uts pid mnt; do readlink /proc/self/ns/$n; done; hostname; id -u; echo pid $$"]
		| .linux.namespaces = [{type: "user", path: ($p + "/user")}, {type: "network", path: ($p + "/net")},
			{type: "ipc", path: ($p + "/ipc")}, {type: "uts", path: ($p + "/uts")}, {type: "pid"}, {type: "mount"}]' \
		"$b/a/config.json" >"$b/c.json"
	install -m 644 -o "$RL_USER" "$b/c.json" "$b/b/config.json"
	rlhusk create --bundle "$b/b" hkt-rl-b </dev/null >"$b/b.out" 2>"$b/b.err" 3>&- || fail "create B: $(cat "$b/b.err")"
	rlhusk start hkt-rl-b
	wait_for 10 "B to stop" eval '[ "$(rlhusk state hkt-rl-b | jq -r .status)" = stopped ]'
	cat "$b/b.out"
	want=
	for ns in user net ipc uts; do want+="$(readlink "/proc/$pid/ns/$ns") "; done
	got=$(head -4 "$b/b.out" | tr '\n' ' ')
	[ "$got" = "$want" ]
	# its own PID and mount namespaces, not A's; A's hostname; root inside
	[ "$(sed -n 5p "$b/b.out")" != "$(readlink "/proc/$pid/ns/pid")" ]
	[ "$(sed -n 6p "$b/b.out")" != "$(readlink "/proc/$pid/ns/mnt")" ]
	[ "$(sed -n 7,9p "$b/b.out" | tr '\n' ' ')" = "pod-a 0 pid 1 " ]
	rlhusk delete hkt-rl-b
	rlhusk delete --force hkt-rl-a
	run rlhusk state hkt-rl-a
	[ "$status" -ne 0 ]
	[ -z "$(find "$RL_OPEN/run/husk" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null)" ]
	# gone, or a zombie waiting for this machine's init (no monitor of husk's is its parent)
	[[ ! -e /proc/$pid || $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) == Z ]] || fail "A's init $pid is still alive"
	rm -rf "$b"
}
