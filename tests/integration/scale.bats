#!/usr/bin/env bats
# shellcheck disable=SC2016  # single quotes are for the container's shell
# Published ports and the bridge at scale (issue #18): one shared eBPF redirect for
# the host whatever the number of publishers, IPv6 and v4-mapped clients, clients
# bound to a loopback source, UDP replies per socket, a SIGKILLed publisher swept,
# the forwarder under a flood, many containers on the bridge.
# Host ports 23000-29999 only; traffic goes only to loopback and to husk0.

load helpers

NET_DIR=/run/husk/.net

setup() {
	husk_setup
	ROOTFS=$(rootfs_busybox)
}

teardown() {
	local n
	if [[ -s $BATS_TEST_TMPDIR/.husk-names ]]; then
		while read -r n; do
			[[ -d $HUSK_STATE_ROOT/$n ]] && "$HUSK" rm -f "$n" >/dev/null 2>&1
		done <"$BATS_TEST_TMPDIR/.husk-names"
	fi
	husk_teardown
}

redirect_or_skip() {
	run "$HUSK" check
	[[ $output == *"-p on loopback"*"eBPF connect redirect"* ]] || skip "this host: ${output##*-p on loopback}"
}

# entries in the shared redirect map (0 if no husk holds it)
map_entries() {
	"$HUSK_TOOLS/cgroup-bpf" --maps | awk '$2 == "husk_ports" { n += $6 } END { print n + 0 }'
}

# programs named husk_ports on the cgroup2 root for one hook
root_programs() {
	"$HUSK_TOOLS/cgroup-bpf" "$(cgroup2_root)" | awk -v h="$1" '$1 == h && $2 == "husk_ports"' | wc -l
}

cgroup2_root() {
	local p
	for p in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[[ $(stat -f -c %T "$p" 2>/dev/null) == cgroup2fs ]] && { echo "$p"; return; }
	done
}

# run_web NAME PORTSPEC...: a detached busybox httpd on 8080 answering its name
run_web() {
	local n=$1
	shift
	"$HUSK" run -d --name "$n" --tmpfs /www "$@" "$ROOTFS" /bin/sh -c \
		"echo $n > /www/index.html; exec httpd -f -p 8080 -h /www" >/dev/null
}

# answers URL NAME: curl gets NAME back from URL
answers() {
	[[ $(curl -fsS --max-time 2 "$1" 2>/dev/null) == "$2" ]]
}

# husk-forward processes whose parent is one of this test's husks
our_forwarders() {
	local pid parent
	for pid in $(pgrep -x husk-forward); do
		parent=$(ps -o ppid= -p "$pid" | tr -d ' ')
		tr '\0' ' ' <"/proc/$parent/cmdline" 2>/dev/null | grep -qF -f "$BATS_TEST_TMPDIR/.husk-names" &&
			echo "$pid"
	done
	return 0
}

address_of() {
	"$HUSK" inspect "$1" | sed -n 's/.*"address": "\([0-9.]*\)".*/\1/p'
}

@test "70 publishers at once: all on the one shared redirect, none on the forwarder" {
	redirect_or_skip
	local i n before names=() pids=()
	before=$(root_programs connect4)
	# 10 at a time (a bare `wait` would also wait for bats' own timer)
	for i in $(seq 0 69); do
		n=$(cname "pub$i")
		names+=("$n")
		run_web "$n" -p "127.0.0.1:$((23100 + i)):8080" &
		pids+=($!)
		((i % 10 != 9)) || { wait "${pids[@]}"; pids=(); }
	done
	for i in "${!names[@]}"; do
		wait_for 10 "${names[$i]} on 127.0.0.1:$((23100 + i))" answers "http://127.0.0.1:$((23100 + i))/" "${names[$i]}"
	done
	# served by the kernel: no relay process, one program per hook for all of them
	[[ -z $(our_forwarders) ]]
	echo "connect4 programs on the root: $before before, $(root_programs connect4) now"
	(($(root_programs connect4) <= before + 1))
	(($(map_entries) >= 70))
	for n in "${names[@]}"; do
		"$HUSK" rm -f "$n" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	# the last publisher out took the programs and the map with it
	wait_for 10 "no redirect map" eval '(($(map_entries) == 0))'
}

@test "IPv6 and v4-mapped clients reach a published port; a client bound to a loopback source is left alone" {
	redirect_or_skip
	local n m
	n=$(cname v6)
	m=$(cname v6lo)
	run_web "$n" -p 23020:8080
	run_web "$m" -p 127.0.0.1:23021:8080
	wait_for 10 "$n on 127.0.0.1:23020" answers http://127.0.0.1:23020/ "$n"
	# which path serves each port, and why: husk inspect and husk check
	"$HUSK" inspect "$n" | grep -qF '"path": "eBPF redirect (127.0.0.0/8, ::ffff:127.0.0.0/104 and [::1]); nft DNAT: the host'"'"'s other IPv4 addresses"'
	run "$HUSK" check
	[[ $output == *"-p                     $m 127.0.0.1:23021/tcp: eBPF redirect (127.0.0.1)"* ]] ||
		[[ $output == *"... and "*" more"* ]]
	answers http://127.0.0.2:23020/ "$n"
	answers 'http://[::1]:23020/' "$n"
	answers 'http://[::ffff:127.0.0.1]:23020/' "$n"
	answers 'http://[::ffff:127.0.0.1]:23021/' "$m"
	# 127.0.0.1 only: not [::1] nor another loopback address
	! answers 'http://[::1]:23021/' "$m" || false
	! answers http://127.0.0.2:23021/ "$m" || false
	# -p [::1]:PORT: [::1] only, on the redirect too
	local o
	o=$(cname v6only)
	run_web "$o" -p '[::1]:23022:8080'
	wait_for 10 "$o on [::1]:23022" answers 'http://[::1]:23022/' "$o"
	! answers http://127.0.0.1:23022/ "$o" || false
	"$HUSK" inspect "$o" | grep -qF '"path": "eBPF redirect ([::1])"'
	# bound to 127.0.0.1 or ::1: it could not leave lo (EINVAL), so the connection
	# is not rewritten and gets a plain refusal from the held port
	run python3 -c 'import socket, sys
fam, src, dst = (socket.AF_INET6, "::1", "::1") if sys.argv[1] == "6" else (socket.AF_INET, "127.0.0.1", "127.0.0.1")
s = socket.socket(fam)
s.bind((src, 0))
try:
    s.connect((dst, 23020))
    print("connected")
except OSError as e:
    print(e.strerror)' 4
	echo "$output"
	[[ $output == "Connection refused" ]]
	run python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))
try:
    s.connect(("::1", 23020))
    print("connected")
except OSError as e:
    print(e.strerror)'
	echo "$output"
	[[ $output == "Connection refused" ]]
}

@test "UDP: each socket gets its own original source back, unconnected [::1] too; a datagram sent straight to the container is left as it is" {
	redirect_or_skip
	command -v cc >/dev/null || skip "no C compiler for the UDP echo server"
	local rootfs n addr
	rootfs=$(rootfs_copy)
	cat >"$BATS_TEST_TMPDIR/udpecho.c" <<-'EOF'
		#include <netinet/in.h>
		#include <stdlib.h>
		#include <sys/socket.h>
		int main(int argc, char **argv)
		{
			int fd = socket(AF_INET, SOCK_DGRAM, 0);
			struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
			if (argc < 2 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
				return 1;
			for (;;) {
				char buf[2048];
				struct sockaddr_storage p;
				socklen_t l = sizeof p;
				ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&p, &l);
				if (n < 0)
					return 1;
				sendto(fd, buf, n, 0, (struct sockaddr *)&p, l);
			}
		}
	EOF
	cc -static -O2 -o "$rootfs/bin/udpecho" "$BATS_TEST_TMPDIR/udpecho.c"
	n=$(cname udp)
	# two host ports for one container port
	"$HUSK" run -d --name "$n" -p 127.0.0.1:23030:9001/udp -p 23031:9001/udp "$rootfs" /bin/udpecho 9001
	addr=$(address_of "$n")
	[[ -n $addr ]]
	udp_check() {
		python3 -c 'import socket, sys
addr = sys.argv[1]
def ask(s, dst):
    s.sendto(b"x", dst)
    return s.recvfrom(64)[1][:2]
out = []
a, b, c, d = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4))
v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for s in (a, b, c, d, v6):
    s.settimeout(1)
out.append(ask(a, ("127.0.0.1", 23030)))
out.append(ask(b, ("127.0.0.5", 23031)))
out.append(ask(c, (addr, 9001)))
out.append(ask(v6, ("::ffff:127.0.0.1", 23030)))
e = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
e.settimeout(1)
out.append(ask(e, ("::1", 23031)))
v6.connect(("::1", 23031))
v6.send(b"y")
out.append(v6.recvfrom(64)[1][:2])
print(out)' "$addr"
	}
	wait_for 10 "a UDP echo from $n" udp_check
	run udp_check
	echo "$output"
	[[ $output == "[('127.0.0.1', 23030), ('127.0.0.5', 23031), ('$addr', 9001), ('::ffff:127.0.0.1', 23030), ('::1', 23031), ('::1', 23031)]" ]]
	# the unconnected sendto([::1]) (4th) went through the forwarder on the held port,
	# as inspect says; 127.0.0.1:23030 does not take [::1], so it has none
	"$HUSK" inspect "$n" | grep -qF 'unconnected UDP to [::1]: userspace forwarder'
	[[ $("$HUSK" inspect "$n" | grep -c 'unconnected UDP to') -eq 1 ]]
}

@test "SIGKILL of a husk that published 100 ports: nothing left, nothing inherited by the next container" {
	redirect_or_skip
	local n m i addr monitor args=() before
	n=$(cname kill)
	m=$(cname next)
	before=$(map_entries)
	for i in $(seq 23200 23299); do args+=(-p "$i:8080"); done
	run_web "$n" "${args[@]}"
	addr=$(address_of "$n")
	wait_for 10 "$n on 127.0.0.1:23299" answers http://127.0.0.1:23299/ "$n"
	# each port: 127.0.0.0/8 and [::1] in the map, a DNAT element, lines in the lease
	(($(map_entries) == before + 200))
	(($(stat -c %s "$NET_DIR/leases/$addr") > 4096))
	monitor=$("$HUSK" inspect "$n" | sed -n 's/.*"monitor_pid": \([0-9]*\).*/\1/p')
	kill -KILL "$monitor"
	wait_for 5 "monitor $monitor gone" eval "! kill -0 $monitor 2>/dev/null"
	# the next husk on the bridge reclaims the lease: every line of it
	run_web "$m"
	[[ ! -e $NET_DIR/leases/$addr ]] || [[ $(address_of "$m") == "$addr" ]]
	(($(map_entries) == before))
	! nft list table ip husk 2>/dev/null | grep -q "$addr" || false
	! grep -qs "bpf\|nft" "$NET_DIR/leases/$(address_of "$m")" || false
	# whatever address the next one got, no port of the dead one leads anywhere
	for i in 23200 23250 23299; do
		! answers "http://127.0.0.1:$i/" "$m" || false
		! answers "http://127.0.0.1:$i/" "$n" || false
	done
}

@test "the forwarder: on 0.0.0.0 and [::1] (not [::]), charged to the container, capped under a flood, no busy loop" {
	local n fwd monitor port=23050
	n=$(cname flood)
	HUSK_PORT_FORWARDER=1 run_web "$n" -p "$port:8080"
	wait_for 10 "$n on 127.0.0.1:$port" answers "http://127.0.0.1:$port/" "$n"
	answers "http://[::1]:$port/" "$n"
	monitor=$("$HUSK" inspect "$n" | sed -n 's/.*"monitor_pid": \([0-9]*\).*/\1/p')
	fwd=$(pgrep -x -P "$monitor" husk-forward)
	[[ -n $fwd ]]
	"$HUSK" inspect "$n" | grep -q '"path": "userspace forwarder (HUSK_PORT_FORWARDER=1)'
	# where no DNAT stands in front of it, it does not listen (IPv6 other than ::1)
	ss -Hltnp "sport = :$port" >"$BATS_TEST_TMPDIR/listen"
	cat "$BATS_TEST_TMPDIR/listen"
	grep -q "0.0.0.0:$port .*pid=$fwd," "$BATS_TEST_TMPDIR/listen"
	grep -q "\[::1\]:$port .*pid=$fwd," "$BATS_TEST_TMPDIR/listen"
	! grep -q "\[::\]:$port\|\*:$port" "$BATS_TEST_TMPDIR/listen" || false
	# its pipes and sockets are the container's memory
	[[ $(grep -E '(^0::|:memory:)' "/proc/$fwd/cgroup" | grep -c "/husk/$n\$") -ge 1 ]]
	# 1100 clients at once: 1024 relayed, the rest wait in the backlog; the
	# forwarder sleeps meanwhile (CPU ticks over 2 s), says so in the log, and
	# serves the waiting one when connections close
	run python3 -c 'import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
port, fwd = int(sys.argv[1]), sys.argv[2]
def ticks():
    f = open("/proc/%s/stat" % fwd).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
socks = []
for _ in range(1100):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    socks.append(s)
time.sleep(1)
t0 = ticks(); time.sleep(2); t1 = ticks()
late = socket.create_connection(("127.0.0.1", port), timeout=5)
late.sendall(b"GET / HTTP/1.0\r\n\r\n")
late.settimeout(1)
try:
    late.recv(100)
    at_cap = "served"
except socket.timeout:
    at_cap = "waits"
for s in socks[:200]:
    s.close()
late.settimeout(10)
print(t1 - t0, at_cap, late.recv(100)[:15].decode())' "$port" "$fwd"
	echo "$output"
	read -r ticks at_cap reply <<<"$output"
	((ticks <= 20)) # 2 s of a busy loop would be ~200
	[[ $at_cap == waits && $reply == "HTTP/1.1 200 OK" ]]
	"$HUSK" logs "$n" >"$BATS_TEST_TMPDIR/log" 2>&1
	grep -q "husk-forward: 1024 connections open, the cap: new connections wait in the listen backlog until one closes" "$BATS_TEST_TMPDIR/log"
}

# 1000, as the issue asks: about 30 s to start and 25 s to remove on 2 cores at load 3
@test "1000 containers on the bridge at once, 50 started at a time: distinct addresses, all reachable" {
	local i b n pids=() count=1000
	for ((b = 0; b < count; b += 50)); do
		pids=()
		for ((i = b; i < b + 50; i++)); do
			n=$(cname "br$i")
			"$HUSK" run -d --name "$n" "$ROOTFS" /bin/sleep 600 >/dev/null &
			pids+=($!)
		done
		wait "${pids[@]}"
	done
	grep -h '"address"' "$HUSK_STATE_ROOT"/hkt-br*-"$BATS_TEST_NUMBER"-*/state.json 2>/dev/null |
		sed 's/.*"address":"\([0-9.]*\)".*/\1/' >"$BATS_TEST_TMPDIR/addrs"
	[[ $(sort -u "$BATS_TEST_TMPDIR/addrs" | wc -l) -eq $count ]]
	# on the bridge and answering: a port nothing listens on is refused at once
	# (a timeout would mean no one is there)
	for i in 0 499 999; do
		run python3 -c 'import socket, sys
try:
    socket.create_connection((sys.argv[1], 9), timeout=2)
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print(e)' "$(sed -n "$((i + 1))p" "$BATS_TEST_TMPDIR/addrs")"
		echo "container $i: $output"
		[[ $output == refused ]]
	done
	pids=()
	while read -r n; do
		"$HUSK" rm -f "$n" >/dev/null &
		pids+=($!)
		((${#pids[@]} < 50)) || { wait "${pids[@]}"; pids=(); }
	done <"$BATS_TEST_TMPDIR/.husk-names"
	((${#pids[@]} == 0)) || wait "${pids[@]}"
}
