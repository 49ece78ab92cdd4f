#!/usr/bin/env bats
# docker_host.bats — husk's bridge on a host where dockerd has run: iptables'
# FORWARD policy DROP (dockerd sets it when it turns ip_forward on), docker's
# chains, and br_netfilter (bridged frames pass the IPv4 hooks). Containers on husk0
# must still talk to each other and to the world, through husk's two FORWARD rules,
# which go with the last container; on a host without iptables' filter table none is
# created. Each scenario runs in a scratch network and mount namespace (its own
# iptables, nft tables, sysctls, /run and so husk's IPAM), so the real host's
# firewall is never changed; br_netfilter, if this test has to load it, is unloaded.

# shellcheck disable=SC2016 # the single-quoted scripts run in the container
# shellcheck disable=SC2154 # output, status: set by bats' run
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load helpers

setup_file() {
	rootfs_busybox >/dev/null
	# built in, or a module dockerd would load (modprobe br_netfilter)
	if [[ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] && modprobe br_netfilter 2>/dev/null; then
		touch "$BATS_FILE_TMPDIR/br_netfilter-loaded"
	fi
}

teardown_file() {
	if [[ -e $BATS_FILE_TMPDIR/br_netfilter-loaded ]]; then
		rmmod br_netfilter
	fi
}

setup() {
	husk_setup
	command -v iptables-restore >/dev/null || skip "iptables is not installed"
	[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] ||
		skip "br_netfilter is neither built in nor loadable"
	R=$(rootfs_busybox)
}

teardown() {
	husk_teardown
}

# The filter and nat rules dockerd 20.10 (Debian 12's docker.io) left on this
# machine after one start, as iptables-save prints them.
docker_rules() {
	cat <<'EOF'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
COMMIT
EOF
}

# The scenario, run as PID 1's child of a scratch netns + mount ns (unshare).
# $1 = docker|legacy|clean (legacy: docker's rules through iptables-legacy, as a
# dockerd on a host whose iptables is the x_tables one writes them). Prints "step: ..." lines the tests check; exits non-zero at
# the first step that fails.
scratch_host() {
	set -eu
	local mode=$1 before after a b c ip_a ip_c ipt=iptables
	[[ $mode == legacy ]] && ipt=iptables-legacy
	mount -t tmpfs tmpfs /run # husk's IPAM and state, private to this namespace
	ip link set lo up
	echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
	[[ $mode != clean ]] && docker_rules | "$ipt-restore" -w
	before=$("$ipt-save" 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//')
	# "the world": a host at 192.0.2.1 behind a veth, reached through husk0's NAT
	ip netns add world
	ip link add hkt-up type veth peer name up0 netns world
	ip addr add 192.0.2.2/24 dev hkt-up && ip link set hkt-up up
	ip -n world addr add 192.0.2.1/24 dev up0 && ip -n world link set up0 up
	# every listener bounded: a connection that never comes fails the step, not the file
	timeout 60 ip netns exec world sh -c "echo reply-from-world | '$R/bin/busybox' nc -l -p 9001" >"$T/world.out" &
	local world=$!
	# A listens; C holds the bridge until the counters are read
	timeout 60 "$HUSK" run --name "hkt-dh-$mode-a-$$" "$R" /bin/sh -c 'ip -4 -o addr show eth0; echo reply-from-a | nc -l -p 9000' \
		>"$T/a.out" 2>&1 &
	a=$!
	timeout 60 "$HUSK" run --name "hkt-dh-$mode-c-$$" "$R" /bin/sh -c 'ip -4 -o addr show eth0; nc -l -p 9100' \
		>"$T/c.out" 2>&1 &
	c=$!
	for _ in $(seq 200); do
		grep -q 'inet 10\.' "$T/a.out" 2>/dev/null && grep -q 'inet 10\.' "$T/c.out" && break
		sleep 0.05
	done
	ip_a=$(grep -o 'inet [0-9.]*' "$T/a.out" | cut -d' ' -f2)
	ip_c=$(grep -o 'inet [0-9.]*' "$T/c.out" | cut -d' ' -f2)
	echo "step: listening on $ip_a and $ip_c"
	echo "step: during: $("$ipt" -w -S FORWARD | grep -c 'comment husk') husk rules;" \
		"tables: $(nft list tables | tr '\n' ' ')"
	# each exchange both ways: B retries until the listener's reply comes back (what
	# the listeners print is not checked: busybox nc may exit on its stdin's EOF
	# before it prints what arrived)
	"$HUSK" run --name "hkt-dh-$mode-b-$$" "$R" /bin/sh -c "
		talk() { for i in \$(seq 20); do echo \$1 | nc -w 2 \$2 \$3 | grep -q \$4 && return 0; usleep 100000; done; return 1; }
		talk hello-a $ip_a 9000 reply-from-a && talk hello-world 192.0.2.1 9001 reply-from-world" &&
		b=0 || b=$?
	echo "step: b exited $b"
	wait "$a" && echo "step: a exited 0" || echo "step: a exited $?"
	wait "$world" || true
	if [[ $mode != clean ]]; then
		echo "step: husk rules counted $("$ipt" -w -L FORWARD -v -n -x | awk '/husk/ { n += $1 } END { print n + 0 }') packets"
	fi
	echo bye | "$R/bin/busybox" nc -w 3 "$ip_c" 9100 || true
	wait "$c" && echo "step: c exited 0" || echo "step: c exited $?"
	after=$("$ipt-save" 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//')
	if [[ $before == "$after" ]]; then
		echo "step: iptables as before"
	else
		diff <(echo "$before") <(echo "$after") | sed 's/^/step: changed: /'
	fi
	echo "step: after: tables: $(nft list tables | tr '\n' ' ')"
}

run_scratch() {
	T=$BATS_TEST_TMPDIR
	export T R HUSK
	run unshare --net --mount --propagation private bash -c \
		"$(declare -f docker_rules scratch_host); scratch_host $1"
	printf '%s\n' "${lines[@]}" | sed 's/^/# /' >&3
}

@test "docker's FORWARD DROP + br_netfilter: containers on husk0 talk to each other and to the world; husk's rules go with the last one" {
	run_scratch docker
	[[ $status -eq 0 ]]
	[[ $output == *"step: during: 2 husk rules"* ]]
	[[ $output == *"step: b exited 0"* ]]
	[[ $output == *"step: a exited 0"* ]]
	[[ $output =~ step:\ husk\ rules\ counted\ [1-9][0-9]*\ packets ]]
	[[ $output == *"step: c exited 0"* ]]
	[[ $output == *"step: iptables as before"* ]]
	[[ $output == *"step: after: tables: table ip filter table ip nat "* ]]
}

@test "docker's FORWARD DROP through iptables-legacy (x_tables): husk's rules go there, not into an nft table" {
	command -v iptables-legacy-restore >/dev/null || skip "iptables-legacy is not installed"
	run_scratch legacy
	[[ $status -eq 0 ]]
	[[ $output == *"step: during: 2 husk rules; tables: table ip husk "* ]]
	[[ $output == *"step: b exited 0"* ]]
	[[ $output == *"step: a exited 0"* ]]
	[[ $output =~ step:\ husk\ rules\ counted\ [1-9][0-9]*\ packets ]]
	[[ $output == *"step: c exited 0"* ]]
	[[ $output == *"step: iptables as before"* ]]
	# no nft filter table appeared beside the legacy one
	[[ $output == *"step: after: tables: "* ]]
	[[ $output != *"step: after: tables: table"* ]]
}

@test "a host without iptables' filter table: husk creates none, containers still talk" {
	run_scratch clean
	[[ $status -eq 0 ]]
	[[ $output == *"step: during: 0 husk rules; tables: table ip husk "* ]]
	[[ $output == *"step: b exited 0"* ]]
	[[ $output == *"step: iptables as before"* ]]
	[[ $output == *"step: after: tables: "* ]]
	[[ $output != *"step: after: tables: table"* ]]
}
