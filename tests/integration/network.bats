#!/usr/bin/env bats
# shellcheck disable=SC2016  # single quotes are for the container's shell; bats sets $stderr; helpers are called through wait_for
# Networking (issue #3): --network none|host|bridge, the husk0 bridge, veth pairs,
# the IPAM, masquerade, published ports (DNAT + the userspace forwarder), clean-up.
# Traffic goes only to loopback and to addresses inside the namespaces husk made.

load helpers

SUBNET_RE='^10\.89\.'
NET_DIR=/run/husk/.net

setup_file() {
	# a tiny static UDP echo server for the UDP publish test (busybox nc has no -u)
	if command -v cc >/dev/null; then
		cat >"$BATS_FILE_TMPDIR/udpecho.c" <<-'EOF'
			#include <netinet/in.h>
			#include <stdlib.h>
			#include <sys/socket.h>
			int main(int argc, char **argv)
			{
				int fd = socket(AF_INET, SOCK_DGRAM, 0);
				struct sockaddr_in a = { .sin_family = AF_INET,
							 .sin_port = htons(atoi(argv[1])) };
				if (argc < 2 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
					return 1;
				for (;;) {
					char buf[2048];
					struct sockaddr_storage p;
					socklen_t l = sizeof p;
					ssize_t n = recvfrom(fd, buf + 5, sizeof buf - 5, 0, (struct sockaddr *)&p, &l);
					if (n < 0)
						return 1;
					__builtin_memcpy(buf, "echo:", 5);
					sendto(fd, buf, n + 5, 0, (struct sockaddr *)&p, l);
				}
			}
		EOF
		cc -static -O2 -o "$BATS_FILE_TMPDIR/udpecho" "$BATS_FILE_TMPDIR/udpecho.c" || true
	fi
}

setup() {
	husk_setup
	ROOTFS=$(rootfs_busybox)
	LOCALNET_BEFORE=$(cat /proc/sys/net/ipv4/conf/all/route_localnet)
}

# Leases whose husk is alive (it holds their flock): another suite's containers may
# hold the shared bridge, table and lease directory while this one runs.
live_leases() {
	local f
	for f in "$NET_DIR"/leases/*; do
		[[ -e $f ]] || continue
		flock -n -x "$f" true || echo "$f"
	done
}

# Network objects husk left: leases and forwarders of this test's containers; the
# bridge, its table, the lease directory and published-port eBPF programs when no
# live husk holds a lease; a route_localnet switched on anywhere.
net_leftovers() {
	local names=$BATS_TEST_TMPDIR/.husk-names f pid parent
	if [[ -s $names ]]; then
		for f in "$NET_DIR"/leases/*; do
			[[ -e $f ]] && grep -qF -f "$names" "$f" && echo "lease $f: $(head -1 "$f")"
		done
		for pid in $(pgrep -x husk-forward); do
			parent=$(ps -o ppid= -p "$pid" | tr -d ' ')
			tr '\0' ' ' <"/proc/$parent/cmdline" 2>/dev/null | grep -qF -f "$names" &&
				echo "forwarder $pid of husk $parent"
		done
	fi
	if [[ -z $(live_leases) ]]; then
		ip link show husk0 >/dev/null 2>&1 && echo "bridge husk0"
		nft list table ip husk >/dev/null 2>&1 && echo "nft table ip husk"
		[[ -e $NET_DIR ]] && echo "state $NET_DIR"
		husk_bpf_programs
	fi
	grep -l 1 /proc/sys/net/ipv4/conf/*/route_localnet 2>/dev/null | sed 's/^/route_localnet=1 /'
	return 0
}

no_net_leftovers() { [[ -z $(net_leftovers) ]]; }

teardown() {
	husk_teardown
	# other husks on this machine may hold the bridge for a while: give them the
	# same grace as the shared helpers do
	if ! wait_for "$((HUSK_LEFTOVER_GRACE + 1))" "no network leftovers" no_net_leftovers; then
		net_leftovers >&2
		return 1
	fi
	[[ $(cat /proc/sys/net/ipv4/conf/all/route_localnet) == "$LOCALNET_BEFORE" ]]
}

# run_ok ARGS...: husk run ARGS, which must succeed
run_ok() {
	run "$HUSK" run "$@"
	echo "$output"
	[[ $status -eq 0 ]]
}

# The address on eth0 in a container's `ip -4 -o addr show eth0` output
addr_of() { sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' "$1" | head -1; }

@test "bridge: eth0 has an address in the subnet, a default route via husk0, lo is up" {
	run_ok --name "$(cname addr)" "$ROOTFS" /bin/sh -c \
		'ip -4 -o addr show eth0; ip route; ip -o link show lo'
	# /16 by default (/24 before: a bridge an older husk set up keeps its subnet)
	[[ $output =~ inet\ 10\.89\.[0-9]+\.[0-9]+/(16|24) ]]
	[[ $output == *"default via 10.89.0.1 dev eth0"* ]]
	[[ $output == *"lo: <LOOPBACK,UP"* ]]
}

@test "bridge: 64 KiB frames between host and container, 1500-byte packets for the world" {
	local n
	n=$(cname mtu)
	husk_bg mtu run --init --name "$n" "$ROOTFS" /bin/sleep 60
	wait_running "$n"
	# the container's own view, through the host's iproute2 (busybox ip hides metrics)
	nsenter -t "$(container_pid "$n")" -n ip -o link show eth0 >"$BATS_TEST_TMPDIR/link"
	grep -q 'mtu 65520' "$BATS_TEST_TMPDIR/link"
	nsenter -t "$(container_pid "$n")" -n ip route show default >"$BATS_TEST_TMPDIR/route"
	grep -q 'default via 10.89.0.1 dev eth0 mtu 1500' "$BATS_TEST_TMPDIR/route"
	ip -o link show husk0 | grep -q 'mtu 65520'
	kill -TERM "$BG_PID"
	bg_wait "$BG_PID"
}

@test "bridge: the container reaches the bridge address; hosts and resolv.conf are generated" {
	local n
	n=$(cname ping)
	run_ok --name "$n" --hostname web "$ROOTFS" /bin/sh -c \
		'ping -c 1 -W 5 10.89.0.1 && cat /etc/hosts /etc/resolv.conf'
	[[ $output == *"1 packets received"* ]]
	[[ $output =~ 10\.89\.0\.[0-9]+[[:space:]]+web\ $n ]]
	[[ $output == *"nameserver "* ]]
	# loopback nameservers are unreachable from a network namespace: never copied
	! grep -E '^nameserver (127\.|::1)' <<<"$output" || false
}

@test "--network none: only loopback, up; --network host: the host's interfaces" {
	run_ok --network none --name "$(cname none)" "$ROOTFS" /bin/sh -c 'ip -o link'
	[[ $(grep -c . <<<"$output") -eq 1 ]]
	[[ $output == *"lo: <LOOPBACK,UP"* ]]
	run_ok --network host --name "$(cname host)" "$ROOTFS" /bin/sh -c 'ip -o link'
	[[ $(grep -c . <<<"$output") -eq $(ip -o link | grep -c .) ]]
}

@test "two containers on the bridge talk to each other (busybox nc)" {
	local a b
	a=$(cname srv)
	b=$(cname cli)
	# the server echoes what it reads: a line the client reads back crossed the bridge
	# both ways (a one-way send raced the listener's exit on its own stdin's EOF)
	husk_bg srv run --name "$a" "$ROOTFS" /bin/sh -c \
		'ip -4 -o addr show eth0; nc -l -p 9000 -e /bin/cat'
	local srv=$BG_PID
	wait_output "$BATS_TEST_TMPDIR/srv.out" "inet 10.89"
	wait_for 10 "nc listening in $a" ctr_listening "$a" 9000
	local ip
	ip=$(addr_of "$BATS_TEST_TMPDIR/srv.out")
	[[ $ip =~ $SUBNET_RE ]]
	run_ok --name "$b" "$ROOTFS" /bin/sh -c \
		"echo hello-from-$b | nc -w 5 $ip 9000"
	[[ $output == *"hello-from-$b"* ]]
	bg_wait "$srv"
	[[ $BG_STATUS -eq 0 ]]
}

@test "-p 127.0.0.1:18080:8080: busybox httpd inside serves a file to curl on the host" {
	local rootfs n
	rootfs=$(rootfs_copy)
	mkdir -p "$rootfs/www"
	echo "served-by-husk-$$" >"$rootfs/www/index.html"
	n=$(cname web)
	husk_bg web run --init --name "$n" -p 127.0.0.1:18080:8080 "$rootfs" /usr/sbin/httpd -f -p 8080 -h /www
	wait_running "$n"
	# httpd binds right after exec: poll until it answers
	wait_for 10 "httpd through the published port" curl -sf -o "$BATS_TEST_TMPDIR/page" \
		http://127.0.0.1:18080/index.html
	grep -qx "served-by-husk-$$" "$BATS_TEST_TMPDIR/page"
	# loopback is served by the eBPF redirect (or the forwarder), never by DNAT:
	# no element for it, route_localnet untouched
	! nft list map ip husk tcp_dnat | grep -q 18080 || false
	[[ $(cat /proc/sys/net/ipv4/conf/all/route_localnet) == 0 ]]
	[[ $(cat /proc/sys/net/ipv4/conf/lo/route_localnet) == 0 ]]
	kill -TERM "$BG_PID"
	bg_wait "$BG_PID"
	[[ $BG_STATUS -eq 143 || $BG_STATUS -eq 0 ]]
	! curl -sf -m 2 http://127.0.0.1:18080/index.html || false
}

@test "-p HOSTPORT:CTRPORT: DNAT from another namespace and to the host's own address" {
	local rootfs n m
	rootfs=$(rootfs_copy)
	mkdir -p "$rootfs/www"
	echo "dnat-$$" >"$rootfs/www/index.html"
	n=$(cname web)
	m=$(cname cli)
	husk_bg web run --init --name "$n" -p 18081:8080 "$rootfs" /usr/sbin/httpd -f -p 8080 -h /www
	wait_running "$n"
	wait_for 10 "httpd on 127.0.0.1:18081" curl -sf -o /dev/null http://127.0.0.1:18081/
	# all addresses: an element in husk's DNAT map while it runs
	nft list map ip husk tcp_dnat | grep -q '0.0.0.0/0 . 18081 : 10.89.0.[0-9]* . 8080'
	# from another container, to the host's address on the bridge: kernel DNAT
	run_ok --name "$m" "$ROOTFS" /usr/bin/wget -q -O - http://10.89.0.1:18081/index.html
	[[ $output == *"dnat-$$"* ]]
	# from the host to one of its own addresses other than loopback (husk0's):
	# kernel DNAT in the output chain
	[[ $(curl -sf http://10.89.0.1:18081/index.html) == "dnat-$$" ]]
	kill -TERM "$BG_PID"
	bg_wait "$BG_PID"
}

# ctr_listening NAME PORT: a TCP listener on PORT inside container NAME
ctr_listening() {
	nsenter -t "$(container_pid "$1")" -n ss -Htln "sport = :$2" | grep -q .
}

cgroup2_root() {
	local r
	for r in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[[ $(stat -f -c %T "$r" 2>/dev/null) == cgroup2fs ]] && { echo "$r"; return 0; }
	done
	return 1
}

# loopback_conn NAME HOSTPORT: from the host, an echo round trip through
# 127.0.0.1:HOSTPORT to a server on port 9000 in container NAME; prints that
# connection as the container sees it ("local peer") while it is open
loopback_conn() {
	local reply conn
	coproc ECHO { python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"ping\n")
print(s.recv(5).decode().strip(), flush=True)
sys.stdin.readline()' "$2"; }
	read -r -t 10 reply <&"${ECHO[0]}" || return 1
	[[ $reply == ping ]] || return 1
	conn=$(ctr_conn "$1")
	echo >&"${ECHO[1]}"
	wait "$ECHO_PID"
	echo "$conn"
}

# the established connection to port 9000 inside container $1, as "local peer"
ctr_conn() {
	nsenter -t "$(container_pid "$1")" -n ss -Htn state established '( sport = :9000 )' |
		awk '{ print $(NF - 1), $NF }' | sed 's/\[::ffff:\([0-9.]*\)\]/\1/g'
}

@test "-p on the host's loopback: the eBPF redirect goes straight to the container, from husk's namespace only" {
	run "$HUSK" check
	[[ $output == *"-p on loopback"*"eBPF connect redirect"* ]] || skip "this host: ${output##*-p on loopback}"
	local n m root
	root=$(cgroup2_root)
	n=$(cname redir)
	m=$(cname other)
	husk_bg srv run --init --name "$n" -p 127.0.0.1:18096:9000 "$ROOTFS" /bin/sh -c \
		'nc -l -p 9000 -e /bin/cat'
	wait_running "$n"
	wait_for 10 "nc listening in $n" ctr_listening "$n" 9000
	# attached to the cgroup2 root while the container runs
	"$HUSK_TOOLS/cgroup-bpf" "$root" >"$BATS_TEST_TMPDIR/progs"
	grep -qx 'connect4 husk_ports id [0-9]*' "$BATS_TEST_TMPDIR/progs"
	# no relay process: husk and the container's processes only
	! pgrep -x -P "$BG_PID" husk-forward >/dev/null || false
	# another container's 127.0.0.1 is its own: not redirected (it could reach the
	# container over the bridge if it were)
	run "$HUSK" run --rm --name "$m" "$ROOTFS" /bin/sh -c 'echo x | nc -w 2 127.0.0.1 18096'
	[[ $status -ne 0 ]]
	# a connection from the host's loopback arrives from the bridge address: no relay
	# in between (the forwarder would connect from inside the container)
	local conn
	conn=$(loopback_conn "$n" 18096)
	echo "connection in the container: $conn"
	[[ $conn =~ ^10\.89\.0\.[0-9]+:9000\ 10\.89\.0\.1:[0-9]+$ ]]
	# nc served its one connection: the container ends
	bg_wait "$BG_PID"
	[[ $BG_STATUS -eq 0 ]]
	# gone with the container
	"$HUSK_TOOLS/cgroup-bpf" "$root" >"$BATS_TEST_TMPDIR/progs"
	! grep -q husk_ports "$BATS_TEST_TMPDIR/progs" || false
}

@test "HUSK_PORT_FORWARDER=1: the userspace forwarder serves the host's loopback instead" {
	local n
	n=$(cname fwd)
	HUSK_PORT_FORWARDER=1 husk_bg srv run --init --name "$n" -p 127.0.0.1:18097:9000 "$ROOTFS" \
		/bin/sh -c 'nc -l -p 9000 -e /bin/cat'
	wait_running "$n"
	wait_for 10 "nc listening in $n" ctr_listening "$n" 9000
	pgrep -x -P "$BG_PID" husk-forward >/dev/null
	# the forwarder connects from inside the container's namespace: the peer is the
	# container's own address
	local conn
	conn=$(loopback_conn "$n" 18097)
	echo "connection in the container: $conn"
	[[ $conn =~ ^10\.89\.0\.[0-9]+:9000\ 10\.89\.0\.[0-9]+:[0-9]+$ ]]
	[[ ${conn%%:*} == "$(cut -d' ' -f2 <<<"${conn%:*}")" ]]
	bg_wait "$BG_PID"
	[[ $BG_STATUS -eq 0 ]]
}

@test "20 MiB each way intact, and a half-close passed on (redirect and forwarder)" {
	local mode
	for mode in 0 1; do
		HUSK_PORT_FORWARDER=$mode bulk_both_ways
	done
}

bulk_both_ways() {
	local rootfs n sum
	rootfs=$(rootfs_copy)
	mkdir -p "$rootfs/www"
	head -c $((20 << 20)) /dev/urandom >"$rootfs/www/blob"
	sum=$(sha256sum <"$rootfs/www/blob" | cut -d' ' -f1)
	n=$(cname bulk)
	# download: httpd -> forwarder -> curl
	husk_bg dl run --init --name "$n" -p 127.0.0.1:18094:8080 "$rootfs" /usr/sbin/httpd -f -p 8080 -h /www
	wait_running "$n"
	wait_for 10 "httpd on 127.0.0.1:18094" curl -sf -o /dev/null -r 0-0 http://127.0.0.1:18094/blob
	curl -sf -o "$BATS_TEST_TMPDIR/blob" http://127.0.0.1:18094/blob
	[[ $(sha256sum <"$BATS_TEST_TMPDIR/blob" | cut -d' ' -f1) == "$sum" ]]
	kill -TERM "$BG_PID"
	bg_wait "$BG_PID"
	# upload: the client shuts its side down; nc in the container must see EOF
	n=$(cname up)
	husk_bg up run --name "$n" -p 127.0.0.1:18095:9000 "$rootfs" /bin/sh -c \
		'nc -l -p 9000 | sha256sum; echo done'
	local up=$BG_PID
	wait_running "$n"
	wait_for 10 "nc listening in $n" ctr_listening "$n" 9000
	python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", 18095))
with open(sys.argv[1], "rb") as f:
    s.sendfile(f)
s.shutdown(socket.SHUT_WR)
s.recv(1)' "$rootfs/www/blob"
	bg_wait "$up"
	[[ $BG_STATUS -eq 0 ]]
	grep -q "^$sum" "$BATS_TEST_TMPDIR/up.out"
	grep -qx 'done' "$BATS_TEST_TMPDIR/up.out"
}

@test "-p 127.0.0.1:19001:9001/udp: datagrams reach the container and the replies come back" {
	[[ -x $BATS_FILE_TMPDIR/udpecho ]] || skip "no C compiler for the UDP echo server"
	local rootfs n mode
	rootfs=$(rootfs_copy)
	cp "$BATS_FILE_TMPDIR/udpecho" "$rootfs/bin/udpecho"
	udp_roundtrip() {
		local reply
		reply=$(python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(sys.argv[1].encode(), ("127.0.0.1", 19001))
data, peer = s.recvfrom(2048)
print(peer[0], peer[1], data.decode())' "ping-$$") || return 1
		# from the address and port it was sent to (the redirect rewrites the
		# source on recvmsg; the forwarder answers from the host port)
		[[ $reply == "127.0.0.1 19001 echo:ping-$$" ]]
	}
	# the eBPF redirect (sendmsg4/recvmsg4), then the forwarder
	for mode in 0 1; do
		n=$(cname udp)
		HUSK_PORT_FORWARDER=$mode husk_bg udp run --init --name "$n" -p 127.0.0.1:19001:9001/udp \
			"$rootfs" /bin/udpecho 9001
		wait_running "$n"
		wait_for 10 "a UDP echo through 127.0.0.1:19001 (HUSK_PORT_FORWARDER=$mode)" udp_roundtrip
		kill -TERM "$BG_PID"
		bg_wait "$BG_PID"
	done
}

@test "8 containers started at once get distinct addresses" {
	local i pids=() n
	for i in 1 2 3 4 5 6 7 8; do
		n=$(cname par$i)
		# each stays up until told to stop, so that all 8 hold a lease together
		husk_bg "par$i" run --init --name "$n" "$ROOTFS" /bin/sh -c \
			'ip -4 -o addr show eth0; exec sleep 60'
		pids+=("$BG_PID")
	done
	for i in 1 2 3 4 5 6 7 8; do
		wait_output "$BATS_TEST_TMPDIR/par$i.out" "inet " 30
		addr_of "$BATS_TEST_TMPDIR/par$i.out"
	done >"$BATS_TEST_TMPDIR/addrs"
	cat "$BATS_TEST_TMPDIR/addrs"
	[[ $(grep -c "$SUBNET_RE" "$BATS_TEST_TMPDIR/addrs") -eq 8 ]]
	[[ $(sort -u "$BATS_TEST_TMPDIR/addrs" | wc -l) -eq 8 ]]
	# shellcheck disable=SC2010  # lease files are named by address: no odd names
	[[ $(ls "$NET_DIR/leases" | grep -cxF -f "$BATS_TEST_TMPDIR/addrs") -eq 8 ]]
	for i in "${!pids[@]}"; do
		kill -TERM "${pids[$i]}"
		bg_wait "${pids[$i]}"
		[[ $BG_STATUS -eq 143 ]]
	done
}

@test "after 50 runs (some publishing ports, some failing) no veth, nft rule, lease or forwarder is left" {
	local i
	for i in $(seq 50); do
		case $((i % 3)) in
		0) "$HUSK" run --name "$(cname loop)" "$ROOTFS" /bin/true ;;
		1) "$HUSK" run --name "$(cname loop)" -p 127.0.0.1:18090:80 -p 18091:81/udp "$ROOTFS" /bin/true ;;
		2) run -127 "$HUSK" run --name "$(cname loop)" "$ROOTFS" /no/such/command
		   [[ $status -eq 127 ]] ;;
		esac
	done
	# checked right away (teardown checks again, with the shared helpers)
	! grep -qs "name hkt-loop-" "$NET_DIR"/leases/* || false
	! pgrep -x husk-forward || false
	if ! [[ -e $NET_DIR ]]; then # no other husk holds the bridge: all of it is gone
		! ip link show husk0 || false
		! nft list table ip husk || false
		! ip -o link show type veth | grep -qE ': hk[0-9a-f]{8}' || false
	fi
	[[ $(cat /proc/sys/net/ipv4/conf/all/route_localnet) == 0 ]]
}

@test "a husk killed with SIGKILL: the next husk reclaims its lease, DNAT element and bridge" {
	local n
	n=$(cname killed)
	husk_bg k run --name "$n" -p 18092:8080 "$ROOTFS" /bin/sleep 1000
	wait_running "$n"
	nft list map ip husk tcp_dnat | grep -q '. 18092 :'
	kill -KILL "$BG_PID"
	bg_wait "$BG_PID"
	# the dead husk's lease is still there until another husk looks
	grep -lq "name $n" "$NET_DIR"/leases/*
	run_ok --network none --name "$(cname next)" "$ROOTFS" /bin/true
	! grep -qs "name $n" "$NET_DIR"/leases/* || false
	if nft list map ip husk tcp_dnat 2>/dev/null; then
		! nft list map ip husk tcp_dnat | grep -q '. 18092 :' || false
	fi
}

@test "bad network input: one line, exit 125, nothing created" {
	local bad
	# a listener of someone else's on 127.0.0.1:18099
	python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 18099)); s.listen(); print("ready", flush=True); time.sleep(120)' \
		>"$BATS_TEST_TMPDIR/taken.out" &
	local taker=$!
	wait_output "$BATS_TEST_TMPDIR/taken.out" ready
	for bad in "-p garbage" "-p 0:80" "-p 65536:80" "-p 80:0" "-p 1.2.3:80:80" "-p 80:80/sctp" \
		"-p 127.0.0.1:18099:80" "-p 18099:80" "-p 18098:80 -p 18098:81" \
		"--network bogus" "--network none -p 18097:80" "--network host -p 18097:80" \
		"-p 192.0.2.254:18097:80"; do
		# shellcheck disable=SC2086 # word splitting wanted
		run "$HUSK" run --name "$(cname bad)" $bad "$ROOTFS" /bin/true
		echo "$bad -> $status: $output"
		[[ $status -eq 125 ]]
		[[ $(grep -c . <<<"$output") -eq 1 ]]
		[[ $output == husk:* ]]
		no_net_leftovers || [[ -e $NET_DIR ]] # (another husk's bridge may be up)
	done
	kill "$taker"
	wait "$taker" || true
}

@test "HUSK_SUBNET must match the subnet of a running bridge; a bad one is refused" {
	local n
	n=$(cname holder)
	husk_bg holder run --init --name "$n" "$ROOTFS" /bin/sleep 60
	wait_running "$n"
	# the running bridge's subnet (10.89.0.0/16 unless another husk chose one)
	local cur bad
	cur=$(cat "$NET_DIR/subnet")
	run env HUSK_SUBNET=10.123.4.0/24 "$HUSK" run --name "$(cname other)" "$ROOTFS" /bin/true
	echo "$output"
	[[ $status -eq 125 && $output == *"HUSK_SUBNET 10.123.4.0/24 differs from $cur"* ]]
	run env HUSK_SUBNET="$cur" "$HUSK" run --name "$(cname same)" "$ROOTFS" /bin/true
	[[ $status -eq 0 ]]
	for bad in 10.89.0.0/33 10.89.0.0/15 10.89.0.1/24 garbage; do
		run env HUSK_SUBNET=$bad "$HUSK" run --name "$(cname bad)" "$ROOTFS" /bin/true
		[[ $status -eq 125 && $output == *"invalid HUSK_SUBNET '$bad'"* ]]
	done
	# never a range that is not a network for containers
	for bad in 127.0.0.0/16 169.254.0.0/16 224.1.0.0/16 239.255.255.0/24 0.0.0.0/16 240.0.0.0/16; do
		run env HUSK_SUBNET=$bad "$HUSK" run --name "$(cname bad)" "$ROOTFS" /bin/true
		echo "$output"
		[[ $status -eq 125 && $output == *"invalid HUSK_SUBNET '$bad': it lies in "* ]]
	done
	kill -TERM "$BG_PID"
	bg_wait "$BG_PID"
}

@test "HUSK_SUBNET picks another subnet (alone on the machine: CI or HUSK_TEST_EXCLUSIVE=1)" {
	# a different subnet would refuse other suites' bridge containers meanwhile
	[[ ${CI:-} == true || ${HUSK_TEST_EXCLUSIVE:-} == 1 ]] ||
		skip "changes the host-wide subnet: set HUSK_TEST_EXCLUSIVE=1 when nothing else runs"
	[[ -e $NET_DIR ]] && skip "another husk holds the bridge"
	HUSK_SUBNET=10.123.4.0/24 run_ok --name "$(cname subnet)" "$ROOTFS" /bin/sh -c \
		'ip -4 -o addr show eth0; ip route'
	[[ $output == *"inet 10.123.4."*"/24"* ]]
	[[ $output == *"default via 10.123.4.1"* ]]
}

@test "ip_forward: set back to 0 by the last husk out, but left on when another runtime's bridge came up meanwhile (alone: CI or HUSK_TEST_EXCLUSIVE=1)" {
	[[ ${CI:-} == true || ${HUSK_TEST_EXCLUSIVE:-} == 1 ]] ||
		skip "changes the host's ip_forward: set HUSK_TEST_EXCLUSIVE=1 when nothing else runs"
	[[ -e $NET_DIR ]] && skip "another husk holds the bridge"
	local f
	for f in /sys/class/net/*/bridge; do
		[[ $f == /sys/class/net/husk0/bridge || ! -e $f ]] || skip "another runtime's bridge is up: $f"
	done
	local was br=hkt-obr$$ alone during after
	was=$(cat /proc/sys/net/ipv4/ip_forward)
	echo 0 >/proc/sys/net/ipv4/ip_forward
	"$HUSK" run --rm --name "$(cname fwd)" "$ROOTFS" true
	alone=$(cat /proc/sys/net/ipv4/ip_forward)
	# a bridge of "docker" appears while a husk container runs: ip_forward stays on
	"$HUSK" run -d --name "$(cname fwd)" "$ROOTFS" sleep 600 >/dev/null
	during=$(cat /proc/sys/net/ipv4/ip_forward)
	ip link add "$br" type bridge
	"$HUSK" rm -f "$(tail -1 "$BATS_TEST_TMPDIR/.husk-names")" >/dev/null
	after=$(cat /proc/sys/net/ipv4/ip_forward)
	ip link del "$br"
	echo "$was" >/proc/sys/net/ipv4/ip_forward
	echo "alone=$alone during=$during after=$after"
	[[ $alone == 0 && $during == 1 && $after == 1 ]]
}

@test "table ip husk is exactly what nft makes of the commands --explain prints" {
	command -v nft >/dev/null || skip "no nft"
	local n ns
	n=$(cname nft)
	ns=hkt-nft-$$
	husk_bg holder run --init --explain --name "$n" "$ROOTFS" /bin/sleep 60
	wait_running "$n"
	sed -n "s/^husk: \[ *[0-9]* us\] nft '\(.*\)'\$/\1/p" "$BATS_TEST_TMPDIR/holder.err" \
		>"$BATS_TEST_TMPDIR/cmds"
	if ! grep -q '^add table ip husk' "$BATS_TEST_TMPDIR/cmds"; then
		kill -TERM "$BG_PID"
		bg_wait "$BG_PID"
		skip "another husk made the table"
	fi
	nft list table ip husk >"$BATS_TEST_TMPDIR/husk.nft"
	# nft's own parser and netlink code, in a scratch network namespace
	ip netns add "$ns"
	ip netns exec "$ns" nft -f "$BATS_TEST_TMPDIR/cmds" &&
		ip netns exec "$ns" nft list table ip husk >"$BATS_TEST_TMPDIR/nft.nft" || true
	ip netns del "$ns"
	kill -TERM "$BG_PID"
	bg_wait "$BG_PID"
	diff -u "$BATS_TEST_TMPDIR/nft.nft" "$BATS_TEST_TMPDIR/husk.nft"
	[[ $(grep -c '^add rule' "$BATS_TEST_TMPDIR/cmds") -eq 9 ]]
}

@test "--explain shows the network steps as shell commands" {
	run_ok --explain --name "$(cname explain)" -p 127.0.0.1:18093:80 "$ROOTFS" /bin/true
	[[ $output == *"ip link add hk"*"type veth peer name eth0"* ]]
	[[ $output == *"ip addr add 10.89.0."*"dev eth0"* ]]
	[[ $output == *"ip route add default via 10.89.0.1"* ]]
	# the host's loopback: the eBPF redirect where the kernel has it, else the forwarder
	[[ $output == *"cgroup attach "*" connect4|"*"key <127.0.0.1:18093/tcp> value <10.89.0."*":80>"* ||
		$output == *"husk-forward 127.0.0.1:18093/tcp"* ]]
	[[ $output == *"route_localnet stays 0"* ]]
	HUSK_PORT_FORWARDER=1 run_ok --explain --name "$(cname explain)" -p 127.0.0.1:18093:80 \
		"$ROOTFS" /bin/true
	[[ $output == *"husk-forward 127.0.0.1:18093/tcp"* ]]
}
