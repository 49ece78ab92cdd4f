#!/usr/bin/env bash
# bench/seccomp.sh — what husk's hardened defaults cost per container start.
#
#   bench/seccomp.sh [--runs N] [--rounds N] [--warmup N] [--steps N] [--husk PATH]
#                    [--rootfs DIR] [--out DIR] [--loop]
#
# 1. Step costs, measured inside husk: N runs of `husk run --explain` with the default
#    profile; the median (and mean) microseconds of each security step as husk itself
#    times it: compiling the seccomp filter (parent), loading it (child, seccomp(2)),
#    the masked and read-only paths, the device rules, the capability sets.
# 2. End to end, interleaved (hyperfine, or a python loop with --loop), ms per start of
#      default      husk run --network none ROOTFS /bin/true
#      unconfined   ... --security-opt seccomp=unconfined    (no seccomp)
#      privileged   ... --privileged   (no seccomp, no masking, no device rules)
#    default - unconfined is the filter's cost; default - privileged is the cost of
#    all the hardening. The budget (issue #5) is 1 ms.
set -Eeuo pipefail

BENCH_PROG=seccomp.sh
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

trap 'printf "%s: failed at line %s: %s\n" "$BENCH_PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

usage() {
	sed -n '2,17s/^# \{0,1\}//p' "$0"
}

RUNS=200 ROUNDS=4 WARMUP=5 STEPS=100 HUSK_OPT='' ROOTFS_OPT='' OUT=''
while (($#)); do
	case $1 in
	--runs | --rounds | --warmup | --steps | --husk | --rootfs | --out)
		[[ $# -ge 2 ]] || bench_die "$1 needs a value"
		case $1 in
		--runs) RUNS=$2 ;;
		--rounds) ROUNDS=$2 ;;
		--warmup) WARMUP=$2 ;;
		--steps) STEPS=$2 ;;
		--husk) HUSK_OPT=$2 ;;
		--rootfs) ROOTFS_OPT=$2 ;;
		--out) OUT=$2 ;;
		esac
		shift 2
		;;
	--loop) export BENCH_NO_HYPERFINE=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; bench_die "unknown argument: $1" ;;
	esac
done
for v in RUNS ROUNDS WARMUP STEPS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || bench_die "--${v,,} must be a number, got '${!v}'"
done
((RUNS >= 2 && STEPS >= 1)) || bench_die "--runs must be at least 2, --steps at least 1"

bench_need_root
bench_ensure hyperfine:hyperfine python3:python3 /bin/busybox:busybox-static

NAME=huskbench-sec-$$
WORK=$(mktemp -d /tmp/husk-bench-seccomp-work.XXXXXX)
[[ -n $OUT ]] || OUT=$(mktemp -d /tmp/husk-bench-seccomp.XXXXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

cleanup() {
	local rc=$? left
	trap - ERR EXIT
	set +e
	bench_remove_cgroup "husk/$NAME"
	[[ ! -d /run/husk/$NAME ]] || rm -rf -- "/run/husk/$NAME"
	left=$(bench_leftovers "$WORK" "$NAME")
	if [[ -n $left ]]; then
		bench_warn "left behind:"
		printf '%s\n' "$left" >&2
		((rc)) || rc=1
	fi
	rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

HUSK_SRC=$(bench_husk_binary "$HUSK_OPT")
install -m 0755 "$HUSK_SRC" "$WORK/husk" # a private copy: build/husk may be rebuilt meanwhile
HUSK=$WORK/husk
if [[ -n $ROOTFS_OPT ]]; then
	ROOTFS=$(cd "$ROOTFS_OPT" && pwd) || bench_die "no rootfs $ROOTFS_OPT"
else
	bench_log "building a busybox rootfs"
	ROOTFS=$WORK/rootfs
	bench_build_rootfs "$ROOTFS"
fi
[[ -x $ROOTFS/bin/true ]] || bench_die "$ROOTFS has no /bin/true"
[[ $ROOTFS$WORK$OUT != *[[:space:]]* ]] || bench_die "paths with blanks are not supported"

{
	echo "husk: $HUSK_SRC ($("$HUSK" --version 2>&1 | head -n1), tree $(git -C "$BENCH_REPO" describe --always --dirty 2>/dev/null || echo unknown))"
	echo "kernel: $(uname -r); cgroups: $(bench_cgroup_mode); cpus: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/env.txt" | sed 's/^/    /' >&2

# --- 1. step costs from --explain ---------------------------------------------------
bench_log "step costs: $STEPS runs of husk run --explain (default profile)"
: >"$OUT/explain.log"
for ((i = 0; i < STEPS; i++)); do
	"$HUSK" run --explain --network none --name "$NAME" "$ROOTFS" /bin/true 2>>"$OUT/explain.log" ||
		bench_die "husk run --explain failed (see $OUT/explain.log)"
done
python3 - "$OUT/explain.log" <<'PY' | tee "$OUT/steps.txt"
import re, statistics, sys
steps = [
    ("seccomp: build the BPF program (parent)", r"# seccomp: .* compiled to"),
    ("seccomp: load it, seccomp(2) (child)", r"# seccomp: filter of"),
    ("masked and read-only paths (child)", r"mount --bind /dev/null /proc/"),
    ("device rules (parent)", r"devices\.deny|bpftool cgroup attach"),
    ("capability sets (child)", r"setpriv --bounding-set"),
]
us = {name: [] for name, _ in steps}
for line in open(sys.argv[1]):
    m = re.match(r"husk: \[\s*(\d+) us\] (.*)", line)
    if not m:
        continue
    for name, pat in steps:
        if re.search(pat, m.group(2)):
            us[name].append(int(m.group(1)))
print("| step | median µs | mean µs | runs |")
print("|---|---:|---:|---:|")
total_med = total_mean = 0.0
for name, _ in steps:
    v = us[name]
    if not v:
        print(f"| {name} | — | — | 0 |")
        continue
    med, mean = statistics.median(v), statistics.mean(v)
    total_med += med
    total_mean += mean
    print(f"| {name} | {med:.0f} | {mean:.0f} | {len(v)} |")
print(f"| **all of the above** | **{total_med:.0f}** | **{total_mean:.0f}** | |")
PY

# --- 2. end to end --------------------------------------------------------------------
CMDS=$OUT/commands.tsv
{
	printf 'default\t%s run --name %s --network none %s /bin/true\n' "$HUSK" "$NAME" "$ROOTFS"
	printf 'unconfined\t%s run --name %s --network none --security-opt seccomp=unconfined %s /bin/true\n' \
		"$HUSK" "$NAME" "$ROOTFS"
	printf 'privileged\t%s run --name %s --network none --privileged %s /bin/true\n' "$HUSK" "$NAME" "$ROOTFS"
} >"$CMDS"
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load.before"
bench_measure "$CMDS" "$OUT" "$RUNS" "$ROUNDS" "$WARMUP"
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load.after"
bench_summarize "$OUT" default | tee "$OUT/summary.txt"
python3 - "$OUT/summary.json" <<'PY' | tee -a "$OUT/summary.txt"
import json, sys
c = json.load(open(sys.argv[1]))["commands"]
d = c["default"]
for other, what in (("unconfined", "the seccomp filter"), ("privileged", "all the hardening")):
    o = c[other]
    line = (f"default - {other} ({what}): {d['mean_ms'] - o['mean_ms']:+.2f} ms mean, "
            f"{d['median_ms'] - o['median_ms']:+.2f} ms median")
    if "cpu_ms" in d and "cpu_ms" in o:
        line += f", {d['cpu_ms'] - o['cpu_ms']:+.2f} ms CPU"
    print(line)
PY
bench_log "results in $OUT"
