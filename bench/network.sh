#!/usr/bin/env bash
# bench/network.sh — what husk's bridge networking costs (issue #3).
#
#   bench/network.sh [--quick] [--duration S] [--runs N] [--husk PATH] [--rootfs DIR]
#                    [--out DIR] [--keep]
#
# Each published-port measure is taken on both of husk's paths for the host's
# loopback: "redirect" (the eBPF connect redirect, the default) and "forwarder"
# (HUSK_PORT_FORWARDER=1, the userspace splice relay).
# 1. HTTP through a published port: wrk (keep-alive) against a tiny HTTP server
#    answering like a /health endpoint, in a container (-p 127.0.0.1:PORT:8080)
#    vs the same server on the host's loopback: requests/s ratio, p50/p99 latency
#    of both. (The FastAPI app itself: bench/fastapi-throughput.sh.)
# 2. Bulk TCP: iperf3 through the published port (host -> container and back, -R)
#    vs iperf3 on the host's loopback; and container -> another container's
#    published port through the host address (kernel DNAT over the bridge).
#    Latency: 64-byte TCP round trips (ping-pong on one connection) to an echo
#    server (busybox nc -e cat), p50/p99, through the published port vs loopback.
# 3. Start-up: husk run --network bridge vs --network none, ms per container,
#    cold (each run creates and removes husk0 and the table) and warm (another
#    container keeps the bridge up).
# Traffic goes only to loopback and to the containers' own addresses.
set -Eeuo pipefail

BENCH_PROG=network.sh
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

trap 'printf "%s: failed at line %s: %s\n" "$BENCH_PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

usage() {
	cat <<EOF
usage: bench/network.sh [OPTIONS]

Measure husk's bridge networking: wrk and iperf3 through a published port against
the host's loopback, and the start-up cost of --network bridge over --network none.
Needs root; installs wrk, iperf3, hyperfine, gcc and busybox-static when missing.

  --quick         5 s per throughput run, 5000 round trips, 20 start-up runs
  --duration S    seconds per wrk/iperf3 run (default 10)
  --runs N        start-up runs per variant (default 60)
  --husk PATH     husk binary (default: \$HUSK or build/husk, built if missing)
  --rootfs DIR    busybox rootfs to copy (default: build one)
  --out DIR       keep the results there (default: a new /tmp/husk-bench-net.*)
  --keep          keep the work directory
  -h, --help      this text
EOF
}

DURATION=10 RUNS=60 TRIPS=20000 HUSK_OPT='' ROOTFS_OPT='' OUT='' KEEP=0
while (($#)); do
	case $1 in
	--quick) DURATION=5 RUNS=20 TRIPS=5000; shift ;;
	--duration | --runs | --husk | --rootfs | --out)
		[[ $# -ge 2 ]] || bench_die "$1 needs a value"
		case $1 in
		--duration) DURATION=$2 ;;
		--runs) RUNS=$2 ;;
		--husk) HUSK_OPT=$2 ;;
		--rootfs) ROOTFS_OPT=$2 ;;
		--out) OUT=$2 ;;
		esac
		shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; bench_die "unknown option $1" ;;
	esac
done

# ports on the host's loopback used by this script
P_HTTP_HOST=18180 P_HTTP_CTR=18181 P_IPERF_HOST=18182 P_IPERF_CTR=18183 P_ECHO_HOST=18184
P_ECHO_CTR=18185

BG_PIDS=()
WORK=''
cleanup() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	BG_PIDS=()
	if [[ -n $WORK && $KEEP -eq 0 ]]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bg CMD...: start CMD in the background (stopped by cleanup), output in $WORK/NAME.log
bg() {
	local log=$1
	shift
	"$@" >"$WORK/$log.log" 2>&1 </dev/null &
	BG_PIDS+=("$!")
	LAST_BG=$!
}

# stop_bg PID: stop one background command now
stop_bg() {
	local pid=$1 p keep=()
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for p in "${BG_PIDS[@]}"; do
		[[ $p == "$pid" ]] || keep+=("$p")
	done
	BG_PIDS=("${keep[@]}")
}

# until_ok TIMEOUT CMD...: poll CMD every 50 ms
until_ok() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || bench_die "timed out waiting for: $*"
		sleep 0.05
	done
}

# A private rootfs: busybox, the HTTP server, iperf3 with its libraries.
make_rootfs() {
	local src=$1 dst=$2
	mkdir -p "$dst"
	cp -a "$src/." "$dst/"
	install -D -m 0755 "$WORK/health" "$dst/usr/bin/health"
	bench_install_with_libs "$dst" "$(command -v iperf3)" /usr/bin/iperf3
}

# wrk_run URL NAME: requests/s, p50 and p99 (ms) into $OUT/NAME.wrk
wrk_run() {
	wrk -t2 -c16 -d"${DURATION}s" --latency "$1" >"$OUT/$2.wrk" 2>&1
	awk -v name="$2" '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec/ { rps = $2 }
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		/Non-2xx|Socket errors/ { err = err " " $0 }
		END { printf "%s %.0f %.3f %.3f%s\n", name, rps, p50, p99, err }' "$OUT/$2.wrk"
}

# iperf_run HOST PORT NAME [-R]: receiver Gbit/s into $OUT/NAME.json
iperf_run() {
	local host=$1 port=$2 name=$3
	shift 3
	iperf3 -c "$host" -p "$port" -t "$DURATION" -J "$@" >"$OUT/$name.json"
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("%s %.2f" % (sys.argv[2], d["end"]["sum_received"]["bits_per_second"] / 1e9))' \
		"$OUT/$name.json" "$name"
}

ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

MODES=(redirect forwarder)
declare -A C_RPS C_P50 C_P99 HTTP_RATIO B_CTR B_CTR_R BULK_RATIO BULK_RATIO_R \
	R_CTR_P50 R_CTR_P99 R_CTR_MEAN

# fwd MODE: the HUSK_PORT_FORWARDER value for it
fwd() { [[ $1 == forwarder ]] && echo 1 || echo 0; }

bench_http() {
	local mode ctr
	bench_log "HTTP: wrk -t2 -c16 -d${DURATION}s (keep-alive) against a /health-like server"
	bg http-host "$WORK/health" "$P_HTTP_HOST" loopback
	until_ok 20 curl -sf -o /dev/null "http://127.0.0.1:$P_HTTP_HOST/health"
	read -r _ H_RPS H_P50 H_P99 _ < <(wrk_run "http://127.0.0.1:$P_HTTP_HOST/health" http-host)
	for mode in "${MODES[@]}"; do
		HUSK_PORT_FORWARDER=$(fwd "$mode") bg "http-$mode" "$HUSK" run --init \
			--name "bench-net-http-$$" -p "127.0.0.1:$P_HTTP_CTR:8080" "$ROOTFS" /usr/bin/health 8080
		ctr=$LAST_BG
		until_ok 20 curl -sf -o /dev/null "http://127.0.0.1:$P_HTTP_CTR/health"
		read -r _ "C_RPS[$mode]" "C_P50[$mode]" "C_P99[$mode]" _ < <(wrk_run \
			"http://127.0.0.1:$P_HTTP_CTR/health" "http-$mode")
		stop_bg "$ctr"
		HTTP_RATIO[$mode]=$(ratio "${C_RPS[$mode]}" "$H_RPS")
	done
}

bench_bulk() {
	bench_log "bulk TCP: iperf3 -t $DURATION through the published port vs host loopback"
	local mode ctr
	bg iperf-host iperf3 -s --forceflush -B 127.0.0.1 -p "$P_IPERF_HOST"
	until_ok 20 grep -q 'Server listening' "$WORK/iperf-host.log"
	read -r _ B_HOST < <(iperf_run 127.0.0.1 "$P_IPERF_HOST" bulk-host)
	read -r _ B_HOST_R < <(iperf_run 127.0.0.1 "$P_IPERF_HOST" bulk-host-reverse -R)
	for mode in forwarder redirect; do # the redirect's container stays for the DNAT run
		HUSK_PORT_FORWARDER=$(fwd "$mode") bg "iperf-$mode" "$HUSK" run --init \
			--name "bench-net-iperf-$$-$mode" -p "$P_IPERF_CTR:5201" "$ROOTFS" /usr/bin/iperf3 -s --forceflush
		ctr=$LAST_BG
		until_ok 20 grep -q 'Server listening' "$WORK/iperf-$mode.log"
		read -r _ "B_CTR[$mode]" < <(iperf_run 127.0.0.1 "$P_IPERF_CTR" "bulk-$mode")
		read -r _ "B_CTR_R[$mode]" < <(iperf_run 127.0.0.1 "$P_IPERF_CTR" "bulk-$mode-reverse" -R)
		BULK_RATIO[$mode]=$(ratio "${B_CTR[$mode]}" "$B_HOST")
		BULK_RATIO_R[$mode]=$(ratio "${B_CTR_R[$mode]}" "$B_HOST_R")
		[[ $mode == redirect ]] || stop_bg "$ctr"
	done
	# another container -> the host's address on the bridge -> DNAT -> the server
	"$HUSK" run --name "bench-net-client-$$" "$ROOTFS" /usr/bin/iperf3 -c 10.89.0.1 \
		-p "$P_IPERF_CTR" -t "$DURATION" -J >"$OUT/bulk-dnat.json"
	B_DNAT=$(python3 -c 'import json, sys
print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' \
		"$OUT/bulk-dnat.json")
	stop_bg "$ctr"
	BULK_RATIO_DNAT=$(ratio "$B_DNAT" "$B_HOST")
}

# rtt_run PORT NAME: TRIPS round trips of 64 bytes -> "NAME p50 p99 mean" (µs)
rtt_run() {
	python3 - "$1" "$TRIPS" "$2" <<'PY'
import socket, statistics, sys, time
port, n, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
msg, lat = b"x" * 64, []
for i in range(n + 100):
    t = time.perf_counter_ns()
    s.sendall(msg)
    got = 0
    while got < 64:
        b = s.recv(64 - got)
        if not b:
            sys.exit("the echo server closed the connection")
        got += len(b)
    if i >= 100:  # warm-up
        lat.append((time.perf_counter_ns() - t) / 1000)
lat.sort()
print("%s %.1f %.1f %.1f" % (name, lat[len(lat) // 2], lat[int(len(lat) * 0.99)], statistics.mean(lat)))
PY
}

# listening PORT [PID]: something listens on TCP PORT (in PID's network namespace)
listening() {
	if [[ -n ${2:-} ]]; then
		[[ -n $(nsenter -t "$2" -n ss -Htln "sport = :$1") ]]
	else
		[[ -n $(ss -Htln "sport = :$1") ]]
	fi
}

ctr_pid() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "/run/husk/$1/state.json" 2>/dev/null || true; }
has_pid() { [[ -n $(ctr_pid "$1") ]]; }

bench_rtt() {
	bench_log "latency: $TRIPS TCP round trips of 64 bytes to nc -e cat"
	local name pid mode ctr
	bg echo-host busybox nc -l -p "$P_ECHO_HOST" -e /bin/cat
	until_ok 20 listening "$P_ECHO_HOST"
	read -r _ R_HOST_P50 R_HOST_P99 R_HOST_MEAN < <(rtt_run "$P_ECHO_HOST" rtt-host)
	for mode in "${MODES[@]}"; do
		name=bench-net-echo-$$-$mode
		HUSK_PORT_FORWARDER=$(fwd "$mode") bg "echo-$mode" "$HUSK" run --name "$name" \
			-p "127.0.0.1:$P_ECHO_CTR:9000" "$ROOTFS" /usr/bin/nc -l -p 9000 -e /bin/cat
		ctr=$LAST_BG
		until_ok 20 has_pid "$name"
		pid=$(ctr_pid "$name")
		# nc serves a single connection: wait for it to listen instead of probing it
		until_ok 20 listening 9000 "$pid"
		read -r _ "R_CTR_P50[$mode]" "R_CTR_P99[$mode]" "R_CTR_MEAN[$mode]" < <(rtt_run \
			"$P_ECHO_CTR" "rtt-$mode")
		stop_bg "$ctr"
	done
}

# startup_round OUTDIR: bridge vs none, RUNS each, interleaved
startup_round() {
	printf 'bridge\t%s run --network bridge %s /bin/true\nnone\t%s run --network none %s /bin/true\n' \
		"$HUSK" "$ROOTFS" "$HUSK" "$ROOTFS" >"$1.cmds"
	bench_measure "$1.cmds" "$1" "$RUNS" 2 3 >&2
	bench_summarize "$1" bridge >"$1.md"
	python3 -c 'import json, sys
c = json.load(open(sys.argv[1] + "/summary.json"))["commands"]
print("%.1f %.1f %.1f %.1f" % (c["bridge"]["median_ms"], c["none"]["median_ms"],
      c["bridge"]["median_ms"] - c["none"]["median_ms"], c["bridge"]["mean_ms"] - c["none"]["mean_ms"]))' "$1"
}

# explain_steps OUT N: N runs with --explain; the median of the network steps'
# durations, set-up and tear-down apart -> "setup_ms teardown_ms"
explain_steps() {
	local i
	for ((i = 0; i < $2; i++)); do
		"$HUSK" run --explain "$ROOTFS" /bin/true 2>&1 >/dev/null | grep -F 'husk: [' || true
		echo '--'
	done >"$1"
	python3 - "$1" <<'PY'
import re, statistics, sys
setup, teardown, runs, cur = [], [], [], None
net = re.compile(r"(flock \S*/\.net|touch \S*/leases|nft '|ip (link|addr|route)|sysctl -w net|"
                 r"hosts   #|> \S*/hosts|resolv\.conf|kill \d+   # the port)")
for line in open(sys.argv[1]):
    if line.startswith("--"):
        if cur:
            runs.append(cur)
        cur = [0.0, 0.0, False]
        continue
    m = re.match(r"husk: \[\s*(\d+) us\] (.*)", line)
    if not m or cur is None:
        continue
    us, what = int(m.group(1)), m.group(2)
    if what.startswith("exec "):
        cur[2] = True  # what follows is the tear-down
    elif net.search(what) and "lo up" not in what:
        cur[1 if cur[2] else 0] += us / 1000
print("%.2f %.2f" % (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)))
PY
}

bench_startup() {
	if [[ -e /run/husk/.net ]]; then
		bench_warn "another bridge container is running: the cold figures are warm ones"
	fi
	bench_log "start-up, cold: every bridge run creates and removes husk0 and table ip husk"
	read -r S_COLD_B S_COLD_N S_COLD_D S_COLD_DM < <(startup_round "$OUT/startup-cold")
	read -r E_COLD_SETUP E_COLD_TEAR < <(explain_steps "$OUT/explain-cold.txt" 10)
	bench_log "start-up, warm: another container keeps the bridge up"
	bg holder "$HUSK" run --init --name "bench-net-holder-$$" "$ROOTFS" /bin/sleep 100000
	local holder=$LAST_BG
	until_ok 20 test -e /run/husk/.net/subnet
	read -r S_WARM_B S_WARM_N S_WARM_D S_WARM_DM < <(startup_round "$OUT/startup-warm")
	read -r E_WARM_SETUP E_WARM_TEAR < <(explain_steps "$OUT/explain-warm.txt" 10)
	stop_bg "$holder"
}

report() {
	cat <<EOF | tee "$OUT/report.md"
## husk networking ($(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r), load before $LOAD_BEFORE)

| measure | host loopback | husk: eBPF redirect | ratio | husk: forwarder | ratio |
|---|---:|---:|---:|---:|---:|
| HTTP requests/s (keep-alive /health-like server, wrk -t2 -c16) | $H_RPS | ${C_RPS[redirect]} | ${HTTP_RATIO[redirect]} | ${C_RPS[forwarder]} | ${HTTP_RATIO[forwarder]} |
| HTTP latency p50 / p99 (ms) | $H_P50 / $H_P99 | ${C_P50[redirect]} / ${C_P99[redirect]} | | ${C_P50[forwarder]} / ${C_P99[forwarder]} | |
| bulk TCP host -> container (Gbit/s, iperf3) | $B_HOST | ${B_CTR[redirect]} | ${BULK_RATIO[redirect]} | ${B_CTR[forwarder]} | ${BULK_RATIO[forwarder]} |
| bulk TCP container -> host (Gbit/s, iperf3 -R) | $B_HOST_R | ${B_CTR_R[redirect]} | ${BULK_RATIO_R[redirect]} | ${B_CTR_R[forwarder]} | ${BULK_RATIO_R[forwarder]} |
| TCP round trip, 64 B, p50 / p99 / mean (µs) | $R_HOST_P50 / $R_HOST_P99 / $R_HOST_MEAN | ${R_CTR_P50[redirect]} / ${R_CTR_P99[redirect]} / ${R_CTR_MEAN[redirect]} | | ${R_CTR_P50[forwarder]} / ${R_CTR_P99[forwarder]} / ${R_CTR_MEAN[forwarder]} | |

| measure | host loopback | container -> host address -> DNAT -> container | ratio |
|---|---:|---:|---:|
| bulk TCP (Gbit/s, iperf3) | $B_HOST | $B_DNAT | $BULK_RATIO_DNAT |

| start-up (median ms per container, husk run ROOTFS /bin/true) | --network bridge | --network none | bridge cost (median / mean) | network steps in --explain: set-up / tear-down (median ms) |
|---|---:|---:|---:|---:|
| cold: husk0 and the table made and removed by each run | $S_COLD_B | $S_COLD_N | $S_COLD_D / $S_COLD_DM | $E_COLD_SETUP / $E_COLD_TEAR |
| warm: another container holds the bridge | $S_WARM_B | $S_WARM_N | $S_WARM_D / $S_WARM_DM | $E_WARM_SETUP / $E_WARM_TEAR |

Raw output: $OUT (wrk, iperf3 JSON, hyperfine rounds).
EOF
}

main() {
	bench_need_root
	bench_ensure wrk:wrk iperf3:iperf3 hyperfine:hyperfine curl:curl busybox:busybox-static cc:gcc \
		nsenter:util-linux ss:iproute2
	HUSK=$(bench_husk_binary "$HUSK_OPT")
	WORK=$(mktemp -d /tmp/husk-bench-net-work.XXXXXX)
	OUT=${OUT:-$(mktemp -d /tmp/husk-bench-net.XXXXXX)}
	mkdir -p "$OUT"
	local src=$ROOTFS_OPT
	if [[ -z $src ]]; then
		src=$WORK/busybox
		bench_build_rootfs "$src"
	fi
	ROOTFS=$WORK/rootfs
	bench_build_health_server "$WORK"
	make_rootfs "$src" "$ROOTFS"
	LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
	bench_http
	bench_bulk
	bench_rtt
	bench_startup
	report
}

main
