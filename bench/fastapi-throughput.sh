#!/usr/bin/env bash
# bench/fastapi-throughput.sh — the FastAPI app's GET /health under wrk through a
# published port, against the same uvicorn app on the host's loopback (issue #3,
# target >= 0.95).
#
#   sudo bench/fastapi-throughput.sh [--rootfs DIR] [--duration S] [--rounds N]
#                                    [--connections C] [--access-log] [--out DIR]
#
# Three servers run side by side, all the same uvicorn (Debian's python3-uvicorn,
# one process) serving app/main.py:
#   host       /usr/bin/python3 -m uvicorn on 127.0.0.1 (no container)
#   redirect   husk run -p 127.0.0.1:P:8000 (the eBPF connect redirect: host ->
#              husk0 -> veth -> the container, no process in between)
#   forwarder  the same with HUSK_PORT_FORWARDER=1 (husk's userspace splice relay)
# and wrk (1 thread, keep-alive) loads one at a time, in rounds that rotate the
# order, so that drift on a shared machine hits all alike. Reported per server: the
# median requests/s over the rounds, the median p50 and p99 latency, and the ratio
# to the host. uvicorn's access log is off on every side (--access-log turns it on
# everywhere: the host's goes to a file, the containers' through husk --log-file).
# Traffic goes only to the host's loopback.
set -Eeuo pipefail

BENCH_PROG=fastapi-throughput.sh
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

trap 'printf "%s: failed at line %s: %s\n" "$BENCH_PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

usage() {
	sed -n '2,21s/^# \{0,1\}//p' "$0"
	cat <<EOF
Options:
  --rootfs DIR       the FastAPI rootfs (default $ROOTFS; built with run-fastapi.sh setup if missing)
  --duration S       seconds per wrk run (default $DURATION)
  --rounds N         rounds, each server once per round (default $ROUNDS)
  --connections C    wrk connections (default $CONNS)
  --access-log       uvicorn's access log on (default off)
  --out DIR          keep the wrk outputs and table.md there (default: a temporary directory)
EOF
}

ROOTFS=/var/lib/husk/rootfs-fastapi DURATION=10 ROUNDS=3 CONNS=8 ACCESS=0 OUT=''
while (($#)); do
	case $1 in
	--rootfs | --duration | --rounds | --connections | --out)
		[[ $# -ge 2 ]] || bench_die "$1 needs a value"
		case $1 in
		--rootfs) ROOTFS=$2 ;;
		--duration) DURATION=$2 ;;
		--rounds) ROUNDS=$2 ;;
		--connections) CONNS=$2 ;;
		--out) OUT=$2 ;;
		esac
		shift 2 ;;
	--access-log) ACCESS=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; bench_die "unknown option $1" ;;
	esac
done
bench_need_root
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || bench_die "--rounds: a positive number, not '$ROUNDS'"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || bench_die "--duration: a positive number, not '$DURATION'"
bench_ensure wrk:wrk curl:curl
HUSK=$(bench_husk_binary "${HUSK:-}")
[[ $ROOTFS == /* ]] || ROOTFS=$PWD/$ROOTFS
if ! grep -qx 'state=complete' "$ROOTFS/.husk-rootfs" 2>/dev/null; then
	"$BENCH_REPO/run-fastapi.sh" setup --rootfs "$ROOTFS" >&2
fi

WORK=$(mktemp -d /tmp/husk-bench-fastapi.XXXXXX)
[[ -n $OUT ]] || OUT=$WORK
mkdir -p "$OUT"
NAMES=(host redirect forwarder)
declare -A PORT=([host]=18301 [redirect]=18302 [forwarder]=18303)
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	[[ $OUT == "$WORK" ]] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

uvicorn_args=(main:app --log-level warning)
((ACCESS)) || uvicorn_args+=(--no-access-log)

# host: the app directory straight from the repository
env PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m uvicorn --app-dir "$BENCH_REPO/app" \
	"${uvicorn_args[@]}" --host 127.0.0.1 --port "${PORT[host]}" >"$WORK/host.log" 2>&1 </dev/null &
PIDS+=("$!")
# containers: as run-fastapi.sh runs it, without its limits (the host side has none)
for name in redirect forwarder; do
	fwd=0
	[[ $name == forwarder ]] && fwd=1
	HUSK_PORT_FORWARDER=$fwd "$HUSK" run --rm --init --name "huskbench-$$-$name" \
		-p "127.0.0.1:${PORT[$name]}:8000" -v "$BENCH_REPO/app:/app:ro" \
		--log-file "$WORK/$name.log" -e PYTHONDONTWRITEBYTECODE=1 "$ROOTFS" \
		/usr/bin/python3 -m uvicorn --app-dir /app "${uvicorn_args[@]}" --host 0.0.0.0 --port 8000 \
		>/dev/null 2>"$WORK/$name.err" </dev/null &
	PIDS+=("$!")
done
for name in "${NAMES[@]}"; do
	deadline=$((SECONDS + 60))
	until [[ $(curl -s -m 1 "http://127.0.0.1:${PORT[$name]}/health" 2>/dev/null) == '{"status":"ok"}' ]]; do
		((SECONDS < deadline)) || bench_die "$name: no 200 on /health within 60 s ($(cat "$WORK/$name.err" 2>/dev/null))"
		sleep 0.1
	done
done
bench_log "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for name in "${NAMES[@]}"; do # warm-up, not counted
	wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:${PORT[$name]}/health" >/dev/null
done
for ((r = 0; r < ROUNDS; r++)); do
	for ((i = 0; i < ${#NAMES[@]}; i++)); do
		name=${NAMES[$(((i + r) % ${#NAMES[@]}))]}
		wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:${PORT[$name]}/health" \
			>"$OUT/$name.$r.wrk"
		bench_log "round $((r + 1)) $name: $(grep -h Requests/sec "$OUT/$name.$r.wrk")"
	done
done
bench_log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

/usr/bin/python3 - "$OUT" "$ROUNDS" "${NAMES[@]}" <<'EOF' | tee "$OUT/table.md"
import re, statistics, sys
out, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def ms(v):
    n = float(re.match(r"[\d.]+", v).group())
    return n / 1000 if v.endswith("us") else n * 1000 if v.endswith("s") and not v.endswith("ms") else n
res = {}
for name in names:
    rps, p50, p99, errs = [], [], [], 0
    for r in range(rounds):
        text = open(f"{out}/{name}.{r}.wrk").read()
        rps.append(float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)))
        p50.append(ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)))
        p99.append(ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)))
        errs += len(re.findall(r"Non-2xx|Socket errors", text))
    res[name] = (statistics.median(rps), statistics.median(p50), statistics.median(p99), errs)
host = res[names[0]][0]
print(f"| server | requests/s (median of {rounds}) | / host | p50 ms | p99 ms | error lines |")
print("|---|---:|---:|---:|---:|---:|")
for name in names:
    rps, p50, p99, errs = res[name]
    print(f"| {name} | {rps:.0f} | {rps / host:.3f} | {p50:.2f} | {p99:.2f} | {errs} |")
EOF
bench_log "results in $OUT"
