#!/usr/bin/env bats
# containerd.bats — containerd 1.6 (the path Kubernetes takes) runs containers on
# husk: `ctr run --runc-binary husk` hands husk to the io.containerd.runc.v2 shim
# as its BinaryName, as a RuntimeClass does (docs/kubernetes.md). One containerd for
# the file (CRI plugin off), in a scratch network + mount namespace (engines.bash),
# root, state and sockets private; the image is an OCI archive made offline from
# the busybox rootfs. The last tests do what a CRI pod needs without a cluster: a
# second container joining the first one's network, IPC and UTS namespaces by path.

# shellcheck disable=SC2016 # the single-quoted scripts run in the container
# shellcheck disable=SC2154 # output, status, lines: set by bats' run
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load engines

IMG=docker.io/library/hkt-busybox:latest

setup_file() {
	skip_unless_installed containerd containerd
	skip_unless_installed ctr containerd
	engine_setup ctr
	CTR_SOCK=$ENGINE_DIR/containerd.sock
	export CTR_SOCK
	cat >"$ENGINE_DIR/config.toml" <<-EOF
		version = 2
		root = "$ENGINE_DIR/root"
		state = "$ENGINE_DIR/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTR_SOCK"
		[ttrpc]
		  address = "$CTR_SOCK.ttrpc"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$ENGINE_DIR/opt"
	EOF
	engine_start containerd --config "$ENGINE_DIR/config.toml"
	wait_for 30 "containerd to answer" c version
	if [[ $ENGINE_CGROUP_MODE == v2 ]] && ! in_ns grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
		CTR_CPU_SHARES=0
		export CTR_CPU_SHARES
	fi
	c images import "$(oci_archive)" >/dev/null
}

teardown_file() {
	local id
	if [[ -n ${CTR_SOCK:-} ]] && [[ -S $CTR_SOCK ]]; then
		for id in $(c task ls -q 2>/dev/null); do c task kill -s KILL "$id" 2>/dev/null || true; done
		for id in $(c containers ls -q 2>/dev/null); do
			c task delete -f "$id" >/dev/null 2>&1 || true
			c containers delete "$id" >/dev/null 2>&1 || true
		done
	fi
	engine_stop
}

# what a failed test left, so that the next tests (and the final check) see only their own
teardown() {
	[[ -S ${CTR_SOCK:-} ]] || return 0
	local id
	for id in $(c task ls -q 2>/dev/null); do c task kill -s KILL "$id" 2>/dev/null || true; done
	for id in $(c containers ls -q 2>/dev/null); do
		c task delete -f "$id" >/dev/null 2>&1 || true
		c containers delete "$id" >/dev/null 2>&1 || true
	done
}

# ctr against this file's containerd, in a namespace named like the cgroup parent
# (ctr's default cgroupsPath is /NAMESPACE/ID); in containerd's mount namespace,
# where its /run is (ctr makes the stdio fifos in /run/containerd/fifo)
c() {
	in_ns ctr --address "$CTR_SOCK" --namespace "$ENGINE_CGROUP" "$@"
}

# ctr run sets cpu shares (1024) unless told 0: on a cgroup2 without the cpu
# controller (HUSK_ENGINE_CGROUP=v2 on a hybrid host) husk, as runc, then fails to
# write cpu.weight
crun_() {
	c run --runc-binary "$RUNTIME" ${CTR_CPU_SHARES:+--cpu-shares "$CTR_CPU_SHARES"} "$@"
}

task_status() {
	c task ls | awk -v id="$1" '$1 == id { print $3 }'
}

@test "ctr run --runc-binary husk: echo" {
	run crun_ --rm "$IMG" hkt-echo echo hello-from-containerd
	[[ $status -eq 0 ]]
	[[ $output == hello-from-containerd ]]
}

@test "ctr run: the container's exit code" {
	run crun_ --rm "$IMG" hkt-exit sh -c 'exit 7'
	[[ $status -eq 7 ]]
}

@test "ctr run -t: a terminal through the console socket" {
	skip_unless_installed script bsdutils
	# ctr -t wants a terminal of its own: script(1) gives it one
	run script -qec "nsenter -t $ENGINE_PID -n -m ctr --address $CTR_SOCK --namespace $ENGINE_CGROUP run --runc-binary $RUNTIME ${CTR_CPU_SHARES:+--cpu-shares $CTR_CPU_SHARES} --rm -t $IMG hkt-tty tty" /dev/null
	[[ $status -eq 0 ]]
	[[ $output == */dev/pts/* ]]
}

@test "ctr run -d; ctr task exec; ctr task ps; pause/resume; kill; delete" {
	crun_ -d "$IMG" hkt-d sh -c 'trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'
	wait_for 20 "hkt-d running" eval '[[ $(task_status hkt-d) == RUNNING ]]'
	run c task exec --exec-id e1 hkt-d sh -c 'echo "from-exec $(id -u)"'
	[[ $status -eq 0 ]]
	[[ $output == "from-exec 0" ]]
	run c task ps hkt-d
	[[ $status -eq 0 ]]
	# a header and at least the init
	[[ ${#lines[@]} -ge 2 ]]
	local pid
	pid=$(c task ls | awk '$1 == "hkt-d" { print $2 }')
	[[ $output == *"$pid"* ]]
	c task pause hkt-d
	[[ $(task_status hkt-d) == PAUSED ]]
	if [[ $ENGINE_CGROUP_MODE == v2 ]]; then
		# the v2 freezer: cgroup.freeze of the container's own cgroup
		[[ $(in_ns cat "/sys/fs/cgroup/$ENGINE_CGROUP/hkt-d/cgroup.freeze") == 1 ]]
		[[ $(grep '^0::' "/proc/$pid/cgroup") == "0::/$ENGINE_CGROUP/hkt-d" ]]
	fi
	c task resume hkt-d
	[[ $(task_status hkt-d) == RUNNING ]]
	c task kill -s TERM hkt-d
	wait_for 20 "hkt-d stopped" eval '[[ $(task_status hkt-d) == STOPPED ]]'
	c task delete hkt-d
	c containers delete hkt-d
	run ! kill -0 "$pid"
}

@test "a pod: a second container joins the first one's network, IPC and UTS namespaces by path" {
	crun_ -d "$IMG" hkt-pause sh -c 'nc -l -p 9000 >/tmp/got; sleep 1000'
	wait_for 20 "hkt-pause running" eval '[[ $(task_status hkt-pause) == RUNNING ]]'
	local pid ns want
	pid=$(c task ls | awk '$1 == "hkt-pause" { print $2 }')
	want=
	for ns in net ipc uts; do want+="$(readlink "/proc/$pid/ns/$ns") "; done
	want+=$(c task exec --exec-id e1 hkt-pause hostname)
	run crun_ --rm --with-ns "network:/proc/$pid/ns/net" --with-ns "ipc:/proc/$pid/ns/ipc" \
		--with-ns "uts:/proc/$pid/ns/uts" "$IMG" hkt-member sh -c '
			echo "$(readlink /proc/self/ns/net) $(readlink /proc/self/ns/ipc) $(readlink /proc/self/ns/uts) $(hostname)"
			echo over-loopback >/tmp/line # a file, not a pipe (docker.bats says why)
			for i in $(seq 50); do nc 127.0.0.1 9000 </tmp/line && exit 0; usleep 100000; done; exit 1'
	[[ $status -eq 0 ]]
	[[ ${lines[0]} == "$want" ]]
	wait_for 10 "the pause container to get the message" eval \
		'c task exec --exec-id e2 hkt-pause cat /tmp/got | grep -q over-loopback'
	c task kill -s KILL hkt-pause
	wait_for 20 "hkt-pause stopped" eval '[[ $(task_status hkt-pause) == STOPPED ]]'
	c task delete hkt-pause
	c containers delete hkt-pause
}

@test "containerd stops and leaves no task, shim, process or cgroup" {
	run c task ls -q
	[[ -z $output ]]
	engine_stop
	assert_engine_clean
}
