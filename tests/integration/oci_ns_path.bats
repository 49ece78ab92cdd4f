#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2154  # single quotes are for jq and the container's shell; bats sets $output/$lines
# oci_ns_path.bats — a bundle's namespaces given by path where a user namespace is
# involved, as engines write them: podman's --userns container:A and a Kubernetes
# pod with hostUsers: false (containerd passes the sandbox's /proc/PID/ns/user, with
# its maps, to every container of the pod; the sandbox itself gets a new user
# namespace in the network namespace containerd made as the host's root), and a
# mount namespace given by path (runtime-tools' linux_ns_path). Checked from the
# host: namespace inodes, their owners (lsns' ONS column), maps, host uids; and
# that nothing is left.

load oci_helpers

setup() {
	oci_setup
	# runc's default config, as `husk spec` writes it
	mkdir "$BATS_TEST_TMPDIR/spec"
	"$HUSK" spec --bundle "$BATS_TEST_TMPDIR/spec"
}

teardown() {
	oci_teardown
}

# oci_config [JQ-FILTER] [JQ-ARGS...]: $BUNDLE/config.json, `husk spec`'s config (no
# terminal, a writable root, a cgroup namespace, `sleep 1000`) changed by JQ-FILTER
oci_config() {
	local filter=${1:-.}
	shift || true
	jq "$@" '.process.terminal = false | .root.readonly = false | .hostname = "oci"
		| .process.args = ["sh", "-c", "sleep 1000"] | .linux.namespaces += [{"type": "cgroup"}]
		| '"$filter" "$BATS_TEST_TMPDIR/spec/config.json" >"$BUNDLE/config.json"
}

# the maps of the user namespaces below are 0 -> 231072: that uid must reach the
# bundle (bats makes its directories 0700)
open_bundle() {
	local d=$BUNDLE
	while [[ $d != / ]]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
}

# map_of PID FILE: /proc/PID/FILE (uid_map, gid_map) with the kernel's padding gone
map_of() { tr -s ' ' <"/proc/$1/$2" | sed 's/^ //'; }

# ns_inode PID TYPE: the inode number of a process's namespace ("user:[N]" -> N)
ns_inode() { readlink "/proc/$1/ns/$2" | tr -dc 0-9; }

@test "oci: a container joins another's user, network, IPC and UTS namespaces by path, then its PID one too (a Kubernetes pod with hostUsers: false): its new ones are owned by that user namespace, /proc is its own, exec works; wrong maps or a path of another kind are refused" {
	local a b pa pb t user
	a=$(cname pod)
	b=$(cname ctr)
	open_bundle
	oci_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 231072, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 231072, "size": 65536}]'
	run -0 oci_create "$a" --pid-file "$BATS_TEST_TMPDIR/pa"
	pa=$(cat "$BATS_TEST_TMPDIR/pa")
	user=$(ns_inode "$pa" user)
	# B, as containerd makes a pod's container with hostUsers: false: the sandbox's
	# user, network, IPC and UTS namespaces by path; pid, mount, cgroup its own. The
	# maps are given too, as containerd and CRI-O do: they match
	oci_config '.linux.namespaces = [{"type": "pid"}, {"type": "mount"}, {"type": "cgroup"},
			{"type": "network", "path": "/proc/\($p)/ns/net"}, {"type": "ipc", "path": "/proc/\($p)/ns/ipc"},
			{"type": "uts", "path": "/proc/\($p)/ns/uts"}, {"type": "user", "path": "/proc/\($p)/ns/user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 231072, "size": 65536}]
		| del(.hostname)
		| .process.args = ["sh", "-c", "echo pid $$ $(id -u) $(cat /proc/1/comm); grep -c \" /proc .* - proc \" /proc/self/mountinfo; exec sleep 1000"]' \
		--arg p "$pa"
	run -0 oci_create "$b" --pid-file "$BATS_TEST_TMPDIR/pb"
	pb=$(cat "$BATS_TEST_TMPDIR/pb")
	for t in user net ipc uts; do
		[ "$(ns_inode "$pb" "$t")" = "$(ns_inode "$pa" "$t")" ]
	done
	[ "$(map_of "$pb" uid_map)" = "$(map_of "$pa" uid_map)" ]
	[ "$(map_of "$pb" gid_map)" = "0 231072 65536" ]
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$pb/status")" = 231072 ]
	# its own new namespaces, each owned by the joined user namespace
	for t in mnt pid cgroup; do
		[ "$(ns_inode "$pb" "$t")" != "$(ns_inode "$pa" "$t")" ]
		[ "$(ns_inode "$pb" "$t")" != "$(ns_inode self "$t")" ]
		[ "$(lsns -n -p "$pb" -t "$t" -o ONS | tr -d ' ')" = "$user" ] ||
			fail "$t namespace of $pb not owned by user:[$user]: $(lsns -p "$pb" -o NS,TYPE,ONS)"
	done
	run -0 oci start "$b"
	wait_for 10 "$b's sleep" grep -qx sleep "/proc/$pb/comm"
	# PID 1 of its own PID namespace, root inside, /proc mounted for that namespace
	[ "$(head -1 "$BATS_TEST_TMPDIR/$b.out")" = "pid 1 0 sh" ]
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/$b.out")" = 1 ]
	# exec joins the lot: the same user namespace, root inside it
	run -0 oci exec "$b" sh -c 'readlink /proc/self/ns/user; id -u; cat /proc/1/comm' </dev/null
	[ "${lines[0]}" = "user:[$user]" ] && [ "${lines[1]}" = 0 ] && [ "${lines[2]}" = sleep ]
	run -0 oci delete --force "$b"
	[ ! -e "$OCI_ROOT/$b" ]
	# the pod's PID namespace too (shareProcessNamespace: true): A's processes are seen
	jq --arg p "$pa" '.linux.namespaces = [.linux.namespaces[] | select(.type != "pid")]
		+ [{"type": "pid", "path": "/proc/\($p)/ns/pid"}]
		| .process.args = ["sh", "-c", "cat /proc/1/comm; exec sleep 1000"]' "$BUNDLE/config.json" \
		>"$BATS_TEST_TMPDIR/c" && mv "$BATS_TEST_TMPDIR/c" "$BUNDLE/config.json"
	run -0 oci_create "$b" --pid-file "$BATS_TEST_TMPDIR/pb"
	pb=$(cat "$BATS_TEST_TMPDIR/pb")
	[ "$(ns_inode "$pb" pid)" = "$(ns_inode "$pa" pid)" ] && [ "$(ns_inode "$pb" user)" = "$user" ]
	run -0 oci start "$b"
	wait_for 10 "$b's sleep" grep -qx sleep "/proc/$pb/comm"
	[ "$(head -1 "$BATS_TEST_TMPDIR/$b.out")" = "$(cat "/proc/$pa/comm")" ] # A's PID 1, in B's /proc
	run -0 oci delete --force "$b"
	[ ! -e "$OCI_ROOT/$b" ]
	# maps that are not the namespace's: one line, nothing made
	jq '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
		"$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/c" && mv "$BATS_TEST_TMPDIR/c" "$BUNDLE/config.json"
	run -1 oci_create "$b"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/$b.err")" -eq 1 ]
	[[ $(create_err "$b") == *"linux.uidMappings '0 100000 65536' do not match the maps of the user namespace '/proc/$pa/ns/user' ('0 231072 65536')"* ]]
	[ ! -e "$OCI_ROOT/$b" ]
	# a path that is a namespace of another kind
	jq --arg p "/proc/$pa/ns/net" 'del(.linux.uidMappings) | (.linux.namespaces[] | select(.type == "user")).path = $p' \
		"$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/c" && mv "$BATS_TEST_TMPDIR/c" "$BUNDLE/config.json"
	run -1 oci_create "$b"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/$b.err")" -eq 1 ]
	[[ $(create_err "$b") == *"'/proc/$pa/ns/net' is not a user namespace (it is a network namespace)"* ]]
	[ ! -e "$OCI_ROOT/$b" ]
	run -0 oci delete --force "$a"
	[ ! -e "$OCI_ROOT/$a" ]
}

@test "oci: a new user namespace in a network namespace the host made (a Kubernetes sandbox with hostUsers: false: containerd's netns, then runc's order): joined first, lo left as it is" {
	local id holder pid t
	id=$(cname sandbox)
	open_bundle
	unshare --net sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	holder=$!
	printf '%s\n' "$holder" >>"$BATS_TEST_TMPDIR/.husk-bg"
	wait_for 5 "unshare's network namespace" eval '[ "$(ns_inode "$holder" net)" != "$(ns_inode self net)" ]'
	oci_config '.linux.namespaces += [{"type": "user"}]
		| (.linux.namespaces[] | select(.type == "network")).path = $p
		| .linux.uidMappings = [{"containerID": 0, "hostID": 231072, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 231072, "size": 65536}]
		| .process.args = ["sh", "-c", "id -u; exec sleep 1000"]' \
		--arg p "/proc/$holder/ns/net"
	run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$(ns_inode "$pid" net)" = "$(ns_inode "$holder" net)" ]
	[ "$(map_of "$pid" uid_map)" = "0 231072 65536" ]
	# the new namespaces are owned by the new user namespace, the joined one by the host's
	for t in mnt pid ipc uts cgroup; do
		[ "$(lsns -n -p "$pid" -t "$t" -o ONS | tr -d ' ')" = "$(ns_inode "$pid" user)" ]
	done
	[ "$(lsns -n -p "$pid" -t net -o ONS | tr -d ' ')" = "$(ns_inode self user)" ]
	# lo of the joined namespace is its maker's: still down
	[[ $(nsenter -t "$holder" -n ip -o link show lo) == *"<LOOPBACK>"* ]]
	run -0 oci start "$id"
	wait_for 10 "$id's sleep" grep -qx sleep "/proc/$pid/comm"
	[ "$(head -1 "$BATS_TEST_TMPDIR/$id.out")" = 0 ]
	run -0 oci exec "$id" id -u </dev/null
	[ "$output" = 0 ]
	run -0 oci delete --force "$id"
	[ ! -e "$OCI_ROOT/$id" ]
}

@test "oci: a mount namespace given by path is joined and the root set up inside it (runtime-tools' linux_ns_path); exec finds it" {
	local id holder pid
	id=$(cname oci)
	# a mount namespace of the host's, as the suite makes it
	unshare --mount --propagation private sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	holder=$!
	printf '%s\n' "$holder" >>"$BATS_TEST_TMPDIR/.husk-bg"
	wait_for 5 "unshare's mount namespace" eval '[ "$(ns_inode "$holder" mnt)" != "$(ns_inode self mnt)" ]'
	oci_config '(.linux.namespaces[] | select(.type == "mount")).path = $p | .process.args = ["sleep", "1000"]' \
		--arg p "/proc/$holder/ns/mnt"
	run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$(ns_inode "$pid" mnt)" = "$(ns_inode "$holder" mnt)" ]
	run -0 oci start "$id"
	wait_for 10 "$id's sleep" grep -qx sleep "/proc/$pid/comm"
	# the container's root and its /proc (of its own PID namespace) are in that namespace
	run -0 oci exec "$id" sh -c 'cat /proc/1/comm; readlink /proc/self/ns/mnt' </dev/null
	[ "${lines[0]}" = sleep ] && [ "${lines[1]}" = "mnt:[$(ns_inode "$holder" mnt)]" ]
	run -0 oci delete --force "$id"
	[ ! -e "$OCI_ROOT/$id" ]
}
