#!/usr/bin/env bash
# bench/start.sh — container start-up time: husk vs crun vs runc (and bubblewrap).
#
#   bench/start.sh [--quick] [--runs N] [--rounds N] [--warmup N] [--rss-runs N]
#                  [--husk PATH] [--rootfs DIR] [--out DIR] [--loop] [--keep]
#
# Runs, sequentially and N times each (default 100):
#   husk   husk run --network none --memory 100M --pids-limit 50 ROOTFS /bin/true
#   crun   crun run --bundle B ID   (same namespaces and limits, from config.json)
#   runc   runc run --bundle B ID
#   bwrap  bwrap --unshare-all --bind ROOTFS / --proc /proc --dev /dev /bin/true
#          (a reference: no cgroups)
# and prints ms per container, the ratios husk/crun and husk/runc, and the peak RSS
# of each runtime (GNU time %M). See bench/README.md.
set -Eeuo pipefail

BENCH_PROG=start.sh
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

trap 'printf "%s: failed at line %s: %s\n" "$BENCH_PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

usage() {
	cat <<EOF
usage: bench/start.sh [OPTIONS]

Time 'husk run --network none --memory 100M --pids-limit 50 ROOTFS /bin/true'
against crun and runc running the same container from an OCI bundle, with
bubblewrap (no cgroups) as a reference. Needs root; installs crun, runc, hyperfine,
busybox-static, bubblewrap and time with apt-get when they are missing.

  --quick        20 runs in 2 rounds, 5 RSS runs (a quick look)
  --runs N       runs per runtime (default 100)
  --rounds N     split the runs into N interleaved rounds (default 5)
  --warmup N     hyperfine warm-up runs per round (default 5)
  --rss-runs N   runs under /usr/bin/time for the peak RSS (default 10)
  --husk PATH    husk binary (default: \$HUSK or build/husk, built if missing)
  --rootfs DIR   use this busybox rootfs instead of building one
  --out DIR      keep the results there (default: a new /tmp/husk-bench-start.*)
  --loop         time with a python3 loop (every run interleaved) instead of hyperfine
  --keep         keep the work directory (rootfs, bundles, husk copy)
  -h, --help     this text
EOF
}

RUNS=100 ROUNDS=5 WARMUP=5 RSS_RUNS=10 HUSK_OPT='' ROOTFS_OPT='' OUT='' KEEP=0
while (($#)); do
	case $1 in
	--quick) RUNS=20 ROUNDS=2 RSS_RUNS=5; shift ;;
	--runs | --rounds | --warmup | --rss-runs | --husk | --rootfs | --out)
		[[ $# -ge 2 ]] || bench_die "$1 needs a value"
		case $1 in
		--runs) RUNS=$2 ;;
		--rounds) ROUNDS=$2 ;;
		--warmup) WARMUP=$2 ;;
		--rss-runs) RSS_RUNS=$2 ;;
		--husk) HUSK_OPT=$2 ;;
		--rootfs) ROOTFS_OPT=$2 ;;
		--out) OUT=$2 ;;
		esac
		shift 2
		;;
	--loop) export BENCH_NO_HYPERFINE=1; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; bench_die "unknown argument: $1" ;;
	esac
done
for v in RUNS ROUNDS WARMUP RSS_RUNS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || bench_die "--${v,,} must be a number, got '${!v}'"
done
((RUNS >= 2)) || bench_die "--runs must be at least 2"
((RSS_RUNS >= 1)) || bench_die "--rss-runs must be at least 1"

bench_need_root
bench_ensure crun:crun runc:runc hyperfine:hyperfine /bin/busybox:busybox-static \
	bwrap:bubblewrap /usr/bin/time:time python3:python3 unshare:util-linux

# --- names, work dir, clean-up ---------------------------------------------------
ID=huskbench-$$ # husk's container name, crun/runc ids ID-crun/ID-runc, cgroup /ID/...
WORK=$(mktemp -d /tmp/husk-bench-work.XXXXXX)
[[ -n $OUT ]] || OUT=$(mktemp -d /tmp/husk-bench-start.XXXXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
HUSK_PARENT_BEFORE=$(ls -d "$BENCH_CGROOT"/*/husk "$BENCH_CGROOT"/husk 2>/dev/null || true)
STATE_ROOTS_BEFORE=$(ls -d /run/husk /run/crun /run/runc 2>/dev/null || true)

# Run a common.sh function inside the namespace where crun accepts this host.
in_ns() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	bench_in_crun_ns "$WORK/empty" env BENCH_PROG="$BENCH_PROG" bash -c \
		'set -Eeuo pipefail; . "$0"; "$@"' "$BENCH_LIB_DIR/common.sh" "$@"
}

CLEANED=0
cleanup() {
	local rc=$? left d
	((CLEANED)) && return "$rc"
	CLEANED=1
	trap - ERR
	bench_stop_bg
	set +e
	# crun and runc delete their container when `run` returns; these are for an
	# interrupted run. crun must see the same host as when it created it.
	[[ ! -e /run/crun/$ID-crun ]] || in_ns crun delete -f "$ID-crun" >/dev/null 2>&1
	[[ ! -e /run/runc/$ID-runc ]] || runc delete -f "$ID-runc" >/dev/null 2>&1
	# What did the runtimes leave? husk must leave nothing; crun/runc keep the
	# parent cgroup /ID of their cgroupsPath, which is ours to remove.
	left=$(bench_leftovers "$WORK" "$ID" "$ID-crun" "$ID-runc" | grep -v -E "^left: $BENCH_CGROOT(/[^/]+)?/$ID\$" || true)
	if [[ -n $left ]]; then
		bench_warn "left behind by a runtime (removing it now):"
		printf '%s\n' "$left" >&2
	fi
	bench_remove_cgroup "husk/$ID"
	bench_remove_cgroup "$ID"
	[[ ! -d /run/husk/$ID ]] || rm -rf -- "/run/husk/$ID"
	for d in "$BENCH_CGROOT"/*/husk "$BENCH_CGROOT"/husk; do
		[[ -d $d ]] || continue
		grep -qxF -- "$d" <<<"$HUSK_PARENT_BEFORE" && continue
		rmdir "$d" 2>/dev/null # only when empty: a concurrent husk may be using it
	done
	for d in /run/husk /run/crun /run/runc; do # state roots the runtimes made for us
		[[ -d $d ]] || continue
		grep -qxF -- "$d" <<<"$STATE_ROOTS_BEFORE" && continue
		rmdir "$d" 2>/dev/null
	done
	bench_finish "$rc" "$WORK" "$ID" "$ID-crun" "$ID-runc"
}
trap cleanup EXIT
trap 'bench_stop_bg; exit 130' INT
trap 'bench_stop_bg; exit 143' TERM

# --- husk, rootfs, bundles ----------------------------------------------------------
HUSK_SRC=$(bench_husk_binary "$HUSK_OPT")
# A private copy: other people may rebuild build/husk while this runs.
install -m 0755 "$HUSK_SRC" "$WORK/husk"
HUSK=$WORK/husk
HUSK_REV="given with --husk"
if [[ $HUSK_SRC -ef $BENCH_REPO/build/husk ]]; then
	HUSK_REV="tree $(git -C "$BENCH_REPO" describe --always --dirty 2>/dev/null || echo unknown)"
fi

if [[ -n $ROOTFS_OPT ]]; then
	ROOTFS=$(cd "$ROOTFS_OPT" && pwd) || bench_die "no rootfs $ROOTFS_OPT"
	[[ -x $ROOTFS/bin/true ]] || bench_die "$ROOTFS has no /bin/true"
else
	bench_log "building a busybox rootfs"
	ROOTFS=$WORK/rootfs
	bench_build_rootfs "$ROOTFS"
fi
[[ $ROOTFS$WORK$OUT != *[[:space:]]* ]] || bench_die "paths with blanks are not supported: $ROOTFS $WORK"

MEM=$(bench_size_bytes 100M)
for rt in crun runc; do
	# memory.swap = 2 x memory: what husk (like docker) sets when --memory-swap is unset.
	bench_oci_bundle "$WORK/bundle-$rt" "$ROOTFS" --memory "$MEM" --swap $((2 * MEM)) \
		--pids 50 --cgroups-path "/$ID/$rt" --hostname "$ID" -- /bin/true
done

CMDS=$OUT/commands.tsv
{
	printf 'husk\t%s run --name %s --network none --memory 100M --pids-limit 50 %s /bin/true\n' \
		"$HUSK" "$ID" "$ROOTFS"
	printf 'crun\t%s run --bundle %s %s\n' "$(command -v crun)" "$WORK/bundle-crun" "$ID-crun"
	printf 'runc\t%s run --bundle %s %s\n' "$(command -v runc)" "$WORK/bundle-runc" "$ID-runc"
	printf 'bwrap\t%s --unshare-all --bind %s / --proc /proc --dev /dev /bin/true\n' \
		"$(command -v bwrap)" "$ROOTFS"
} >"$CMDS"

{
	echo "husk: $HUSK_SRC ($("$HUSK" --version 2>&1 | head -n1), $HUSK_REV; $(ldd "$HUSK" 2>/dev/null | grep -c '=>' || true) shared libraries)"
	echo "crun: $(crun --version | head -n1); runc: $(runc --version | head -n1)"
	echo "hyperfine: $(hyperfine --version 2>/dev/null || echo none); bwrap: $(bwrap --version)"
	echo "kernel: $(uname -r); cgroups: $(bench_cgroup_mode)$(bench_crun_ns_needed && echo ', crun/runc/husk/bwrap run in a mount namespace with unified/cgroup.controllers emptied')"
	echo "cpus: $(nproc); runs: $RUNS in $ROUNDS round(s), warmup $WARMUP, RSS runs $RSS_RUNS"
} >"$OUT/env.txt"
sed 's/^/    /' "$OUT/env.txt" >&2

# --- measure ------------------------------------------------------------------------
bench_log "smoke test: each runtime once"
bench_run_bg in_ns bench_smoke "$CMDS" || bench_die "a runtime failed its first run (see above)"
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load.before"
bench_run_bg in_ns bench_measure "$CMDS" "$OUT" "$RUNS" "$ROUNDS" "$WARMUP"
bench_log "peak RSS: $RSS_RUNS runs each under /usr/bin/time -f %M"
bench_run_bg in_ns bench_peak_rss "$CMDS" "$OUT" "$RSS_RUNS"
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load.after"

# --- report -------------------------------------------------------------------------
echo
bench_summarize "$OUT" husk | tee "$OUT/table.md"
python3 - "$OUT/summary.json" <<'PY' | tee -a "$OUT/table.md"
import json, sys
s = json.load(open(sys.argv[1]))["commands"]
h, c = s["husk"], s["crun"]
r = c["ratio_mean"]
print()
print(f"target time: husk <= 0.6 x crun: {'MET' if r <= 0.6 else 'MISSED'} "
      f"(husk/crun {r:.2f} on the mean, {c['ratio_median']:.2f} on the median)")
if "rss_kib_max" in h and "rss_kib_max" in c:
    ok = h["rss_kib_max"] <= c["rss_kib_max"]
    print(f"target RSS:  husk <= crun: {'MET' if ok else 'MISSED'} "
          f"({h['rss_kib_max']} KiB vs {c['rss_kib_max']} KiB)")
PY
bench_log "results in $OUT (table.md, summary.json, hyperfine JSON, env.txt)"
