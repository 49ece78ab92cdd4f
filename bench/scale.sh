#!/usr/bin/env bash
# bench/scale.sh — published ports and the bridge at scale (issue #18), one run, ratios.
#
#   bench/scale.sh [--count N] [--published N] [--batch N] [--bridge N] [--iters N]
#                  [--no-podman] [--husk PATH] [--rootfs DIR] [--out DIR]
#
#   1. host loopback connect() p50 (a C loop: socket, connect to a listener on
#      127.0.0.1, accept, close) with no published container, then with COUNT
#      containers each publishing a port (the shared eBPF redirect); target <= +2 us
#   2. COUNT `husk run -d` (PUBLISHED of them with -p 127.0.0.1:P:8080 and busybox
#      httpd, the others sleep) started BATCH at a time: wall time until every one
#      runs and every published one answers curl; then COUNT removals; the monitors'
#      PSS per idle container
#   3. the same with podman + runc (podman run -d --rootfs, CNI bridge, conmon), in a
#      scratch mount + network namespace with private storage; conmon's PSS
#   4. with --bridge N: N containers on the bridge started BATCH at a time and removed
#
# Ports 23000-29999 only. Needs root; installs podman, runc, curl and a C compiler
# with apt-get when they are missing. See bench/README.md.
set -Eeuo pipefail

BENCH_PROG=scale.sh
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

trap 'printf "%s: failed at line %s: %s\n" "$BENCH_PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

usage() {
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
}

COUNT=500 PUBLISHED=100 BATCH=50 BRIDGE=0 ITERS=20000 PODMAN=1 HUSK_OPT='' ROOTFS_OPT='' OUT=''
while (($#)); do
	case $1 in
	--count | --published | --batch | --bridge | --iters | --husk | --rootfs | --out)
		[[ $# -ge 2 ]] || bench_die "$1 needs a value"
		case $1 in
		--count) COUNT=$2 ;;
		--published) PUBLISHED=$2 ;;
		--batch) BATCH=$2 ;;
		--bridge) BRIDGE=$2 ;;
		--iters) ITERS=$2 ;;
		--husk) HUSK_OPT=$2 ;;
		--rootfs) ROOTFS_OPT=$2 ;;
		--out) OUT=$2 ;;
		esac
		shift 2
		;;
	--no-podman) PODMAN=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) bench_die "unknown option $1 (try --help)" ;;
	esac
done
((COUNT <= 6000 && PUBLISHED <= COUNT)) || bench_die "--count at most 6000, --published at most --count"

bench_need_root
bench_ensure cc:gcc curl:curl
((PODMAN)) && bench_ensure podman:podman runc:runc
HUSK=$(bench_husk_binary "$HUSK_OPT")
OUT=${OUT:-$(mktemp -d /tmp/husk-bench-scale.XXXXXX)}
mkdir -p "$OUT"
if [[ -n $ROOTFS_OPT ]]; then
	ROOTFS=$ROOTFS_OPT
else
	ROOTFS=$OUT/rootfs
	[[ -x $ROOTFS/bin/busybox ]] || bench_build_rootfs "$ROOTFS"
fi
PORT0=23000
NAMES=$OUT/names
: >"$NAMES"

cleanup() {
	local n pids=()
	while read -r n; do
		[[ -d /run/husk/$n ]] || continue
		"$HUSK" rm -f "$n" >/dev/null 2>&1 &
		pids+=($!)
		((${#pids[@]} < BATCH)) || { wait "${pids[@]}"; pids=(); }
	done <"$NAMES"
	((${#pids[@]} == 0)) || wait "${pids[@]}"
	: >"$NAMES"
	for d in /sys/fs/cgroup/*/hkt-bench-podman /sys/fs/cgroup/hkt-bench-podman; do
		[[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$OUT/podman"
	return 0
}
trap cleanup EXIT

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# --- the connect() loop --------------------------------------------------------
cat >"$OUT/connect-lat.c" <<'EOF'
/* connect-lat N: p50 and p90 of connect(2) to a listener on 127.0.0.1, in us */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}
int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, len) || listen(l, 4096) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return 1;
	double *us = malloc(sizeof *us * (size_t)n);
	struct linger lg = { 1, 0 }; /* RST on close: no TIME_WAIT piles up */
	for (int i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (connect(s, (struct sockaddr *)&a, len))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us[i] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
		close(accept(l, NULL, NULL));
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(s);
	}
	qsort(us, (size_t)n, sizeof *us, cmp);
	printf("%.2f %.2f\n", us[n / 2], us[n * 9 / 10]);
	return 0;
}
EOF
cc -O2 -o "$OUT/connect-lat" "$OUT/connect-lat.c"

# p50 and p90 of the best of 5 rounds of ITERS connects (the machine is shared: the
# best round is the one least disturbed)
connect_p50() {
	local r
	for r in 1 2 3 4 5; do "$OUT/connect-lat" "$ITERS"; done | sort -n | head -1
}

# programs named husk_ports on the cgroup2 root's connect4 hook (every husk's)
connect4_programs() {
	local tool=${HUSK%/*}/tests/tools/cgroup-bpf root
	[[ -x $tool ]] || { echo "?"; return; }
	for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[[ $(stat -f -c %T "$root" 2>/dev/null) == cgroup2fs ]] || continue
		"$tool" "$root" | awk '$1 == "connect4" && $2 == "husk_ports"' | wc -l
		return
	done
	echo 0
}

# ns per run of husk's connect4 program(s) over ITERS connects, from the kernel's
# own accounting (kernel.bpf_stats_enabled, switched on for the loop and back)
program_ns() {
	local tool=${HUSK%/*}/tests/tools/cgroup-bpf root was
	[[ -x $tool ]] || { echo "?"; return; }
	for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[[ $(stat -f -c %T "$root" 2>/dev/null) == cgroup2fs ]] && break
	done
	was=$(cat /proc/sys/kernel/bpf_stats_enabled)
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	"$tool" --stats "$root" >"$OUT/stats0"
	"$OUT/connect-lat" "$ITERS" >/dev/null
	"$tool" --stats "$root" >"$OUT/stats1"
	echo "$was" >/proc/sys/kernel/bpf_stats_enabled
	awk 'NR == FNR { if ($1 == "connect4" && $2 == "husk_ports") { ns[$4] = $6; n[$4] = $8 }; next }
		$1 == "connect4" && $2 == "husk_ports" { dns += $6 - ns[$4]; dn += $8 - n[$4] }
		END { if (dn) printf "%.0f ns per connect over %d runs", dns / dn, dn; else print "?" }' \
		"$OUT/stats0" "$OUT/stats1"
}

# --- husk ----------------------------------------------------------------------
# start_husk FIRST N PUBLISHED TAG: containers FIRST..FIRST+N-1, BATCH at a time; the
# first PUBLISHED publish 127.0.0.1:PORT0+i and serve httpd, the others sleep
start_husk() {
	local first=$1 n=$2 pub=$3 tag=$4 i b name pids
	for ((b = first; b < first + n; b += BATCH)); do
		pids=()
		for ((i = b; i < b + BATCH && i < first + n; i++)); do
			name=hkt-bench-$tag$i
			echo "$name" >>"$NAMES"
			if ((i - first < pub)); then
				"$HUSK" run -d --name "$name" --tmpfs /www -p "127.0.0.1:$((PORT0 + i)):8080" \
					"$ROOTFS" /bin/sh -c "echo $name > /www/index.html; exec httpd -f -p 8080 -h /www" \
					>/dev/null &
			else
				"$HUSK" run -d --name "$name" "$ROOTFS" /bin/sleep 3600 >/dev/null &
			fi
			pids+=($!)
		done
		wait "${pids[@]}"
	done
}

# until 127.0.0.1:PORT0+FIRST .. +N-1 all answer (at most 120 s)
wait_answers() {
	local first=$1 n=$2 i deadline left
	deadline=$((SECONDS + 120))
	left=$(seq "$((PORT0 + first))" "$((PORT0 + first + n - 1))")
	while [[ -n $left ]] && ((SECONDS < deadline)); do
		left=$(for i in $left; do curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$i/" || echo "$i"; done)
	done
	[[ -z $left ]] || bench_die "no answer from $(wc -w <<<"$left") published ports"
}

remove_all() {
	local n pids=()
	while read -r n; do
		"$HUSK" rm -f "$n" >/dev/null &
		pids+=($!)
		((${#pids[@]} < BATCH)) || { wait "${pids[@]}"; pids=(); }
	done <"$NAMES"
	((${#pids[@]} == 0)) || wait "${pids[@]}"
	: >"$NAMES"
}

# average Pss (KiB) of the pids on stdin
pss_avg() {
	local p sum=0 k=0 v
	while read -r p; do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
		[[ -n $v ]] || continue
		sum=$((sum + v)) k=$((k + 1))
	done
	if ((k)); then echo "$((sum / k))"; else echo 0; fi
}

husk_monitors() {
	local n
	while read -r n; do
		grep -o '"husk_pid":[0-9]*' "/run/husk/$n/state.json" 2>/dev/null | cut -d: -f2
	done <"$NAMES"
}

bench_log "1. host loopback connect() p50, best of 5 x $ITERS connects: no container, then a bridge container with none published"
c_nothing=$(connect_p50)
# husk's nat table (masquerade, DNAT) comes with the first bridge container, and with
# it conntrack on every new connection, loopback ones included: the baseline has it
start_husk 0 1 0 base
progs0=$(connect4_programs)
c_none=$(connect_p50)
bench_log "   then with $COUNT containers each publishing one port"
start_husk 1 "$COUNT" "$COUNT" c
wait_answers 1 "$COUNT"
progs1=$(connect4_programs)
c_many=$(connect_p50)
prog_ns=$(program_ns)
remove_all

bench_log "2. husk: $COUNT x run -d ($PUBLISHED with -p), $BATCH at a time"
t0=$(now)
start_husk 0 "$COUNT" "$PUBLISHED" s
wait_answers 0 "$PUBLISHED"
t1=$(now)
husk_start=$(secs "$t0" "$t1")
husk_pss=$(husk_monitors | pss_avg)
t0=$(now)
remove_all
t1=$(now)
husk_rm=$(secs "$t0" "$t1")

pm_start='' pm_rm='' pm_pss=''
if ((PODMAN)); then
	bench_log "3. podman + runc: the same, in a scratch mount + network namespace"
	cat >"$OUT/podman.sh" <<-'EOF'
		#!/usr/bin/env bash
		set -Eeuo pipefail
		OUT=$1 ROOTFS=$2 COUNT=$3 PUBLISHED=$4 BATCH=$5 PORT0=$6
		W=$OUT/podman
		rm -rf "$W"
		mkdir -p "$W/net" "$W/storage" "$W/runroot" "$W/tmp"
		for d in /etc/cni/net.d /var/lib/cni /var/lib/containers; do
			mkdir -p "$d"
			mount -t tmpfs tmpfs "$d"
		done
		ip link set lo up
		# podman's default nofile and nproc (1048576) are above this machine's hard
		# limits: runc fails with EPERM (the brief's --ulimit nofile=1024:1024, for both)
		printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "none"\n' >"$W/containers.conf"
		export CONTAINERS_CONF=$W/containers.conf
		pm() {
			podman --root "$W/storage" --runroot "$W/runroot" --tmpdir "$W/tmp" \
				--network-config-dir "$W/net" --runtime runc "$@"
		}
		now() { date +%s.%N; }
		t0=$(now)
		for ((b = 0; b < COUNT; b += BATCH)); do
			pids=()
			for ((i = b; i < b + BATCH && i < COUNT; i++)); do
				if ((i < PUBLISHED)); then
					pm run -d --name "hkt-pm$i" --cgroup-parent /hkt-bench-podman \
						-p "127.0.0.1:$((PORT0 + i)):8080" \
						--rootfs "$ROOTFS" /bin/sh -c 'exec httpd -f -p 8080 -h /' >/dev/null &
				else
					pm run -d --name "hkt-pm$i" --cgroup-parent /hkt-bench-podman \
						--rootfs "$ROOTFS" /bin/sleep 3600 >/dev/null &
				fi
				pids+=($!)
			done
			wait "${pids[@]}"
		done
		left=$(seq "$PORT0" "$((PORT0 + PUBLISHED - 1))")
		deadline=$((SECONDS + 120))
		while [[ -n $left ]] && ((SECONDS < deadline)); do
			left=$(for i in $left; do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$i/" || echo "$i"; done)
		done
		t1=$(now)
		pss=$(for p in $(pgrep -x conmon); do
			grep -q "hkt-pm" "/proc/$p/cmdline" 2>/dev/null || continue
			awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup"
		done | awk '{ s += $1; n++ } END { print n ? int(s / n) : 0 }')
		t2=$(now)
		pm rm -a -f -t 0 >/dev/null
		t3=$(now)
		awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v p="$pss" -v l="$(wc -w <<<"$left")" \
			'BEGIN { printf "%.2f %.2f %d %d\n", b - a, d - c, p, l }'
	EOF
	read -r pm_start pm_rm pm_pss pm_left < <(unshare --mount --net --propagation private \
		bash "$OUT/podman.sh" "$OUT" "$ROOTFS" "$COUNT" "$PUBLISHED" "$BATCH" "$PORT0")
	((pm_left == 0)) || bench_warn "podman: $pm_left published ports never answered"
fi

br_start='' br_rm=''
if ((BRIDGE)); then
	bench_log "4. $BRIDGE containers on the bridge, $BATCH at a time"
	t0=$(now)
	start_husk 0 "$BRIDGE" 0 b
	t1=$(now)
	remove_all
	t2=$(now)
	br_start=$(secs "$t0" "$t1")
	br_rm=$(secs "$t1" "$t2")
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }
{
	echo "bench/scale.sh: $(date -u +%FT%TZ), husk $(git -C "$BENCH_REPO" rev-parse --short HEAD 2>/dev/null || echo ?), load $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-58s %s\n' "loopback connect() p50 / p90, no container (us)" "$c_nothing"
	printf '%-58s %s\n' "loopback connect() p50 / p90, a bridge, none published (us)" "$c_none (husk_ports connect4 programs on the root: $progs0)"
	printf '%-58s %s\n' "loopback connect() p50 / p90, $COUNT published (us)" "$c_many (programs: $progs1)"
	printf '%-58s %s us (target <= +2)\n' "  p50 difference" "$(awk -v a="${c_many%% *}" -v b="${c_none%% *}" 'BEGIN { printf "%+.2f", a - b }')"
	printf '%-58s %s\n' "  husk's connect4 programs' own run time (bpf_stats)" "$prog_ns"
	printf '%-58s husk %s s' "$COUNT run -d ($PUBLISHED with -p), $BATCH at a time, until all answer" "$husk_start"
	[[ -n $pm_start ]] && printf ', podman+runc %s s, ratio %s (target <= 0.1)' "$pm_start" "$(ratio "$husk_start" "$pm_start")"
	echo
	printf '%-58s husk %s s' "$COUNT removals, $BATCH at a time" "$husk_rm"
	[[ -n $pm_rm ]] && printf ', podman rm -a -f %s s, ratio %s' "$pm_rm" "$(ratio "$husk_rm" "$pm_rm")"
	echo
	printf '%-58s husk monitor %s KiB' "host memory per idle container (PSS)" "$husk_pss"
	[[ -n $pm_pss ]] && printf ', conmon %s KiB, ratio %s' "$pm_pss" "$(ratio "$husk_pss" "$pm_pss")"
	echo
	[[ -n $br_start ]] && printf '%-58s start %s s, remove %s s\n' "$BRIDGE containers on the bridge, $BATCH at a time" "$br_start" "$br_rm"
	true
} | tee "$OUT/summary.txt"
