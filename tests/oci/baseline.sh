#!/usr/bin/env bash
# tests/oci/baseline.sh — which runtime-tools files crun and runc pass on this host.
#
#   tests/oci/baseline.sh [--runs N] [--out FILE]
#
# Runs tests/oci/run.sh N times (default 2) against crun (with --crun-ns: a private
# mount namespace where /sys/fs/cgroup/unified/cgroup.controllers reads empty, which
# this hybrid host needs) and against runc, and writes FILE (default
# tests/oci/baseline.txt): one line per test file, "pass", "fail" or "flaky" (passed
# in some runs only) for each runtime, and whether either passes it (the union).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNS=2
OUT=$HERE/baseline.txt
while (($#)); do
	case $1 in
	--runs) RUNS=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) echo "baseline.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "baseline.sh: bad --runs '$RUNS'" >&2; exit 2; }

TMP=$(mktemp -d /tmp/husk-oci-baseline.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
for ((r = 1; r <= RUNS; r++)); do
	echo "# run $r of $RUNS: crun" >&2
	bash "$HERE/run.sh" --runtime crun --crun-ns --verdicts "$TMP/crun.$r.v" >"$TMP/crun.$r.tap" || true
	tail -n1 "$TMP/crun.$r.tap" >&2
	echo "# run $r of $RUNS: runc" >&2
	bash "$HERE/run.sh" --runtime runc --verdicts "$TMP/runc.$r.v" >"$TMP/runc.$r.tap" || true
	tail -n1 "$TMP/runc.$r.tap" >&2
done

# merged RUNTIME -> "NAME pass|fail|flaky" lines
merged() {
	cat "$TMP/$1".[0-9]*.v | awk '{ n[$1]++; if ($2 == "pass") p[$1]++ }
		END { for (f in n) print f, (p[f] == n[f] ? "pass" : (p[f] ? "flaky" : "fail")) }' | sort
}
merged crun >"$TMP/crun"
merged runc >"$TMP/runc"
{
	echo "# tests/oci/baseline.txt — written by tests/oci/baseline.sh --runs $RUNS on $(date -u +%F)"
	echo "# $(crun --version | head -n1) (run.sh --crun-ns), $(runc --version | head -n1);"
	local_mode=v1
	[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] && local_mode=v2
	[[ $local_mode == v1 && -f /sys/fs/cgroup/unified/cgroup.controllers ]] &&
		local_mode="hybrid (v1 controllers + cgroup2 at unified/ with: $(cat /sys/fs/cgroup/unified/cgroup.controllers))"
	echo "# kernel $(uname -r), $(sed -n "s/^PRETTY_NAME=//p" /etc/os-release | tr -d '"'), cgroups $local_mode"
	echo "# flaky = passed in some of the runs only. union = passed (or flaky) by either."
	printf '%-32s %-6s %-6s %s\n' "# file" crun runc union
	join "$TMP/crun" "$TMP/runc" | awk '{ u = ($2 != "fail" || $3 != "fail") ? "yes" : "no";
		printf "%-32s %-6s %-6s %s\n", $1, $2, $3, u }'
	join "$TMP/crun" "$TMP/runc" | awk '{ n++; c += $2 != "fail"; r += $3 != "fail";
		cs += $2 == "pass"; rs += $3 == "pass"; u += ($2 != "fail" || $3 != "fail") }
		END { printf "# of %d files: crun %d (%d every run), runc %d (%d every run), union %d\n",
			n, c, cs, r, rs, u }'
} >"$OUT"
tail -n1 "$OUT"
