#!/usr/bin/env bats
# cgroup2.bats — husk on cgroup v2, the mode of today's Debian and Ubuntu hosts,
# tested on any host: in a private mount namespace cgroup2 is mounted
# at /sys/fs/cgroup (on this project's hybrid host that is its unified hierarchy,
# which holds hugetlb only: no limits here, the device rules are the point; the
# full v2 runs are in tests/vm/, one container at a time). Two containers at once
# (husk/ is their common parent: the second one's mkdir of it failed with EEXIST).
# A bundle as engines write it starts with a
# deny-all device rule: husk's eBPF device program must load (it did not: the
# blocks after a rule that matches all were unreachable, which the verifier
# refuses) and enforce the rules.

# shellcheck disable=SC2016,SC2154 # single quotes are for the inner shell; bats sets $output

load helpers

setup() {
	husk_setup
	grep -qw cgroup2 /proc/filesystems || skip "no cgroup2 in this kernel"
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$BUNDLE"
	rootfs_copy "$BUNDLE/rootfs" >/dev/null
	OCI_ROOT=$BATS_TEST_TMPDIR/state
}

teardown() {
	husk_teardown
}

# v2_husk SCRIPT: SCRIPT in bash, in a private mount namespace whose /sys/fs/cgroup
# is cgroup2; husk there is $H, its state root $R
v2_husk() {
	H=$HUSK R=$OCI_ROOT B=$BUNDLE unshare --mount --propagation private bash -c \
		'mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 99; '"$1"
}

@test "oci on cgroup2: docker's device rules (deny all, then allows) load as an eBPF program and hold; delete leaves no cgroup" {
	local id
	id=$(cname oci2)
	# what docker 20.10 writes (moby's default device rules), CAP_MKNOD to try one
	jq -n --arg id "$id" '{
		ociVersion: "1.0.2",
		process: { terminal: false, user: { uid: 0, gid: 0 }, cwd: "/",
			args: ["sh", "-c", "head -c 1 /dev/zero | wc -c; mknod /tmp/kmsg c 1 11 && cat /tmp/kmsg 2>&1 | head -1; echo done"],
			env: ["PATH=/usr/bin:/bin"],
			capabilities: { bounding: ["CAP_MKNOD"], effective: ["CAP_MKNOD"], permitted: ["CAP_MKNOD"] } },
		root: { path: "rootfs" },
		mounts: [ { destination: "/proc", type: "proc", source: "proc" },
			{ destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "mode=755"] } ],
		linux: {
			cgroupsPath: ("/hkt-oci2/" + $id),
			resources: { devices: [
				{ allow: false, access: "rwm" },
				{ allow: true, type: "c", major: 1, minor: 5, access: "rwm" },
				{ allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
				{ allow: true, type: "c", major: 136, access: "rwm" },
				{ allow: true, type: "c", major: 5, minor: 2, access: "rwm" },
				{ allow: false, type: "c", major: 10, minor: 200, access: "rwm" } ] },
			namespaces: [ { type: "pid" }, { type: "mount" }, { type: "ipc" }, { type: "uts" }, { type: "network" } ] }
	}' >"$BUNDLE/config.json"
	run v2_husk '
		"$H" --root "$R" create --bundle "$B" '"$id"' </dev/null >"$B/out" 2>&1 || { cat "$B/out"; exit 1; }
		pid=$("$H" --root "$R" state '"$id"' | jq -r .pid)
		echo "cgroup: $(grep "^0::" /proc/$pid/cgroup | cut -d: -f3)"
		"$H" --root "$R" start '"$id"'
		for _ in $(seq 200); do [ "$("$H" --root "$R" state '"$id"' | jq -r .status)" = stopped ] && break; sleep 0.05; done
		cat "$B/out"
		"$H" --root "$R" delete '"$id"'
		[ -e /sys/fs/cgroup/hkt-oci2 ] && echo "left: /sys/fs/cgroup/hkt-oci2"
		true'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"cgroup: /hkt-oci2/$id"* ]]
	# /dev/zero (1:5) is allowed, /dev/kmsg (1:11) is not: EPERM on open
	[[ $output == *$'\n1\n'* ]]
	[[ $output == *"Operation not permitted"* ]]
	[[ $output == *"done"* ]]
	[[ $output != *"left:"* ]]
}

@test "cgroup2: two containers at once share husk/ (the second one failed: mkdir husk: File exists); the last one out removes it" {
	local a b
	a=$(cname v2a)
	b=$(cname v2b)
	run v2_husk '
		"$H" --root "$R" run -d --name '"$a"' --network none "$B/rootfs" sleep 60 || exit 1
		"$H" --root "$R" run --rm --name '"$b"' --network none "$B/rootfs" sh -c "cat /proc/self/cgroup" || exit 2
		ls /sys/fs/cgroup/husk
		"$H" --root "$R" rm -f '"$a"' >/dev/null
		[ -e /sys/fs/cgroup/husk ] && echo "left: /sys/fs/cgroup/husk"
		true'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"0::/"* ]]
	[[ $output == *"$a"* ]]
	[[ $output != *"left:"* ]]
}

@test "cgroup2: exec starts in the container's cgroup (clone3 into it, no cgroup.procs write), for husk exec and OCI exec alike" {
	local a id
	a=$(cname v2x)
	id=$(cname oci2x)
	jq -n '{ ociVersion: "1.0.2",
		process: { user: { uid: 0, gid: 0 }, cwd: "/", args: ["sleep", "60"], env: ["PATH=/usr/bin:/bin"] },
		root: { path: "rootfs" }, mounts: [ { destination: "/proc", type: "proc", source: "proc" } ],
		linux: { cgroupsPath: "/hkt-oci2x/c", namespaces: [ { type: "pid" }, { type: "mount" } ] } }' \
		>"$BUNDLE/config.json"
	command -v strace >/dev/null || skip "strace is not installed (scripts/test.sh installs it)"
	run v2_husk '
		"$H" --root "$R" run -d --name '"$a"' --network none "$B/rootfs" sleep 60 >/dev/null || exit 1
		echo "run: $("$H" --root "$R" exec '"$a"' grep ^0:: /proc/self/cgroup)"
		"$H" --root "$R" rm -f '"$a"' >/dev/null
		"$H" --root "$R" create --bundle "$B" '"$id"' </dev/null >/dev/null 2>&1 || exit 2
		"$H" --root "$R" start '"$id"' || exit 3
		echo "oci: $("$H" --root "$R" exec '"$id"' grep ^0:: /proc/self/cgroup)"
		echo "procs: $(wc -l </sys/fs/cgroup/hkt-oci2x/c/cgroup.procs)"
		# how: clone3 into the cgroup, not a write to its cgroup.procs, which waits
		# for the kernel'"'"'s threadgroup lock (exec took 23-25 ms so here, 5-6 without)
		strace -f -e trace=clone3,openat -o "$B/strace" "$H" --root "$R" exec '"$id"' true
		grep -q "clone3(.*CLONE_INTO_CGROUP" "$B/strace" && echo "exec: clone3 into the cgroup"
		grep "cgroup.procs" "$B/strace"
		"$H" --root "$R" delete --force '"$id"'
		[ -e /sys/fs/cgroup/hkt-oci2x ] && echo "left: /sys/fs/cgroup/hkt-oci2x"
		[ -e /sys/fs/cgroup/husk ] && echo "left: /sys/fs/cgroup/husk"
		true'
	echo "$output"
	[ "$status" -eq 0 ]
	# husk run's containers have a cgroup namespace rooted at their cgroup: "/" is
	# in it (a process outside would read /../..)
	[[ $output == *$'run: 0::/\n'* ]]
	[[ $output == *"oci: 0::/hkt-oci2x/c"* ]]
	[[ $output == *"procs: 1"* ]]
	[[ $output == *"exec: clone3 into the cgroup"* ]]
	[[ $output != *"cgroup.procs"* ]]
	[[ $output != *"left:"* ]]
}
