#!/usr/bin/env bats
# docker.bats — dockerd (Debian 12's docker.io, 20.10) runs its containers on husk:
# daemon.json's "runtimes" entry, `docker run --runtime husk`. Docker never calls
# the runtime itself: containerd's io.containerd.runc.v2 shim does, with husk as
# its BinaryName. One dockerd for the file, in a scratch network + mount namespace
# (engines.bash), its data, exec root and sockets in a private directory; the
# image is imported offline from the busybox rootfs.

# shellcheck disable=SC2016 # the single-quoted scripts run in the container
# shellcheck disable=SC2154 # output, status, lines: set by bats' run
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load engines

IMG=hkt-busybox

setup_file() {
	skip_unless_installed dockerd docker.io
	engine_setup docker
	cat >"$ENGINE_DIR/daemon.json" <<-EOF
		{ "runtimes": { "husk": { "path": "$RUNTIME" } }, "cgroup-parent": "/$ENGINE_CGROUP" }
	EOF
	export DOCKER_HOST=unix://$ENGINE_DIR/docker.sock
	engine_start dockerd --config-file "$ENGINE_DIR/daemon.json" --data-root "$ENGINE_DIR/data" \
		--exec-root "$ENGINE_DIR/exec" --pidfile "$ENGINE_DIR/docker.pid" -H "$DOCKER_HOST"
	wait_for 60 "dockerd to answer" docker info
	docker import - "$IMG" <"$(image_tar)" >/dev/null
}

teardown_file() {
	if [[ -n ${DOCKER_HOST:-} ]]; then
		docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1 || true
	fi
	engine_stop
}

# what a failed test left (hkt-web serves several tests; the last one removes it)
teardown() {
	[[ -S ${DOCKER_HOST#unix://} ]] || return 0
	docker ps -a --format '{{.Names}}' 2>/dev/null | grep -vx hkt-web | xargs -r docker rm -f >/dev/null 2>&1 || true
}

# docker run --rm on the runtime under test ("husk" in daemon.json: husk, or the
# runtime HUSK_ENGINE_RUNTIME names)
dk_run() {
	docker run --rm --runtime husk "$@"
}

# the host's file of a container's memory limit (cgroup v1, or v2)
mem_limit_file() {
	local d
	for d in "/sys/fs/cgroup/memory/$1" "/sys/fs/cgroup/$1"; do
		[[ -f $d/memory.limit_in_bytes ]] && { echo "$d/memory.limit_in_bytes"; return; }
		[[ -f $d/memory.max ]] && { echo "$d/memory.max"; return; }
	done
	return 1
}

@test "docker run --runtime husk: echo" {
	run dk_run "$IMG" echo hello-from-docker
	[[ $status -eq 0 ]]
	[[ $output == hello-from-docker ]]
	if [[ $ENGINE_CGROUP_MODE == v2 ]]; then
		[[ $(docker info --format '{{.CgroupVersion}}') == 2 ]]
	fi
}

@test "docker run: exit codes 7, 127 (no such command), 126 (not executable)" {
	run dk_run "$IMG" sh -c 'exit 7'
	[[ $status -eq 7 ]]
	run -127 dk_run "$IMG" /no/such/command
	[[ $status -eq 127 ]]
	run dk_run "$IMG" /etc/passwd
	[[ $status -eq 126 ]]
}

@test "docker run -t: a terminal through the console socket" {
	run dk_run -t "$IMG" sh -c 'tty; stty size'
	[[ $status -eq 0 ]]
	[[ $output == */dev/pts/* ]]
}

@test "docker run -e -w -u -v" {
	mkdir -p "$BATS_TEST_TMPDIR/vol"
	echo in-volume >"$BATS_TEST_TMPDIR/vol/f"
	run dk_run -e FOO=bar -w /tmp -u 65534:65534 -v "$BATS_TEST_TMPDIR/vol:/vol" "$IMG" \
		sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g) $(cat /vol/f)"'
	[[ $status -eq 0 ]]
	[[ $output == "bar /tmp 65534:65534 in-volume" ]]
}

@test "docker run --read-only: the root cannot be written, a volume can" {
	mkdir -p "$BATS_TEST_TMPDIR/vol"
	run dk_run --read-only -v "$BATS_TEST_TMPDIR/vol:/vol" "$IMG" sh -c 'touch /x'
	[[ $status -ne 0 ]]
	[[ $output == *"Read-only file system"* ]]
	run dk_run --read-only -v "$BATS_TEST_TMPDIR/vol:/vol" "$IMG" sh -c 'touch /vol/x'
	[[ $status -eq 0 ]]
	[[ -e $BATS_TEST_TMPDIR/vol/x ]]
}

@test "docker run --cap-drop ALL: no capability left" {
	run dk_run --cap-drop ALL "$IMG" grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status
	[[ $status -eq 0 ]]
	[[ ${#lines[@]} -eq 3 ]]
	[[ $(grep -Ec ':\s0{16}$' <<<"$output") -eq 3 ]]
}

@test "docker run --network none: only lo" {
	run dk_run --network none "$IMG" sh -c 'ls /sys/class/net'
	[[ $status -eq 0 ]]
	[[ $output == lo ]]
}

@test "docker run -m 32m: the OOM kill exits 137" {
	engine_needs_controller memory
	run dk_run -m 32m --memory-swap 32m "$IMG" sh -c 'tail /dev/zero'
	[[ $status -eq 137 ]]
}

# one detached web server for the tests below
web_start() {
	docker run -d --name "$1" --runtime husk -p 18181:80 "$IMG" \
		sh -c 'mkdir -p /www && echo served-by-docker >/www/index.html && exec httpd -f -p 80 -h /www'
}

web_answers() {
	in_ns curl -sf -m 2 http://127.0.0.1:18181/index.html >"$BATS_TEST_TMPDIR/page" &&
		grep -qx served-by-docker "$BATS_TEST_TMPDIR/page"
}

@test "docker run -d -p 18181:80: httpd answers curl; exec -e -u; top; logs" {
	run web_start hkt-web
	[[ $status -eq 0 ]]
	wait_for 20 "httpd through -p 18181:80" web_answers
	run docker exec -e X=from-exec -u 65534 hkt-web sh -c 'echo "$X $(id -u)"'
	[[ $status -eq 0 ]]
	[[ $output == "from-exec 65534" ]]
	run docker top hkt-web
	[[ $status -eq 0 ]]
	[[ $output == *"httpd -f -p 80"* ]]
	docker run -d --name hkt-log --runtime husk "$IMG" sh -c 'echo log-line-1; echo log-line-2 >&2'
	wait_for 20 "hkt-log to exit" eval '[[ $(docker inspect -f "{{.State.Status}}" hkt-log) == exited ]]'
	run docker logs hkt-log
	[[ $output == *log-line-1* && $output == *log-line-2* ]]
	docker rm hkt-log
}

@test "docker pause/unpause: frozen, then answering again" {
	docker pause hkt-web
	run docker inspect -f '{{.State.Status}}' hkt-web
	[[ $output == paused ]]
	run ! in_ns curl -sf -m 1 http://127.0.0.1:18181/index.html
	docker unpause hkt-web
	wait_for 20 "httpd after unpause" web_answers
}

@test "docker update --memory: the cgroup's limit changes" {
	engine_needs_controller memory
	local id
	id=$(docker inspect -f '{{.Id}}' hkt-web)
	docker update --memory 64m --memory-swap 128m hkt-web
	run docker inspect -f '{{.HostConfig.Memory}}' hkt-web
	[[ $output == 67108864 ]]
	run cat "$(mem_limit_file "$ENGINE_CGROUP/$id")"
	[[ $output == 67108864 ]]
	# and nothing else changed under it (docker sends 0 or "" for every other field)
	wait_for 10 "httpd after the update" web_answers
}

@test "docker stop -t 2: a container ignoring SIGTERM is killed within its time-out" {
	docker run -d --name hkt-stubborn --runtime husk "$IMG" \
		sh -c 'trap "" TERM; echo ready; while :; do sleep 1; done'
	wait_for 20 "hkt-stubborn ready" eval 'docker logs hkt-stubborn | grep -q ready'
	local t0 t1
	t0=$(date +%s%N)
	docker stop -t 2 hkt-stubborn
	t1=$(date +%s%N)
	echo "# docker stop -t 2 took $(((t1 - t0) / 1000000)) ms" >&3
	(((t1 - t0) / 1000000 < 5000))
	run docker inspect -f '{{.State.ExitCode}}' hkt-stubborn
	[[ $output == 137 ]]
	docker rm hkt-stubborn
}

@test "two containers talk over docker's bridge (libnetwork-setkey prestart hook)" {
	docker run -d --name hkt-srv --runtime husk "$IMG" sh -c 'nc -l -p 9000'
	local ip
	ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' hkt-srv)
	[[ $ip =~ ^172\. ]]
	# the line from a file, not a pipe: the listener's stdin is empty, so busybox nc
	# half-closes at once, and a client that sees that FIN before echo has written
	# exits 0 having sent nothing (seen: an empty log); a file is readable at the
	# client's first poll, and busybox nc takes stdin before the socket
	run dk_run "$IMG" sh -c "echo hello-over-docker0 >/tmp/line; for i in \$(seq 50); do nc $ip 9000 </tmp/line && exit 0; usleep 100000; done; exit 1"
	echo "client: status $status, output '$output'" # (shown when the test fails)
	[[ $status -eq 0 ]]
	wait_for 20 "hkt-srv to exit" eval '[[ $(docker inspect -f "{{.State.Status}}" hkt-srv) == exited ]]'
	run docker logs hkt-srv
	echo "server: log '$output', $(docker inspect -f 'exit {{.State.ExitCode}} {{.State.Error}}' hkt-srv)"
	[[ $output == hello-over-docker0 ]]
	docker rm hkt-srv
}

@test "husk run beside this dockerd (FORWARD policy DROP, br_netfilter): two containers on husk0 talk" {
	local r a
	r=$(rootfs_busybox)
	# dockerd sets the policy when it turns ip_forward on; a new namespace inherits
	# the host's ip_forward (another husk's bridge may have it on): set it as dockerd
	# would have
	in_ns iptables -w -P FORWARD DROP
	[[ $(in_ns cat /proc/sys/net/bridge/bridge-nf-call-iptables) == 1 ]]
	in_ns "$HUSK" run --name "hkt-dkh-a-$$" "$r" /bin/sh -c \
		'ip -4 -o addr show eth0; echo reply-from-a | nc -l -p 9000' >"$BATS_TEST_TMPDIR/a.out" 2>&1 &
	a=$!
	wait_output "$BATS_TEST_TMPDIR/a.out" "inet 10\." 20
	local ip
	ip=$(grep -o 'inet [0-9.]*' "$BATS_TEST_TMPDIR/a.out" | cut -d' ' -f2)
	run in_ns iptables -w -S FORWARD
	[[ $output == *"-A FORWARD -i husk0 -m comment --comment husk -j ACCEPT"* ]]
	run in_ns "$HUSK" run --name "hkt-dkh-b-$$" "$r" /bin/sh -c \
		"for i in \$(seq 20); do echo hi | nc -w 2 $ip 9000 | grep -q reply-from-a && exit 0; usleep 100000; done; exit 1"
	[[ $status -eq 0 ]]
	wait "$a"
	# husk's rules went with its last container; docker's are as they were
	run in_ns iptables -w -S FORWARD
	[[ $output != *"comment husk"* ]]
	[[ ${lines[0]} == "-P FORWARD DROP" ]]
	[[ $output == *"-A FORWARD -j DOCKER-USER"* ]]
}

@test "docker rm -f: no container, process or cgroup of docker left; dockerd stops" {
	docker rm -f hkt-web
	run docker ps -aq
	[[ -z $output ]]
	# no container cgroup under the parent (the parent itself goes with engine_stop)
	run find /sys/fs/cgroup -mindepth 2 -path "*/$ENGINE_CGROUP/*" -type d
	[[ -z $output ]]
	engine_stop
	assert_engine_clean
}
