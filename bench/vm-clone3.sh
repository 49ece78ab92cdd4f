#!/bin/sh
# shellcheck shell=dash
# bench/vm-clone3.sh [N] — what clone3(CLONE_INTO_CGROUP) saves at container start.
#
# On the host: boots the cgroup v2 test VM (tests/vm/run.sh --mode v2 --bench N),
# which runs this script inside after its tests. In the VM (busybox sh): N sequential
#   husk run --network none ROOTFS /bin/true
# with clone3 allowed (husk creates the child straight in its cgroup) and N with
# clone3 failing with ENOSYS (husk falls back to clone(2) + writing cgroup.procs),
# in alternating halves, each under the same one-rule seccomp filter (noclone3 and
# noclone3 --allow), timed per run by timeit. Prints "bench: ..." lines.
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
half=$((N / 2))
for round in 1 2; do
	# shellcheck disable=SC2086
	for w in "noclone3 --allow" noclone3; do
		timeit 3 $w "$HUSK" run --network none "$ROOTFS" /bin/true >/dev/null # warm-up
		r=$(timeit "$half" $w "$HUSK" run --network none "$ROOTFS" /bin/true)
		case $w in
		*--allow) v=clone3 ;;
		*) v=clone ;;
		esac
		echo "bench: round $round $v: $r"
		echo "$v $r" >>/tmp/bench.txt
	done
done
awk '{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	mean[$1] += v["mean"] * v["runs"]; med[$1] += v["median"] / 2; n[$1] += v["runs"]; f[$1] += v["failed"]
}
END {
	printf "bench: clone3(CLONE_INTO_CGROUP): mean %.2f ms (median of halves %.2f), %d runs, %d failed\n", mean["clone3"] / n["clone3"], med["clone3"], n["clone3"], f["clone3"]
	printf "bench: clone + cgroup.procs:      mean %.2f ms (median of halves %.2f), %d runs, %d failed\n", mean["clone"] / n["clone"], med["clone"], n["clone"], f["clone"]
	d = mean["clone"] / n["clone"] - mean["clone3"] / n["clone3"]
	printf "bench: clone3 saves %.2f ms per start (%.1f%%)\n", d, 100 * d / (mean["clone"] / n["clone"])
}' /tmp/bench.txt
rm -f /tmp/bench.txt
