#!/bin/sh
# shellcheck shell=dash
# bench/vm-clone3.sh [N] — what clone3(CLONE_INTO_CGROUP) saves at container start.
#
# On the host: boots the cgroup v2 test VM (tests/vm/run.sh --mode v2 --bench N),
# which runs this script inside after its tests. In the VM (busybox sh): N sequential
#   husk run --network none ROOTFS /bin/true
# with clone3 allowed (husk creates the child straight in its cgroup) and N with
# clone3 failing with ENOSYS (husk falls back to clone(2) + writing cgroup.procs),
# in ten alternating blocks, each under the same one-rule seccomp filter (noclone3
# and noclone3 --allow), timed per run by timeit. Prints "bench: ..." lines.
# Under TCG every figure is slower than on hardware; the difference is what counts.
N=${1:-100}

if [ ! -e /husk-vm-guest ]; then
	here=$(cd "$(dirname "$0")" && pwd)
	exec bash "$here/../tests/vm/run.sh" --mode v2 --bench "$N" --timeout 600
fi

HUSK=${HUSK:-/usr/local/bin/husk}
ROOTFS=${ROOTFS:-/var/lib/husk-vm/rootfs}
if ! grep -q '^[^ ]* /sys/fs/cgroup cgroup2 ' /proc/mounts; then
	echo "bench: skipped: CLONE_INTO_CGROUP needs cgroup v2 alone at /sys/fs/cgroup"
	exit 0
fi
run() { "$@" "$HUSK" run --network none "$ROOTFS" /bin/true; }

for w in "noclone3 --allow" noclone3; do
	# shellcheck disable=SC2086 # the wrapper and its option
	if ! run $w; then
		echo "bench: FAILED: '$w husk run --network none ROOTFS /bin/true' does not work"
		exit 1
	fi
done
echo "bench: $N runs of 'husk run --network none ROOTFS /bin/true' per variant, $(nproc) CPUs, TCG"
# ten alternating blocks, so a change of speed of the host hits both variants alike
block=$(((N + 9) / 10))
rm -f /tmp/bench.clone3 /tmp/bench.clone
timeit 3 noclone3 --allow "$HUSK" run --network none "$ROOTFS" /bin/true >/dev/null # warm-up
for _ in 1 2 3 4 5 6 7 8 9 10; do
	timeit -o /tmp/bench.clone3 "$block" noclone3 --allow "$HUSK" run --network none "$ROOTFS" /bin/true >/dev/null
	timeit -o /tmp/bench.clone "$block" noclone3 "$HUSK" run --network none "$ROOTFS" /bin/true >/dev/null
done
stats() { # stats FILE: runs, mean, median, 10% trimmed mean, min (ms)
	sort -n "$1" | awk '{ v[NR] = $1; s += $1 }
	END {
		t = int(NR / 10); ts = 0
		for (i = t + 1; i <= NR - t; i++) ts += v[i]
		med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %.2f %.2f %.2f %.2f\n", NR, s / NR, med, ts / (NR - 2 * t), v[1]
	}'
}
# shellcheck disable=SC2046 # five numbers each
set -- $(stats /tmp/bench.clone3) $(stats /tmp/bench.clone)
echo "bench: clone3(CLONE_INTO_CGROUP):  runs $1, median $3 ms, mean $2 ms, 10%-trimmed mean $4 ms, min $5 ms"
echo "bench: clone + write cgroup.procs: runs $6, median $8 ms, mean $7 ms, 10%-trimmed mean $9 ms, min ${10} ms"
awk -v a="$3" -v b="$8" -v ta="$4" -v tb="$9" 'BEGIN {
	printf "bench: clone3 saves %.2f ms per start by the medians (%.1f%%), %.2f ms by the trimmed means\n", b - a, 100 * (b - a) / b, tb - ta
}'
rm -f /tmp/bench.clone3 /tmp/bench.clone

# the same two ways, seen from inside: husk --explain times each step, so the clone
# itself (and, without clone3, the write to cgroup.procs) can be told apart from the
# noise of the whole start under TCG
runs=$(((N + 1) / 2))
for v in clone3 clone; do
	w="noclone3 --allow"
	[ $v = clone ] && w=noclone3
	i=0
	while [ $i -lt "$runs" ]; do
		# shellcheck disable=SC2086 # the wrapper and its option
		$w "$HUSK" run --explain --network none "$ROOTFS" /bin/true 2>>"/tmp/explain.$v" >/dev/null
		i=$((i + 1))
	done
	# median microseconds of the clone step and of the cgroup.procs write per run
	awk -v v="$v" -v n="$runs" '
	function median(a, k,    i, j, t) {
		for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return k ? (k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2) : 0
	}
	{ us = $0; sub(/^husk: \[ */, "", us); sub(/ us\].*/, "", us) }
	/ us\] unshare / { c[++nc] = us }
	/ us\] .*cgroup\.procs/ { p[++np] = us }
	END {
		mc = median(c, nc); mp = median(p, np)
		printf "bench: explain %-6s: %d runs; clone step median %d us; cgroup.procs writes %d (median %d us); together %d us\n", v, n, mc, np, mp, mc + (np ? mp : 0)
	}' "/tmp/explain.$v"
	rm -f "/tmp/explain.$v"
done
