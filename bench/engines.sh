#!/usr/bin/env bash
# bench/engines.sh — the engines on husk against the same engines on runc, in one run.
#
#   bench/engines.sh [--runs N] [--burst N] [--husk PATH] [--out DIR] [--skip LIST]
#
# 1. `docker run --rm IMAGE true`, husk vs runc, N runs each (default 30), every
#    run interleaved (target: husk/runc <= 0.85). Then 5 more runs each through a
#    timing wrapper around the runtime: the runtime's own share of a `docker run`
#    (the sum of its create/start/state/kill/delete calls against the wall time).
# 2. `podman run --rm IMAGE true`, husk vs runc, N runs each (target <= 0.85).
# 3. N containers (default 50) started at once with `docker run -d` (busybox httpd),
#    wall time until every one answers curl on its bridge address, husk vs runc,
#    runtimes alternating over 3 rounds (target <= 0.8); host memory per idle
#    container: its memory cgroup's usage plus its shim's PSS (husk leaves no
#    process of its own), and the shim's part of it. Then one timed round each: the
#    runtime's calls inside the burst, summed and per verb.
# dockerd and podman run as the tests run them (tests/engines/engines.bash): in a
# scratch network + mount namespace with a private /run, data in a work directory,
# so nothing of them reaches the host. Needs root, docker.io, podman, runc, curl.
set -Eeuo pipefail

BENCH_PROG=engines.sh
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RUNS=30 BURST=50 HUSK_OPT='' OUT='' SKIP=''
while (($#)); do
	case $1 in
	--runs | --burst | --husk | --out | --skip)
		[[ $# -ge 2 ]] || bench_die "$1 needs a value"
		case $1 in
		--runs) RUNS=$2 ;;
		--burst) BURST=$2 ;;
		--husk) HUSK_OPT=$2 ;;
		--out) OUT=$2 ;;
		--skip) SKIP=$2 ;;
		esac
		shift 2
		;;
	-h | --help) sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) bench_die "unknown option $1 (see --help)" ;;
	esac
done

bench_need_root
bench_ensure dockerd:docker.io podman:podman runc:runc curl:curl python3:python3 unshare:util-linux
HUSK=$(bench_husk_binary "$HUSK_OPT")
RUNC=$(command -v runc)
"$HUSK" create --help >/dev/null 2>&1 || bench_die "$HUSK has no OCI face (husk create)"
WORK=$(mktemp -d /tmp/hkt-bench-eng.XXXX)
OUT=${OUT:-$(mktemp -d /tmp/husk-bench-engines.XXXX)}
mkdir -p "$OUT"
CG=hkt-eng-bench-$$
IMG=hkt-busybox
NS_PIDS=()
MADE_DIRS=()

skipped() { [[ ,$SKIP, == *,$1,* ]]; }

# ns_start NAME CMD...: CMD as the first process of a scratch net + mount namespace
ns_start() {
	local name=$1
	shift
	# shellcheck disable=SC2016 # expanded by that shell
	unshare --net --mount --propagation private -- sh -c \
		'mount -t tmpfs -o mode=755 tmpfs /run && for d in $EXTRA; do mount -t tmpfs tmpfs "$d"; done &&
		ip link set lo up && : >"$READY" && exec "$@"' sh "$@" >"$WORK/$name.log" 2>&1 </dev/null &
	NS_PIDS+=($!)
	local i
	for i in $(seq 200); do [[ -e $READY ]] && return 0; sleep 0.05; done
	bench_die "$name did not start (log: $WORK/$name.log)"
}

ns_pids() {
	local p net mnt
	for p in "${NS_PIDS[@]}"; do
		net=$(readlink "/proc/$p/ns/net" 2>/dev/null) || continue
		mnt=$(readlink "/proc/$p/ns/mnt")
		for q in /proc/[0-9]*; do
			[[ $(readlink "$q/ns/net" 2>/dev/null) == "$net" || $(readlink "$q/ns/mnt" 2>/dev/null) == "$mnt" ]] &&
				echo "${q#/proc/}"
		done
	done
	grep -ls ":/$CG\(/\|$\)" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
}

cleanup() {
	local p i
	set +e
	trap - ERR
	if [[ -n ${DOCKER_HOST:-} ]]; then
		docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
	fi
	for p in "${NS_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for i in $(seq 100); do
		p=0
		for q in "${NS_PIDS[@]}"; do kill -0 "$q" 2>/dev/null && p=1; done
		((p)) || break
		sleep 0.1
	done
	for p in $(ns_pids | sort -u); do kill -KILL "$p" 2>/dev/null || true; done
	sleep 0.2
	find /sys/fs/cgroup -maxdepth 6 -type d -name "$CG" 2>/dev/null |
		while IFS= read -r d; do find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
	for p in "${MADE_DIRS[@]}"; do rmdir "$p" 2>/dev/null || true; done
	rm -rf "$WORK/docker" "$WORK/podman"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'printf "%s: failed at line %s: %s\n" "$BENCH_PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

# the runtimes' timing wrappers: one line "VERB NANOSECONDS" per call; husk's also
# gets --debug and a --log of the wrapper's own (put last among the global flags, so
# it wins over the shim's), whose lines say how long each hook took
timed_wrapper() {
	local debug=
	[[ $1 == husk ]] && debug="--debug --log $WORK/$1-debug.log --log-format text"
	cat >"$WORK/$1-timed" <<EOF
#!/bin/sh
t0=\$(date +%s%N)
n=\$#
i=0
for a in "\$@"; do
	case \$a in create|start|state|kill|delete|exec|ps|pause|resume|update|features) break ;; esac
	i=\$((i + 1))
done
j=0
for a in "\$@"; do
	[ \$j -eq \$i ] && set -- "\$@" $debug
	set -- "\$@" "\$a"
	j=\$((j + 1))
done
shift \$n
"$2" "\$@"
rc=\$?
verb=
for a in "\$@"; do case \$a in create|start|state|kill|delete|exec|ps|pause|resume|update) verb=\$a; break ;; esac; done
echo "\$verb \$((\$(date +%s%N) - t0))" >>"$WORK/$1-timed.log"
exit \$rc
EOF
	chmod +x "$WORK/$1-timed"
}

tar_rootfs() {
	local root
	root=$(rootfs_dir)
	tar -C "$root" --exclude=./.husk-rootfs -cf "$WORK/rootfs.tar" .
}

rootfs_dir() {
	local d=/var/cache/husk-test/busybox
	if [[ ! -x $d/bin/busybox ]]; then
		d=$WORK/rootfs
		[[ -x $d/bin/busybox ]] || bench_build_rootfs "$d" >&2
	fi
	printf '%s\n' "$d"
}

start_docker() {
	local d=$WORK/docker
	mkdir -p "$d"
	timed_wrapper husk "$HUSK"
	timed_wrapper runc "$RUNC"
	cat >"$d/daemon.json" <<EOF
{ "runtimes": { "husk": { "path": "$HUSK" }, "husk-timed": { "path": "$WORK/husk-timed" },
  "runc-timed": { "path": "$WORK/runc-timed" } }, "cgroup-parent": "/$CG" }
EOF
	export DOCKER_HOST=unix://$d/docker.sock
	READY=$d/.ready EXTRA='' ns_start dockerd dockerd --config-file "$d/daemon.json" \
		--data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/pid" -H "$DOCKER_HOST"
	DOCKERD_NS=${NS_PIDS[-1]}
	local i
	for i in $(seq 300); do docker info >/dev/null 2>&1 && break; sleep 0.1; done
	docker import - "$IMG" <"$WORK/rootfs.tar" >/dev/null
	docker run --rm --runtime husk "$IMG" true || bench_die "docker run --runtime husk fails"
}

# 1. docker run --rm true
bench_docker_run() {
	bench_log "1. docker run --rm $IMG true: husk vs runc, $RUNS runs each, interleaved"
	printf 'husk\tdocker run --rm --runtime husk %s true\nrunc\tdocker run --rm --runtime runc %s true\n' \
		"$IMG" "$IMG" >"$WORK/docker.cmds"
	cut -d' ' -f1 /proc/loadavg >"$OUT/load.before"
	BENCH_NO_HYPERFINE=1 bench_measure "$WORK/docker.cmds" "$OUT/docker-run" "$RUNS" 3 2
	cp /proc/loadavg "$OUT/docker-run/load.after"
	cp "$OUT/load.before" "$OUT/docker-run/load.before"
	bench_summarize "$OUT/docker-run" husk | tee "$OUT/docker-run.md"
	# the runtime's share, through the wrappers
	local rt
	for rt in husk runc; do
		runtime_share "$OUT/docker-run.md" "$rt" docker run --rm --runtime "$rt-timed" "$IMG" true
	done
	# of husk's create, docker's own prestart hook (libnetwork-setkey: dockerd sets up
	# the network namespace then)
	if [[ -s $WORK/husk-debug.log ]]; then
		sed -n 's/.*msg="prestart hook [0-9]* (\([^)]*\)): ended after \([0-9.]*\) ms".*/\1 \2/p' \
			"$WORK/husk-debug.log" | awk '{ n++; s += $2; p = $1 } END { if (n)
				printf "husk: its prestart hook (%s, docker'"'"'s networking) took %.1f ms of each create (%d runs)\n", p, s / n, n }' |
			tee -a "$OUT/docker-run.md"
	fi
}

# runtime_share MD RT CMD...: 5 runs of CMD, which runs RT's timing wrapper; the sum
# of the wrapper's calls against the wall time, and each verb's mean, appended to MD
runtime_share() {
	local md=$1 rt=$2 i t0 t1 wall=0
	shift 2
	: >"$WORK/$rt-timed.log"
	for ((i = 0; i < 5; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null
		t1=$(date +%s%N)
		wall=$((wall + t1 - t0))
	done
	awk -v rt="$rt" -v wall="$wall" '{ n[$1]++; s[$1] += $2; all += $2 }
		END { printf "%s: the runtime ran %.1f ms of a %.1f ms run (%.0f%%):", rt, all / 5e6, wall / 5e6, 100 * all / wall;
		      for (v in s) printf " %s %gx %.1f ms", v, n[v] / 5, s[v] / n[v] / 1e6; printf "\n" }' \
		"$WORK/$rt-timed.log" | tee -a "$md"
}

# 3. BURST containers at once
burst_once() {
	local rt=$1 t0 t1 ips
	t0=$(date +%s%N)
	seq "$BURST" | xargs -P "$BURST" -I{} docker run -d --runtime "$rt" --name "hkt-b-$rt-{}" "$IMG" \
		httpd -f -p 80 -h /etc >/dev/null
	mapfile -t ips < <(docker inspect -f '{{.NetworkSettings.IPAddress}}' $(seq -f "hkt-b-$rt-%g" "$BURST"))
	local left=("${ips[@]}") next ip
	while ((${#left[@]})); do
		next=()
		for ip in "${left[@]}"; do
			nsenter -t "$DOCKERD_NS" -n curl -sf -m 1 -o /dev/null "http://$ip/passwd" || next+=("$ip")
		done
		left=("${next[@]}")
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# what the containers hold (their memory cgroups, summed) and what their shims hold
# (the summed PSS of the containerd-shim-runc-v2 processes), in KiB
containers_kib() {
	local f sum=0
	while IFS= read -r f; do
		sum=$((sum + $(cat "$f") / 1024))
	done < <(find /sys/fs/cgroup/memory/"$CG" -mindepth 2 -name memory.usage_in_bytes 2>/dev/null || true;
		find /sys/fs/cgroup/"$CG" -mindepth 2 -name memory.current 2>/dev/null || true)
	echo "$sum"
}

shims_pss_kib() {
	local p sum=0
	for p in $(pgrep -f containerd-shim-runc-v2 || true); do
		sum=$((sum + $(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
	done
	echo "$sum"
}

bench_burst() {
	bench_log "3. $BURST x docker run -d at once, until all answer: husk vs runc, 3 rounds"
	local r rt ms c s order
	: >"$OUT/burst.tsv"
	for r in 1 2 3; do
		order="husk runc"
		((r % 2 == 0)) && order="runc husk"
		for rt in $order; do
			ms=$(burst_once "$rt")
			c=$(containers_kib)
			s=$(shims_pss_kib)
			printf '%s\t%s\t%s\t%s\n' "$rt" "$ms" "$(((c + s) / BURST))" "$((s / BURST))" >>"$OUT/burst.tsv"
			bench_log "  round $r $rt: $ms ms; per idle container $(((c + s) / BURST)) KiB (its cgroup + its shim's PSS), $((s / BURST)) KiB of it the shim's"
			docker ps -aq | xargs -r docker rm -f >/dev/null
		done
	done
	python3 - "$OUT/burst.tsv" <<'PY' | tee "$OUT/burst.md"
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
d = {}
for rt, ms, mem, shim in rows:
    d.setdefault(rt, []).append((int(ms), int(mem), int(shim)))
med = lambda rt, k: statistics.median(x[k] for x in d[rt])
for rt in ("husk", "runc"):
    print(f"| {rt} | all answer after {med(rt, 0):.0f} ms (rounds: {', '.join(str(x[0]) for x in d[rt])}) | "
          f"{med(rt, 1):.0f} KiB per idle container (cgroup + shim PSS) | {med(rt, 2):.0f} KiB of it the shim's |")
print(f"husk/runc (median wall time): {med('husk', 0) / med('runc', 0):.2f}")
PY
	# one more round each through the timing wrappers: what each runtime's calls
	# took inside the burst (they contend with dockerd and each other for the CPUs)
	for rt in husk runc; do
		: >"$WORK/$rt-timed.log"
		[[ $rt == husk ]] && : >"$WORK/husk-debug.log"
		ms=$(burst_once "$rt-timed")
		docker ps -aq | xargs -r docker rm -f >/dev/null
		awk -v rt="$rt" -v n="$BURST" -v ms="$ms" '$1 != "" { c[$1]++; s[$1] += $2; all += $2 }
			END { printf "%s in a timed burst (%d ms): its calls summed %.0f ms, %.1f ms per container:", rt, ms, all / 1e6, all / n / 1e6;
			      for (v in s) printf " %s %.1f ms", v, s[v] / c[v] / 1e6; printf "\n" }' \
			"$WORK/$rt-timed.log" | tee -a "$OUT/burst.md"
		[[ $rt == husk && -s $WORK/husk-debug.log ]] || continue
		sed -n 's/.*msg="prestart hook [0-9]* ([^)]*): ended after \([0-9.]*\) ms".*/\1/p' "$WORK/husk-debug.log" |
			awk '{ n++; s += $1 } END { if (n) printf "husk in that burst: docker'"'"'s prestart hook took %.1f ms of each create (%d creates)\n", s / n, n }' |
			tee -a "$OUT/burst.md"
	done
}

# 2. podman run --rm true
start_podman() {
	local d=$WORK/podman
	mkdir -p "$d/net"
	cat >"$d/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
EOF
	export CONTAINERS_CONF=$d/containers.conf
	local tmpfs="/etc/cni/net.d /var/lib/cni /var/lib/containers"
	# mount points the host lacks are made, and removed by cleanup
	for p in $tmpfs; do
		[[ -d $p ]] && continue
		mkdir -p "$p"
		MADE_DIRS+=("$p")
	done
	READY=$d/.ready EXTRA=$tmpfs ns_start podman sleep infinity
	PODMAN_NS=${NS_PIDS[-1]}
	timed_wrapper husk "$HUSK"
	timed_wrapper runc "$RUNC"
	PM="nsenter -t $PODMAN_NS -n -m podman --root $d/storage --runroot $d/runroot --tmpdir $d/tmp --network-config-dir $d/net"
	$PM import "$WORK/rootfs.tar" "$IMG" >/dev/null
}

bench_podman_run() {
	bench_log "2. podman run --rm $IMG true: husk vs runc, $RUNS runs each, interleaved"
	printf 'husk\t%s run --rm --cgroup-parent /%s --runtime %s %s true\nrunc\t%s run --rm --cgroup-parent /%s --runtime %s %s true\n' \
		"$PM" "$CG" "$HUSK" "localhost/$IMG" "$PM" "$CG" "$RUNC" "localhost/$IMG" >"$WORK/podman.cmds"
	cut -d' ' -f1 /proc/loadavg >"$OUT/podman-run.load"
	BENCH_NO_HYPERFINE=1 bench_measure "$WORK/podman.cmds" "$OUT/podman-run" "$RUNS" 3 2
	bench_summarize "$OUT/podman-run" husk | tee "$OUT/podman-run.md"
	local rt
	for rt in husk runc; do
		# shellcheck disable=SC2086 # $PM is a command line
		runtime_share "$OUT/podman-run.md" "$rt" $PM run --rm --cgroup-parent "/$CG" \
			--runtime "$WORK/$rt-timed" "localhost/$IMG" true
	done
}

tar_rootfs
bench_log "husk: $HUSK ($("$HUSK" --version 2>&1 | head -n1)); runc: $RUNC; load $(cut -d' ' -f1-3 /proc/loadavg)"
if ! skipped docker || ! skipped burst; then
	start_docker
	skipped docker || bench_docker_run
	skipped burst || bench_burst
fi
skipped podman || { start_podman && bench_podman_run; }
bench_log "results in $OUT"
