#!/usr/bin/env bats
# podman.bats — podman 4.3 (conmon) runs containers on husk, named in containers.conf
# ([engine.runtimes] husk) and with --runtime PATH. Podman has no daemon: each
# command runs in a scratch network + mount namespace held by one process
# (engines.bash), with private storage, run root, tmp dir and network config; the
# image is `podman import`ed offline from the busybox rootfs.

# shellcheck disable=SC2016 # the single-quoted scripts run in the container
# shellcheck disable=SC2154 # output, status, lines: set by bats' run
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load engines

IMG=localhost/hkt-busybox

setup_file() {
	skip_unless_installed podman podman
	engine_setup podman
	mkdir -p "$ENGINE_DIR/net"
	# podman's defaults (nofile, nproc 1048576) are above this machine's hard limits
	cat >"$ENGINE_DIR/containers.conf" <<-EOF
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
		[engine]
		runtime = "husk"
		cgroup_manager = "cgroupfs"
		events_logger = "none"
		[engine.runtimes]
		husk = ["$RUNTIME"]
	EOF
	export CONTAINERS_CONF=$ENGINE_DIR/containers.conf
	# the namespaces' holder: podman's conmons and containers join them; CNI's
	# configuration, IPAM and cache, and podman's blob cache get a tmpfs there
	ENGINE_TMPFS="/etc/cni/net.d /var/lib/cni /var/lib/containers" engine_start sleep infinity
	# podman sets pids.max (2048) unless told 0: a cgroup2 without the pids
	# controller (HUSK_ENGINE_CGROUP=v2 on a hybrid host) has no such file
	if [[ $ENGINE_CGROUP_MODE == v2 ]] && ! in_ns grep -qw pids /sys/fs/cgroup/cgroup.controllers; then
		sed -i 's/^\[containers\]$/&\npids_limit = 0/' "$CONTAINERS_CONF"
	fi
	pm import "$(image_tar)" hkt-busybox >/dev/null
}

teardown_file() {
	if [[ -n ${ENGINE_DIR:-} && -d $ENGINE_DIR ]]; then
		pm rm -a -f -t 0 >/dev/null 2>&1 || true
	fi
	engine_stop
}

# what a failed test left, so that the next tests (and the final check) see only their own
teardown() {
	[[ -d ${ENGINE_DIR:-} ]] || return 0
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
}

# podman with this file's private storage, in the scratch namespaces
pm() {
	in_ns podman --root "$ENGINE_DIR/storage" --runroot "$ENGINE_DIR/runroot" \
		--tmpdir "$ENGINE_DIR/tmp" --network-config-dir "$ENGINE_DIR/net" "$@"
}

pm_run() {
	pm run --rm --cgroup-parent "/$ENGINE_CGROUP" "$@"
}

@test "podman --runtime PATH run: echo" {
	run pm --runtime "$RUNTIME" run --rm --cgroup-parent "/$ENGINE_CGROUP" "$IMG" echo hello-from-podman
	[[ $status -eq 0 ]]
	[[ $output == hello-from-podman ]]
	if [[ $ENGINE_CGROUP_MODE == v2 ]]; then
		[[ $(pm info --format '{{.Host.CgroupsVersion}}') == v2 ]]
	fi
}

@test "podman run (containers.conf runtime husk): exit codes 7, 127, 126" {
	run pm_run "$IMG" sh -c 'exit 7'
	[[ $status -eq 7 ]]
	run -127 pm_run "$IMG" /no/such/command
	[[ $status -eq 127 ]]
	run -126 pm_run "$IMG" /etc/passwd
	[[ $status -eq 126 ]]
}

@test "podman run -t: a terminal through conmon's console socket" {
	run pm_run -t "$IMG" tty
	[[ $status -eq 0 ]]
	[[ $output == */dev/pts/* ]]
}

@test "podman run --user -e -w, --read-only" {
	run pm_run --user 65534:65534 -e FOO=bar -w /tmp "$IMG" sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g)"'
	[[ $status -eq 0 ]]
	[[ $output == "bar /tmp 65534:65534" ]]
	run pm_run --read-only "$IMG" touch /x
	[[ $status -ne 0 ]]
	[[ $output == *"Read-only file system"* ]]
}

@test "podman run -m 32m: the OOM kill exits 137" {
	engine_needs_controller memory
	run pm_run -m 32m --memory-swap 32m "$IMG" sh -c 'tail /dev/zero'
	[[ $status -eq 137 ]]
}

web_answers() {
	in_ns curl -sf -m 2 http://127.0.0.1:18181/index.html >"$BATS_TEST_TMPDIR/page" &&
		grep -qx served-by-podman "$BATS_TEST_TMPDIR/page"
}

@test "podman run -d -p 18181:80: curl; exec; ps; logs; pause/unpause; stop" {
	pm run -d --name hkt-web --cgroup-parent "/$ENGINE_CGROUP" -p 18181:80 "$IMG" \
		sh -c 'echo web-starting; mkdir -p /www && echo served-by-podman >/www/index.html && exec httpd -f -p 80 -h /www'
	wait_for 20 "httpd through -p 18181:80" web_answers
	run pm exec -u 65534 -e X=from-exec hkt-web sh -c 'echo "$X $(id -u)"'
	[[ $status -eq 0 ]]
	[[ $output == "from-exec 65534" ]]
	run pm ps --format '{{.Names}} {{.Status}}'
	[[ $output == *"hkt-web Up"* ]]
	run pm logs hkt-web
	[[ $output == *web-starting* ]]
	pm pause hkt-web
	run pm inspect -f '{{.State.Status}}' hkt-web
	[[ $output == paused ]]
	run ! in_ns curl -sf -m 1 http://127.0.0.1:18181/index.html
	pm unpause hkt-web
	wait_for 20 "httpd after unpause" web_answers
	local t0 t1
	t0=$(date +%s%N)
	pm stop -t 2 hkt-web
	t1=$(date +%s%N)
	echo "# podman stop -t 2 took $(((t1 - t0) / 1000000)) ms" >&3
	(((t1 - t0) / 1000000 < 5000))
	run pm inspect -f '{{.State.Status}}' hkt-web
	[[ $output == exited ]]
	pm rm hkt-web
}

@test "podman run --userns container:A --network container:A: the second container joins A's user namespace by path (as a pod's do)" {
	local a_user
	pm run -d --name hkt-usera --cgroup-parent "/$ENGINE_CGROUP" --uidmap 0:231072:65536 \
		--gidmap 0:231072:65536 "$IMG" sleep 1000 >/dev/null
	a_user=$(pm exec hkt-usera readlink /proc/self/ns/user)
	[[ $a_user == user:* ]]
	run pm_run --userns container:hkt-usera --network container:hkt-usera "$IMG" \
		sh -c 'readlink /proc/self/ns/user; tr -s " " </proc/self/uid_map; id -u; cat /proc/1/comm'
	[[ $status -eq 0 ]]
	[[ ${lines[0]} == "$a_user" ]]
	[[ ${lines[1]} == " 0 231072 65536" ]]
	[[ ${lines[2]} == 0 ]]
	[[ ${lines[3]} == cat ]] # PID 1 of its own PID namespace (busybox sh execs its last command)
	# once in two CI runs podman's first rm found A's userdata/shm still busy (EBUSY on
	# unlinkat, cause not found; 6 of 6 clean by hand): retried, and said in the TAP
	if ! pm rm -f -t 0 hkt-usera >/dev/null 2>"$BATS_TEST_TMPDIR/rm.err"; then
		sed 's/^/# podman rm, first try: /' "$BATS_TEST_TMPDIR/rm.err" >&3
		wait_for 10 "podman rm hkt-usera" eval 'pm rm -f -t 0 hkt-usera >/dev/null 2>&1'
	fi
}

@test "podman leaves no container, conmon, process or cgroup" {
	run pm ps -aq
	[[ -z $output ]]
	engine_stop
	assert_engine_clean
}
