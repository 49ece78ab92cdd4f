#!/usr/bin/env bash
# bench/fastapi-startup.sh — how long from `run-fastapi.sh run` to the first 200 on
# /health, against the same uvicorn app started directly on the host.
#
#   sudo bench/fastapi-startup.sh [--rootfs DIR] [--port N] [--network bridge|host] [--runs N]
#
# The rootfs is built first if missing (not timed). Each side gets one warm-up start
# (page cache) and then one measured start (--runs N: N rounds, host and container
# in turn, and the medians compared; worth it on a busy machine). The clock starts just before the command
# is spawned and stops at the first HTTP 200 of /health, polled every 5 ms by the same
# Python poller for both sides. Target: container / host <= 1.15.
set -Eeuo pipefail

PROG=$(basename "$0")
readonly PROG
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
ROOTFS=${ROOTFS:-/var/lib/husk/rootfs-fastapi}   # outside the repository: 180 MB
PORT=18100
NETWORK=bridge
TARGET=1.15
CHECK=0
RUNS=1

trap 'printf "%s: error: line %s: \"%s\" failed\n" "$PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

usage() {
	sed -n '2,11s/^# \{0,1\}//p' "$0"
	cat <<EOF
Options:
  --rootfs DIR       root filesystem (default $ROOTFS)
  --port N           host port for both sides (default $PORT)
  --network MODE     bridge (default, port published with -p) or host
  --runs N           measured rounds; the medians are compared (default $RUNS)
  --check            exit 1 when the ratio is above $TARGET
EOF
}

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

while (($#)); do
	case $1 in
	--rootfs) ROOTFS=${2:?}; shift 2 ;;
	--port) PORT=${2:?}; shift 2 ;;
	--network) NETWORK=${2:?}; shift 2 ;;
	--runs) RUNS=${2:?}; shift 2 ;;
	--check) CHECK=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
[[ $EUID -eq 0 ]] || die "needs root (husk creates namespaces and cgroups)"
[[ $ROOTFS == /* ]] || ROOTFS=$PWD/$ROOTFS
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs: a positive number, not '$RUNS'"

# time_to_health LABEL CMD...: spawn CMD, poll /health, print the seconds to the
# first 200 on stdout, then stop CMD with SIGTERM and wait for it (untimed).
time_to_health() {
	local label=$1
	shift
	/usr/bin/python3 - "$PORT" "$label" "$@" <<'EOF'
import os, signal, subprocess, sys, time, http.client

port, label, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
log = open(os.devnull, "w")
t0 = time.monotonic()
proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                        start_new_session=True)
elapsed = None
while time.monotonic() - t0 < 60:
    if proc.poll() is not None:
        break
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        c.request("GET", "/health")
        r = c.getresponse()
        body = r.read()
        c.close()
        if r.status == 200 and body == b'{"status":"ok"}':
            elapsed = time.monotonic() - t0
            break
    except OSError:
        pass
    time.sleep(0.005)
# stop it as a user would (SIGTERM to the process we started), untimed
if proc.poll() is None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
if elapsed is None:
    sys.exit(f"{label}: no 200 on /health (exit status {proc.returncode})")
print(f"{elapsed:.3f}")
EOF
}

# Both sides need the rootfs and husk ready: set them up first, untimed.
if ! grep -qx 'state=complete' "$ROOTFS/.husk-rootfs" 2>/dev/null || [[ ! -x $ROOT/build/husk ]]; then
	"$ROOT/run-fastapi.sh" setup --rootfs "$ROOTFS" >&2
fi
# the container logs of the bench runs are not kept
LOG_DIR=$(mktemp -d)
export LOG_DIR
trap 'rm -rf "$LOG_DIR"' EXIT

container=("$ROOT/run-fastapi.sh" run --rootfs "$ROOTFS" --port "$PORT" --network "$NETWORK")
host=(env PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 /usr/bin/python3 -m uvicorn --app-dir "$ROOT/app" main:app --host 127.0.0.1 --port "$PORT")

echo "warm-up (not counted) ..." >&2
time_to_health "host warm-up" "${host[@]}" >/dev/null
time_to_health "container warm-up" "${container[@]}" >/dev/null

# A cold start creates husk0 and table ip husk (no other bridge container runs);
# a warm one finds them. Both are counted: they cost differently.
cold=0
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
hosts=()
ctrs=()
for ((i = 1; i <= RUNS; i++)); do
	hosts+=("$(time_to_health host "${host[@]}")")
	[[ $NETWORK != bridge || -e /sys/class/net/husk0 ]] || cold=$((cold + 1))
	ctrs+=("$(time_to_health container "${container[@]}")")
	((RUNS == 1)) || echo "round $i: host ${hosts[-1]} s, container ${ctrs[-1]} s" >&2
done
echo "load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg); $cold of $RUNS container starts cold (no husk0 just before)"

status=0
/usr/bin/python3 - "$TARGET" "$NETWORK" "${hosts[*]}" "${ctrs[*]}" <<'EOF' || status=$?
import statistics, sys
target, net = float(sys.argv[1]), sys.argv[2]
hosts = [float(x) for x in sys.argv[3].split()]
ctrs = [float(x) for x in sys.argv[4].split()]
host, ctr = statistics.median(hosts), statistics.median(ctrs)
n = len(hosts)
what = "one run" if n == 1 else f"median of {n} runs"
ratio = ctr / host
print(f"uvicorn on the host           : {host * 1000:6.0f} ms to the first 200 on /health ({what})")
print(f"run-fastapi.sh run (husk, {net:6}): {ctr * 1000:6.0f} ms to the first 200 on /health ({what})")
print(f"ratio container / host        : {ratio:.3f}x (target <= {target:.2f}x: "
      f"{'met' if ratio <= target else 'NOT met'})")
if n > 1:
    # the fastest run of each side: the cost with the least interference from
    # whatever else the machine was doing
    print(f"fastest runs                  : host {min(hosts) * 1000:.0f} ms, container "
          f"{min(ctrs) * 1000:.0f} ms, ratio {min(ctrs) / min(hosts):.3f}x")
    # each round's own ratio (host and container started one after the other): a
    # machine that speeds up or slows down between rounds moves both sides alike
    paired = statistics.median(c / h for h, c in zip(hosts, ctrs))
    slow = sum(c > 2 * statistics.median(hosts) for c in ctrs)
    print(f"median of the rounds' ratios  : {paired:.3f}x; container starts over twice the "
          f"host median: {slow} of {n}")
sys.exit(0 if ratio <= target else 3)
EOF
((CHECK == 0 || status == 0)) || exit 1
