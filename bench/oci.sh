#!/usr/bin/env bash
# bench/oci.sh — the OCI lifecycle as an engine drives it: husk vs crun vs runc.
#
#   bench/oci.sh [--quick] [--runs N] [--warmup N] [--runtimes LIST] [--husk PATH]
#                [--rootfs DIR] [--out DIR] [--keep]
#
# One bundle (busybox rootfs, /bin/true, memory 100M, pids 50, cgroupsPath
# /huskbench-PID/ctr), and for each runtime, N times (default 100), interleaved
# cycle by cycle:
#   RT --root R create --bundle B --pid-file P ID; RT --root R start ID;
#   wait for the container's init (this script is a subreaper, as the shim is);
#   RT --root R delete ID
# Prints ms per cycle, the ratios husk/crun and husk/runc, CPU per cycle (user+sys of
# the four steps and of the init), and the peak RSS of `RT create` (GNU time's %M
# over 10 more cycles). See bench/README.md.
set -Eeuo pipefail

BENCH_PROG=oci.sh
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

trap 'printf "%s: failed at line %s: %s\n" "$BENCH_PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

usage() {
	cat <<EOF
usage: bench/oci.sh [OPTIONS]

Time create + start + wait + delete of /bin/true from one OCI bundle, husk against
crun and runc, every cycle interleaved. crun runs, like the others, in a private
mount namespace where /sys/fs/cgroup/unified/cgroup.controllers reads empty when
this is a hybrid host (crun refuses one otherwise). Needs root; installs crun, runc,
busybox-static and python3 with apt-get when they are missing.

  --quick          20 cycles per runtime, 2 warm-up cycles
  --runs N         cycles per runtime (default 100)
  --warmup N       warm-up cycles per runtime, not counted (default 5)
  --runtimes LIST  comma-separated, from husk,crun,runc (default all three)
  --husk PATH      husk binary (default: \$HUSK or build/husk, built if missing)
  --rootfs DIR     use this busybox rootfs instead of building one
  --out DIR        keep the results there (default: a new /tmp/husk-bench-oci.*)
  --keep           keep the work directory (rootfs, bundle, husk copy)
  -h, --help       this text
EOF
}

RUNS=100 WARMUP=5 RUNTIMES=husk,crun,runc HUSK_OPT='' ROOTFS_OPT='' OUT='' KEEP=0
while (($#)); do
	case $1 in
	--quick) RUNS=20 WARMUP=2; shift ;;
	--runs | --warmup | --runtimes | --husk | --rootfs | --out)
		[[ $# -ge 2 ]] || bench_die "$1 needs a value"
		case $1 in
		--runs) RUNS=$2 ;;
		--warmup) WARMUP=$2 ;;
		--runtimes) RUNTIMES=$2 ;;
		--husk) HUSK_OPT=$2 ;;
		--rootfs) ROOTFS_OPT=$2 ;;
		--out) OUT=$2 ;;
		esac
		shift 2
		;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; bench_die "unknown argument: $1" ;;
	esac
done
for v in RUNS WARMUP; do
	[[ ${!v} =~ ^[0-9]+$ ]] || bench_die "--${v,,} must be a number, got '${!v}'"
done
((RUNS >= 2)) || bench_die "--runs must be at least 2"
IFS=, read -r -a NAMES <<<"$RUNTIMES"
for n in "${NAMES[@]}"; do
	[[ $n == husk || $n == crun || $n == runc ]] || bench_die "unknown runtime '$n' in --runtimes"
done

bench_need_root
bench_ensure crun:crun runc:runc /bin/busybox:busybox-static python3:python3 unshare:util-linux \
	/usr/bin/time:time

# --- names, work dir, clean-up ---------------------------------------------------
ID=huskbench-$$ # container id ID-RUNTIME, cgroup /ID/ctr, state roots under /run/ID
WORK=$(mktemp -d /tmp/husk-bench-work.XXXXXX)
STATE=/run/$ID
[[ -n $OUT ]] || OUT=$(mktemp -d /tmp/husk-bench-oci.XXXXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

in_ns() { bench_in_crun_ns "$WORK/empty" "$@"; }

CLEANED=0
cleanup() {
	local rc=$? left n bin
	((CLEANED)) && return "$rc"
	CLEANED=1
	trap - ERR
	bench_stop_bg
	set +e
	# an interrupted cycle leaves its container: delete it as its runtime sees the host
	for n in "${NAMES[@]}"; do
		[[ -e $STATE/$n/$ID-$n ]] || continue
		bin=$(runtime_bin "$n")
		in_ns "$bin" --root "$STATE/$n" delete --force "$ID-$n" >/dev/null 2>&1
	done
	left=$(bench_leftovers "$WORK" "$ID/ctr" "husk/$ID-husk" "$ID-crun" "$ID-runc")
	left+=$(find "$STATE" -mindepth 2 -maxdepth 2 ! -name '.*' -printf 'left: state %p\n' 2>/dev/null)
	if [[ -n $left ]]; then
		bench_warn "left behind by a runtime (removing it now):"
		printf '%s\n' "$left" >&2
	fi
	bench_remove_cgroup "husk/$ID-husk"
	bench_remove_cgroup "$ID" # the parent of cgroupsPath /ID/ctr is ours, not the runtimes'
	rm -rf -- "$STATE"
	bench_finish "$rc" "$WORK" "$ID" "husk/$ID-husk"
}
trap cleanup EXIT
trap 'bench_stop_bg; exit 130' INT
trap 'bench_stop_bg; exit 143' TERM

# --- binaries, rootfs, the bundle --------------------------------------------------
runtime_bin() {
	case $1 in
	husk) echo "$WORK/husk" ;;
	*) command -v "$1" ;;
	esac
}
if [[ ",$RUNTIMES," == *,husk,* ]]; then
	HUSK_SRC=$(bench_husk_binary "$HUSK_OPT")
	# a private copy: others may rebuild build/husk while this runs
	install -m 0755 "$HUSK_SRC" "$WORK/husk"
fi
if [[ -n $ROOTFS_OPT ]]; then
	ROOTFS=$(cd "$ROOTFS_OPT" && pwd) || bench_die "no rootfs $ROOTFS_OPT"
	[[ -x $ROOTFS/bin/true ]] || bench_die "$ROOTFS has no /bin/true"
else
	bench_log "building a busybox rootfs"
	ROOTFS=$WORK/rootfs
	bench_build_rootfs "$ROOTFS"
fi
[[ $ROOTFS$WORK$OUT != *[[:space:]]* ]] || bench_die "paths with blanks are not supported"
MEM=$(bench_size_bytes 100M)
bench_oci_bundle "$WORK/bundle" "$ROOTFS" --memory "$MEM" --swap $((2 * MEM)) --pids 50 \
	--cgroups-path "/$ID/ctr" --hostname "$ID" -- /bin/true

: >"$OUT/runtimes.tsv"
for n in "${NAMES[@]}"; do
	mkdir -p "$STATE/$n"
	printf '%s\t%s\t%s\t%s\n' "$n" "$(runtime_bin "$n")" "$STATE/$n" "$ID-$n" >>"$OUT/runtimes.tsv"
done
{
	[[ -z ${HUSK_SRC:-} ]] || echo "husk: $HUSK_SRC ($("$WORK/husk" --version 2>&1 | head -n1), tree $(git -C "$BENCH_REPO" describe --always --dirty 2>/dev/null || echo unknown))"
	echo "crun: $(crun --version | head -n1); runc: $(runc --version | head -n1)"
	echo "kernel: $(uname -r); cgroups: $(bench_cgroup_mode)$(bench_crun_ns_needed && echo ', all runtimes run in a mount namespace with unified/cgroup.controllers emptied')"
	echo "cpus: $(nproc); cycles: $RUNS per runtime, interleaved, warmup $WARMUP"
} >"$OUT/env.txt"
sed 's/^/    /' "$OUT/env.txt" >&2

# --- the driver: an engine in miniature ----------------------------------------------
# posix_spawn each runtime command with stdio on /dev/null and wait4() it (its
# rusage: CPU and ru_maxrss); as PR_SET_CHILD_SUBREAPER the container's init is
# reparented here when create exits, and is reaped here, as containerd's shim does.
cat >"$WORK/driver.py" <<'PY'
import ctypes, json, os, statistics, sys, time
tsv, bundle, out, runs, warmup = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rts = [l.rstrip("\n").split("\t") for l in open(tsv) if l.strip()]
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
null = os.open("/dev/null", os.O_RDWR)
errpath = os.path.join(out, "stderr.log")  # the runtimes' stderr, to say why one failed
err = os.open(errpath, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
fa = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, err, 2)]

def step(argv):
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        tail = open(errpath).read().strip().splitlines()[-3:]
        sys.exit(f"{' '.join(argv)} exited {rc}: " + " / ".join(tail))
    return ru

def cycle(name, bin_, root, cid, rss_file=None):
    pidfile = os.path.join(root, cid + ".pid")
    create = [bin_, "--root", root, "create", "--bundle", bundle, "--pid-file", pidfile, cid]
    if rss_file:  # wait4's ru_maxrss of a posix_spawn'ed child counts python's own pages
        create = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + create
    t0 = time.perf_counter()
    ru_c = step(create)
    ru_s = step([bin_, "--root", root, "start", cid])
    init = int(open(pidfile).read())
    try:
        _, _, ru_i = os.wait4(init, 0)
    except ChildProcessError:
        sys.exit(f"{name}: the init {init} was not reparented to this subreaper")
    ru_d = step([bin_, "--root", root, "delete", cid])
    t1 = time.perf_counter()
    while True:  # anything else the runtime left to be reaped
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    os.unlink(pidfile) if os.path.exists(pidfile) else None
    cpu = sum(r.ru_utime + r.ru_stime for r in (ru_c, ru_s, ru_i, ru_d))
    return t1 - t0, cpu

for r in rts:
    for _ in range(warmup):
        cycle(*r)
times = {r[0]: [] for r in rts}
cpus = {r[0]: [] for r in rts}
for i in range(runs):  # every cycle interleaved, rotating which runtime goes first
    for k in range(len(rts)):
        r = rts[(k + i) % len(rts)]
        t, c = cycle(*r)
        times[r[0]].append(t); cpus[r[0]].append(c)
rss = {r[0]: [] for r in rts}
for i in range(min(runs, 10)):  # peak RSS of create: GNU time's %M, 10 more cycles
    for r in rts:
        f = os.path.join(out, "rss.tmp")
        cycle(*r, rss_file=f)
        rss[r[0]].append(int(open(f).read().split()[-1]))
        os.unlink(f)
res = []
for r in rts:
    n, t = r[0], times[r[0]]
    res.append({"command": n, "mean": statistics.mean(t),
                "stddev": statistics.stdev(t) if len(t) > 1 else 0.0,
                "median": statistics.median(t), "min": min(t), "max": max(t), "times": t,
                "user": statistics.mean(cpus[n]), "system": 0.0})
json.dump({"results": res, "rounds": max(1, min(5, runs // 2))}, open(os.path.join(out, "loop.json"), "w"), indent=1)
with open(os.path.join(out, "rss.tsv"), "w") as f:
    for r in rts:
        for m in rss[r[0]]:
            f.write(f"{r[0]}\t{m}\n")
open(os.path.join(out, "method"), "w").write("python3 cycle loop (posix_spawn + wait4, subreaper)\n")
PY

# --- measure ------------------------------------------------------------------------
bench_log "smoke test: one cycle of each runtime"
mkdir -p "$WORK/smoke"
bench_run_bg in_ns python3 "$WORK/driver.py" "$OUT/runtimes.tsv" "$WORK/bundle" "$WORK/smoke" 1 0 ||
	bench_die "a runtime failed its first cycle (see above)"
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load.before"
bench_log "$RUNS cycles per runtime, interleaved (warmup $WARMUP)"
bench_run_bg in_ns python3 "$WORK/driver.py" "$OUT/runtimes.tsv" "$WORK/bundle" "$OUT" "$RUNS" "$WARMUP"
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load.after"

# --- report -------------------------------------------------------------------------
echo
bench_summarize "$OUT" "${NAMES[0]}" | sed 's/peak RSS (max of runs)/peak RSS of create/' | tee "$OUT/table.md"
python3 - "$OUT/summary.json" <<'PY' | tee -a "$OUT/table.md"
import json, sys
s = json.load(open(sys.argv[1]))
c = s["commands"]
if s["subject"] == "husk" and "crun" in c:
    r = c["crun"]["ratio_mean"]
    print()
    print(f"target: husk <= 0.6 x crun: {'MET' if r <= 0.6 else 'MISSED'} "
          f"(husk/crun {r:.2f} on the mean, {c['crun']['ratio_median']:.2f} on the median)")
for n, e in c.items():
    if "rss_kib_max" in e:
        print(f"peak RSS of {n} create: {e['rss_kib_max']} KiB (median {e['rss_kib_median']:.0f})")
PY
bench_log "results in $OUT (table.md, summary.json, loop.json, rss.tsv, env.txt)"
