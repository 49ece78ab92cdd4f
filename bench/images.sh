#!/usr/bin/env bash
# bench/images.sh — images side by side, one run, ratios:
#
#   bench/images.sh [--rootfs DIR] [--runs N] [--husk PATH] [--out DIR] [--keep]
#
#   1. load: husk load vs podman load and docker load of one docker-save archive of
#      the FastAPI rootfs (podman import + podman save); each into an empty store.
#      dockerd is started for it (--no-docker: not) in a scratch network and mount
#      namespace, with its own --data-root/--exec-root/--pidfile/socket under the
#      work dir, --iptables=false --bridge=none, and stopped at the end.
#      Target: husk <= 0.5 x the faster.
#   2. pull: husk pull vs skopeo copy to a dir and podman pull, from Debian's
#      docker-registry on 127.0.0.1 (the image pushed by skopeo, gzip layers); each
#      into an empty store under the work dir, then with every store on a fresh
#      ext4 (the loop image of 3). Target: husk <= 0.7 x the faster.
#   3. start-up: husk run IMAGE /bin/true vs husk run ROOTFS /bin/true (hyperfine),
#      with the store under the work dir, then with store and state root on a tmpfs,
#      then on a fresh ext4 (a loop image).
#      Target: <= 1.1 x.
#   4. 50 detached containers of the image: bytes in their upper dirs and the
#      store's growth. Target: ~0.
#
# The median of --runs runs (default 3) is reported for 1 and 2. Everything is made
# under a temporary dir (--out keeps it) and removed at the end: podman's storage,
# the registry, the husk stores, the containers.
set -Eeuo pipefail

BENCH_PROG=images.sh
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RUNS=3
ROOTFS=
HUSK=
OUT=
KEEP=0
DOCKER=1
DOCKERD_PID=
REG_PID=
NAMES=()

usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }

while (($#)); do
	case $1 in
	--rootfs) ROOTFS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--husk) HUSK=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--no-docker) DOCKER=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

bench_need_root
bench_ensure podman:podman skopeo:skopeo docker-registry:docker-registry hyperfine:hyperfine \
	jq:jq curl:curl /usr/bin/time:time
HUSK=$(bench_husk_binary "$HUSK")
if [[ -z $ROOTFS ]]; then
	for d in /var/cache/husk-test/rootfs-debootstrap /var/lib/husk/rootfs-fastapi; do
		[[ -x $d/usr/bin/python3 ]] && ROOTFS=$d && break
	done
fi
[[ -n $ROOTFS && -d $ROOTFS ]] ||
	bench_die "no FastAPI rootfs: build one (scripts/build-rootfs.sh DIR) and give --rootfs DIR"
W=${OUT:-$(mktemp -d /tmp/husk-bench-images.XXXXXX)}
mkdir -p "$W"
# Every store of the bench is under W. On an ext4 without a journal (as some VMs'
# disks are), each new inode skips the ones freed in the last 30 s (ext4's
# recently_deleted): a load or pull into a store that was just removed, or a start
# that follows many others, then pays for it. --out DIR on a tmpfs takes that out.
STORE_FS=$(stat -f -c %T "$W")
STORE_DEV=$(df --output=source "$W" | tail -1)
JOURNAL=
if [[ -d /sys/fs/ext4/${STORE_DEV##*/} ]]; then
	if [[ $(cat "/sys/fs/ext4/${STORE_DEV##*/}/journal_task" 2>/dev/null) == "<none>" ]]; then
		JOURNAL=", ext4 without a journal"
	else
		JOURNAL=", ext4 with a journal"
	fi
fi

POD=(podman --root "$W/podman/root" --runroot "$W/podman/run" --storage-driver overlay
	--cgroup-manager cgroupfs --events-backend none)

cleanup() {
	local n
	for n in "${NAMES[@]}"; do
		"$HUSK" rm -f "$n" >/dev/null 2>&1 || true
	done
	[[ -z $REG_PID ]] || kill "$REG_PID" 2>/dev/null || true
	if [[ -n $DOCKERD_PID ]]; then
		kill "$DOCKERD_PID" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$DOCKERD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$DOCKERD_PID" 2>/dev/null || true
	fi
	local d
	for d in "$W"/podman*; do
		[[ -d $d/root ]] || continue
		podman --root "$d/root" --runroot "$d/run" --storage-driver overlay \
			--cgroup-manager cgroupfs --events-backend none system reset -f >/dev/null 2>&1 || true
	done
	for d in "$W/tmpfs-state" "$W/ext4-state"; do
		if mountpoint -q "$d" 2>/dev/null; then
			umount "$d" || true
		fi
	done
	((KEEP)) || rm -rf "$W"
}
trap cleanup EXIT

now_ns() { date +%s%N; }

# time_ms PREP CMD...: runs PREP (a function: an empty store), then times CMD; prints
# "WALL_MS CPU_MS" (CPU: user + system of CMD and the children it waited for)
time_ms() {
	local prep=$1
	shift
	"$prep"
	sync
	/usr/bin/time -f '%e %U %S' -o "$W/time.out" "$@" >/dev/null 2>"$W/last.err" ||
		{ cat "$W/last.err" >&2; bench_die "failed: $*"; }
	awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$W/time.out"
}

# median PREP CMD...: "WALL CPU", each the median of RUNS timings
median() {
	local i
	: >"$W/runs"
	for ((i = 0; i < RUNS; i++)); do
		time_ms "$@" >>"$W/runs"
	done
	local w c
	w=$(cut -d' ' -f1 "$W/runs" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	c=$(cut -d' ' -f2 "$W/runs" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	echo "$w $c"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
min2() { if (($1 < $2)); then echo "$1"; else echo "$2"; fi; }

# the stores that load and pull write into: under B (W, or a fresh ext4 for pull)
B=$W
fresh_husk() { rm -rf "$B/store"; }
fresh_podman() {
	podman --root "$B/podman-b/root" --runroot "$W/podman-b/run" --storage-driver overlay \
		--cgroup-manager cgroupfs --events-backend none system reset -f >/dev/null 2>&1 || true
	rm -rf "$B/podman-b" "$W/podman-b"
}
fresh_dir() { rm -rf "$B/skopeo-dir"; }
# (the runroot stays under W: podman refuses one of over 50 characters)
podb() { PODB=(podman --root "$B/podman-b/root" --runroot "$W/podman-b/run" --storage-driver overlay
	--cgroup-manager cgroupfs --events-backend none); }
podb

bench_log "the archive: podman import + podman save of $ROOTFS"
tar -C "$ROOTFS" --numeric-owner --one-file-system -cf - . |
	"${POD[@]}" import -q - localhost/fastapi:bench >/dev/null
"${POD[@]}" save -q -o "$W/fastapi-docker.tar" localhost/fastapi:bench
ARCHIVE_MB=$(($(stat -c %s "$W/fastapi-docker.tar") / 1048576))
bench_log "archive: $ARCHIVE_MB MiB"

# --- 1. load -----------------------------------------------------------------------
bench_log "1. load ($RUNS runs each)"
read -r L_HUSK L_HUSK_CPU < <(median fresh_husk "$HUSK" --image-root "$W/store" load -i "$W/fastapi-docker.tar")
read -r L_POD L_POD_CPU < <(median fresh_podman "${PODB[@]}" load -q -i "$W/fastapi-docker.tar")
L_BEST=$L_POD L_BEST_NAME=podman
L_DOCKER=-
# dockerd in namespaces of its own: its mounts and any rule it makes die with them
start_dockerd() {
	local d=$W/docker
	mkdir -p "$d"
	export DOCKER_HOST=unix://$d/docker.sock
	unshare --net --mount --propagation private -- sh -c 'mount -t tmpfs tmpfs /run &&
		ip link set lo up && exec "$@"' dockerd dockerd --data-root "$d/data" \
		--exec-root "$d/exec" --pidfile "$d/docker.pid" -H "$DOCKER_HOST" \
		--iptables=false --ip6tables=false --bridge=none >"$d/log" 2>&1 </dev/null &
	DOCKERD_PID=$!
	for _ in $(seq 300); do
		docker info >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	bench_warn "dockerd did not answer (see $d/log)"
	return 1
}
if ((DOCKER)) && command -v dockerd >/dev/null && start_dockerd; then
	fresh_docker() { docker system prune -a -f >/dev/null 2>&1 || true; }
	read -r L_DOCKER _ < <(median fresh_docker docker load -q -i "$W/fastapi-docker.tar")
	fresh_docker
	# the work is dockerd's, not the client's: its CPU time is not measured
	if ((L_DOCKER < L_BEST)); then L_BEST=$L_DOCKER L_BEST_NAME=docker; fi
else
	bench_warn "docker load not measured"
fi

# --- 2. pull -----------------------------------------------------------------------
bench_log "2. pull ($RUNS runs each) from docker-registry on 127.0.0.1"
mkdir -p "$W/registry/data"
for PORT in $(shuf -i 22000-22999 -n 20); do
	ss -Hltn "sport = :$PORT" | grep -q . || break
done
cat >"$W/registry/config.yml" <<EOC
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $W/registry/data
http:
  addr: 127.0.0.1:$PORT
EOC
docker-registry serve "$W/registry/config.yml" >"$W/registry/log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do
	curl -fs "http://127.0.0.1:$PORT/v2/" -o /dev/null && break
	sleep 0.1
done
REF=127.0.0.1:$PORT/bench/fastapi:1
skopeo copy -q --dest-tls-verify=false "docker-archive:$W/fastapi-docker.tar" "docker://$REF"
# pull_into: the three pulls into stores under B; sets P_* (ms)
pull_into() {
	podb
	read -r P_HUSK P_HUSK_CPU < <(median fresh_husk "$HUSK" --image-root "$B/store" pull -q --insecure "$REF")
	read -r P_SKOPEO P_SKOPEO_CPU < <(median fresh_dir skopeo copy -q --src-tls-verify=false "docker://$REF" "dir:$B/skopeo-dir")
	read -r P_POD P_POD_CPU < <(median fresh_podman "${PODB[@]}" pull -q --tls-verify=false "$REF")
	fresh_podman
	fresh_dir
	P_BEST=$(min2 "$P_SKOPEO" "$P_POD")
}
pull_into

# --- 3. start-up -------------------------------------------------------------------
bench_log "3. start-up: husk run IMAGE /bin/true vs husk run ROOTFS /bin/true"
# start_on NAME STORE [STATE_ROOT]: the two side by side (hyperfine), the image
# imported into STORE, the state root STATE_ROOT (else husk's own); sets ON_IMG,
# ON_DIR, ON_IMG_CPU, ON_DIR_CPU (ms)
start_on() {
	local name=$1 t=(--image-root "$2") j=$W/start-$1.json
	[[ -z ${3:-} ]] || t+=(--root "$3")
	tar -C "$ROOTFS" --numeric-owner --one-file-system -cf - . |
		"$HUSK" --image-root "$2" import - fastapi:run >/dev/null
	hyperfine -N -w 5 -r 40 --export-json "$j" \
		"$HUSK ${t[*]} run --network none fastapi:run /bin/true" \
		"$HUSK ${t[*]} run --network none $ROOTFS /bin/true" >"$W/start-$name.txt" 2>&1 ||
		{ cat "$W/start-$name.txt" >&2; bench_die "hyperfine (store on $name) failed"; }
	ON_IMG=$(jq '.results[0].mean * 1000' "$j")
	ON_DIR=$(jq '.results[1].mean * 1000' "$j")
	ON_IMG_CPU=$(jq '(.results[0].user + .results[0].system) * 1000' "$j")
	ON_DIR_CPU=$(jq '(.results[1].user + .results[1].system) * 1000' "$j")
}
start_on disk "$W/store"
S_IMG=$ON_IMG S_DIR=$ON_DIR S_IMG_CPU=$ON_IMG_CPU S_DIR_CPU=$ON_DIR_CPU
export HUSK_IMAGE_ROOT=$W/store # section 4's containers
# On a tmpfs: what the overlay costs with the disk filesystem's own mkdir/rmdir costs
# (each container's upper and work dirs are made and removed) taken out.
mkdir -p "$W/tmpfs-state"
mount -t tmpfs -o size=1g husk-bench "$W/tmpfs-state"
start_on tmpfs "$W/tmpfs-state/store" "$W/tmpfs-state/run"
umount "$W/tmpfs-state"
T_IMG=$ON_IMG T_DIR=$ON_DIR
# And on a fresh ext4 (a sparse loop image, journaled: freed blocks are discarded at
# the journal's commit). This VM's root ext4 has no journal and is mounted with
# discard, so each block freed, one per directory removed, waits for a synchronous
# discard (ext4_free_blocks -> blkdev_issue_discard, ~80 us; perf shows it).
E_IMG=- E_DIR=-
if command -v mkfs.ext4 >/dev/null && truncate -s 3G "$W/ext4.img" &&
	mkfs.ext4 -q -F "$W/ext4.img" && mkdir -p "$W/ext4-state" &&
	mount -o loop "$W/ext4.img" "$W/ext4-state"; then
	start_on ext4 "$W/ext4-state/store" "$W/ext4-state/run"
	E_IMG=$ON_IMG E_DIR=$ON_DIR
	# pull again, every store on this ext4: no recently_deleted inodes to skip
	# (that check is made only without a journal), the page cache as warm
	K=("$P_HUSK" "$P_HUSK_CPU" "$P_SKOPEO" "$P_SKOPEO_CPU" "$P_POD" "$P_POD_CPU" "$P_BEST")
	B=$W/ext4-state/pull
	mkdir -p "$B"
	pull_into
	E_P_HUSK=$P_HUSK E_P_HUSK_CPU=$P_HUSK_CPU E_P_SKOPEO=$P_SKOPEO E_P_SKOPEO_CPU=$P_SKOPEO_CPU
	E_P_POD=$P_POD E_P_POD_CPU=$P_POD_CPU E_P_BEST=$P_BEST
	P_HUSK=${K[0]} P_HUSK_CPU=${K[1]} P_SKOPEO=${K[2]} P_SKOPEO_CPU=${K[3]}
	P_POD=${K[4]} P_POD_CPU=${K[5]} P_BEST=${K[6]}
	B=$W
	umount "$W/ext4-state"
	rm -f "$W/ext4.img"
else
	bench_warn "no loop-mounted ext4 here: its start-up line is left out"
fi

# --- 4. 50 containers ---------------------------------------------------------------
bench_log "4. 50 detached containers of the image"
STORE_BEFORE=$(du -sb "$W/store" | cut -f1)
for i in $(seq 50); do
	n=bench-img-$$-$i
	NAMES+=("$n")
	"$HUSK" run -d --name "$n" --network none fastapi:run /bin/sleep 600 >/dev/null
done
UPPER=0 FILES=0
for n in "${NAMES[@]}"; do
	b=$(du -sb "/run/husk/$n/layer/upper" | cut -f1)
	UPPER=$((UPPER + b))
	FILES=$((FILES + $(find "/run/husk/$n/layer/upper" -mindepth 1 | wc -l)))
done
STORE_AFTER=$(du -sb "$W/store" | cut -f1)
for n in "${NAMES[@]}"; do
	"$HUSK" rm -f "$n" >/dev/null
done
NAMES=()
unset HUSK_IMAGE_ROOT

# --- report ------------------------------------------------------------------------
printf '\nbench/images.sh  %s  (%s, archive %s MiB, %s runs, median; load average %s)\n' \
	"$(date -u +%FT%TZ)" "$ROOTFS" "$ARCHIVE_MB" "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  the stores under %s: %s on %s%s\n' "$W" "$STORE_FS" "$STORE_DEV" "$JOURNAL"
printf '  load   wall: husk %6s ms  podman %6s ms  docker %6s ms   husk/%s = %s  (target <= 0.5)\n' \
	"$L_HUSK" "$L_POD" "$L_DOCKER" "$L_BEST_NAME" "$(ratio "$L_HUSK" "$L_BEST")"
printf '         cpu:  husk %6s ms  podman %6s ms  docker      - (dockerd)   husk/podman = %s\n' \
	"$L_HUSK_CPU" "$L_POD_CPU" "$(ratio "$L_HUSK_CPU" "$L_POD_CPU")"
printf '  pull   wall: husk %6s ms  skopeo-dir %6s ms  podman %6s ms   husk/faster = %s  (target <= 0.7)\n' \
	"$P_HUSK" "$P_SKOPEO" "$P_POD" "$(ratio "$P_HUSK" "$P_BEST")"
printf '         cpu:  husk %6s ms  skopeo-dir %6s ms  podman %6s ms   husk/podman = %s\n' \
	"$P_HUSK_CPU" "$P_SKOPEO_CPU" "$P_POD_CPU" "$(ratio "$P_HUSK_CPU" "$P_POD_CPU")"
[[ $E_IMG == - ]] || {
	printf '         wall, every store on a fresh ext4: husk %6s ms  skopeo-dir %6s ms  podman %6s ms   husk/faster = %s\n' \
		"$E_P_HUSK" "$E_P_SKOPEO" "$E_P_POD" "$(ratio "$E_P_HUSK" "$E_P_BEST")"
	printf '         cpu,  every store on a fresh ext4: husk %6s ms  skopeo-dir %6s ms  podman %6s ms   husk/podman = %s\n' \
		"$E_P_HUSK_CPU" "$E_P_SKOPEO_CPU" "$E_P_POD_CPU" "$(ratio "$E_P_HUSK_CPU" "$E_P_POD_CPU")"
}
printf '  start  wall: IMAGE %.1f ms  ROOTFS %.1f ms   image/rootfs = %s  (target <= 1.1)\n' \
	"$S_IMG" "$S_DIR" "$(ratio "$S_IMG" "$S_DIR")"
printf '         cpu:  IMAGE %.1f ms  ROOTFS %.1f ms   image/rootfs = %s\n' \
	"$S_IMG_CPU" "$S_DIR_CPU" "$(ratio "$S_IMG_CPU" "$S_DIR_CPU")"
printf '         wall, store and state root on a tmpfs: IMAGE %.1f ms  ROOTFS %.1f ms   image/rootfs = %s\n' \
	"$T_IMG" "$T_DIR" "$(ratio "$T_IMG" "$T_DIR")"
[[ $E_IMG == - ]] ||
	printf '         wall, store and state root on a fresh ext4: IMAGE %.1f ms  ROOTFS %.1f ms   image/rootfs = %s\n' \
		"$E_IMG" "$E_DIR" "$(ratio "$E_IMG" "$E_DIR")"
printf '  50 containers: %s files, %s bytes (the empty dirs) in their upper dirs; store %s -> %s bytes (target ~0)\n' \
	"$FILES" "$UPPER" "$STORE_BEFORE" "$STORE_AFTER"
