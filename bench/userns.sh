#!/usr/bin/env bash
# bench/userns.sh — user namespaces (issue #16), side by side in one run:
#   1. rootless: `husk run --network none ROOTFS /bin/true` by an unprivileged user vs
#      `bwrap --unshare-all --uid 0 --gid 0 --bind ROOTFS / --proc /proc --dev /dev
#      /bin/true` (the same namespaces, as the same user)          target <= 1.3x
#      (1a: the same with HUSK_USERNS_LINGER=0: no husk-userns holder, so newuidmap
#      and newgidmap for each container)
#   2. root: `husk run --userns auto` over `--userns host` start-up   target <= +2 ms
#      (2b: the same with /run/husk on a tmpfs, as /run is on Debian and Ubuntu)
#   3. with --fastapi ROOTFS (build-rootfs.sh --method debootstrap): FastAPI /health
#      requests/s, `run-fastapi.sh run --rootless` through -p (slirp4netns) vs the
#      same uvicorn on the host's loopback (wrk, rounds alternating)  target >= 0.9;
#      and vs podman rootless (the same rootfs, podman import; -p; runc) where podman
#      is installed
#
#   bench/userns.sh [--runs N] [--rounds N] [--husk PATH] [--fastapi ROOTFS] [--disk-run]
#
# The users' XDG_RUNTIME_DIR (husk's rootless state root) is a tmpfs of its own, as
# /run/user/UID is in a login session; --disk-run puts it in the work dir under /tmp
# instead (here ext4, where husk's state dir then costs ~8 ms a run: bwrap keeps none).
#
# Creates a user of its own (useradd, /etc/subuid and /etc/subgid ranges) and a copy of
# the busybox rootfs owned by it, removes both afterwards. Needs root; hyperfine and
# bubblewrap (apt-get installs them when missing). Rounds alternate the order of the
# commands; the figure is the median of the rounds' means.
set -Eeuo pipefail

BENCH_PROG=userns.sh
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RUNS=40 ROUNDS=3 HUSK_OPT='' FASTAPI='' DISK_RUN=0
while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--husk) HUSK_OPT=$2; shift 2 ;;
	--fastapi) FASTAPI=$2; shift 2 ;;
	--disk-run) DISK_RUN=1; shift ;;
	-h | --help) sed -n '2,21p' "$0"; exit 0 ;;
	*) bench_die "unknown option $1" ;;
	esac
done

bench_need_root
bench_ensure hyperfine:hyperfine bwrap:bubblewrap newuidmap:uidmap jq:jq
HUSK=$(bench_husk_binary "$HUSK_OPT")
WORK=$(mktemp -d /tmp/hkt-userns-bench.XXXXXX)
chmod 755 "$WORK"
USER_NAME=hkt-rl-bench-$$

APP_PIDS=()
RUN_MOUNTS=()
cleanup() {
	local p
	# podman's container, storage and pause process (the user's; its state is in the
	# runtime dir, a tmpfs unmounted below)
	if [[ -n ${PM_STARTED:-} ]]; then
		pm rm -f -t 2 "hkt-fa-$$" >/dev/null 2>&1 || true
	fi
	if [[ -d $WORK/pmhome ]]; then
		pm rmi -f localhost/hkt-fastapi:bench >/dev/null 2>&1 || true
		kill -KILL "$(cat "$WORK/run/libpod/tmp/pause.pid" 2>/dev/null)" 2>/dev/null || true
	fi
	for p in "${APP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${APP_PIDS[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	if [[ -f $WORK/tun.opened ]]; then
		bench_tun_close
	fi
	for p in "${RUN_MOUNTS[@]}"; do umount "$p" 2>/dev/null || umount -l "$p" 2>/dev/null || true; done
	# the users' husk-userns holders (they linger by design)
	pkill -TERM -u "$USER_NAME" -x husk-userns 2>/dev/null || true
	for _ in $(seq 50); do pgrep -u "$USER_NAME" -x husk-userns >/dev/null || break; sleep 0.1; done
	userdel "$USER_NAME" 2>/dev/null || true
	userdel "$USER_NAME-1" 2>/dev/null || true
	sed -i "/^$USER_NAME:/d; /^$USER_NAME-1:/d" /etc/subuid /etc/subgid
	rm -rf "$WORK"
}
trap cleanup EXIT

# run_dir DIR USER: USER's XDG_RUNTIME_DIR, mode 700 (a tmpfs unless --disk-run)
run_dir() {
	install -d -m 700 -o "$2" "$1"
	((DISK_RUN)) && return 0
	mount -t tmpfs -o "mode=700,size=64m,uid=$(id -u "$2"),gid=$(id -g "$2")" tmpfs "$1"
	RUN_MOUNTS+=("$1")
}

setup() {
	useradd -M -d /nonexistent -s /bin/sh "$USER_NAME"
	grep -q "^$USER_NAME:" /etc/subuid || echo "$USER_NAME:1900000000:65536" >>/etc/subuid
	grep -q "^$USER_NAME:" /etc/subgid || echo "$USER_NAME:1900000000:65536" >>/etc/subgid
	bench_build_rootfs "$WORK/rootfs" >/dev/null
	chown -R "$USER_NAME:" "$WORK/rootfs"
	cp "$HUSK" "$WORK/husk"
	chmod 755 "$WORK/husk"
	run_dir "$WORK/run" "$USER_NAME"
	install -d -m 1777 "$WORK/out" # hyperfine's JSON, written as the users
	# a second user without a subuid range: one id mapped, no newuidmap (as bwrap)
	useradd -M -d /nonexistent -s /bin/sh "$USER_NAME-1"
	sed -i "/^$USER_NAME-1:/d" /etc/subuid /etc/subgid
	run_dir "$WORK/run1" "$USER_NAME-1"
	cp -a "$WORK/rootfs" "$WORK/rootfs1"
	chown -R "$USER_NAME-1:" "$WORK/rootfs1"
}

# mean_ms JSON INDEX
mean_ms() { jq -r ".results[$2].mean * 1000" "$1"; }

# rounds NAME USER RUNDIR CMD_A CMD_B: ROUNDS hyperfine runs, order alternating (USER
# "" = root); prints "A_ms B_ms" per round on stdout
rounds() {
	local name=$1 user=$2 run=$3 a=$4 b=$5 i out
	for ((i = 1; i <= ROUNDS; i++)); do
		out=$WORK/out/$name-$i.json
		local first=$a second=$b
		((i % 2 == 0)) && first=$b second=$a
		if [[ -n $user ]]; then
			# shellcheck disable=SC2086 # BENCH_ENV: VAR=VALUE words
			runuser -u "$user" -- env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$run" ${BENCH_ENV:-} \
				hyperfine -N -w 5 -r "$RUNS" --export-json "$out" "$first" "$second" >/dev/null 2>&1
		else
			hyperfine -N -w 5 -r "$RUNS" --export-json "$out" "$first" "$second" >/dev/null 2>&1
		fi
		if ((i % 2 == 0)); then
			echo "$(mean_ms "$out" 1) $(mean_ms "$out" 0)"
		else
			echo "$(mean_ms "$out" 0) $(mean_ms "$out" 1)"
		fi
	done
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

report() {
	local title=$1 file=$2 kind=$3 target=$4
	local a b
	a=$(awk '{ print $1 }' "$file" | median)
	b=$(awk '{ print $2 }' "$file" | median)
	if [[ $kind == ratio ]]; then
		awk -v t="$title" -v a="$a" -v b="$b" -v g="$target" 'BEGIN {
			r = a / b; printf "%-44s %8.2f ms vs %8.2f ms  ratio %.2f  (target <= %s: %s)\n",
				t, a, b, r, g, r <= g ? "met" : "NOT met" }'
	else
		awk -v t="$title" -v a="$a" -v b="$b" -v g="$target" 'BEGIN {
			d = a - b; printf "%-44s %8.2f ms vs %8.2f ms  %+.2f ms  (target <= +%s ms: %s)\n",
				t, a, b, d, g, d <= g ? "met" : "NOT met" }'
	fi
}

# FastAPI /health: rootless through slirp4netns vs the host's uvicorn
fastapi() {
	local rps=$WORK/fastapi.txt i a b c p ctr=32870 host=32871 pm=32872
	# (the protocol of tests/integration/rootless.bats: a count under a lock)
	bench_tun_open
	touch "$WORK/tun.opened"
	mkdir -p "$WORK/src/scripts"
	cp "$BENCH_REPO/run-fastapi.sh" "$WORK/src/"
	cp -r "$BENCH_REPO/scripts/lib" "$WORK/src/scripts/"
	cp -r "$BENCH_REPO/app" "$WORK/src/"
	chmod -R a+rX "$WORK/src"
	runuser -u "$USER_NAME" -- env -i PATH=/usr/bin:/bin HOME=/nonexistent XDG_RUNTIME_DIR="$WORK/run" \
		HUSK="$WORK/husk" ROOTFS="$FASTAPI" "$WORK/src/run-fastapi.sh" run --rootless -p "$ctr" \
		>"$WORK/out/fastapi-rootless.log" 2>&1 &
	APP_PIDS+=($!)
	(cd "$WORK/src/app" && exec /usr/bin/python3 -m uvicorn main:app --host 127.0.0.1 --port "$host" \
		>"$WORK/out/fastapi-host.log" 2>&1) &
	APP_PIDS+=($!)
	local pm_ok=0
	podman_fastapi "$pm" && pm_ok=1
	for p in "$ctr" "$host"; do
		for _ in $(seq 300); do curl -fsS -m 1 "http://127.0.0.1:$p/health" >/dev/null 2>&1 && break; sleep 0.2; done
	done
	wrk_rps() { wrk -t1 -c16 -d5 "http://127.0.0.1:$1/health" | awk '/Requests\/sec/ { print $2 }'; }
	for ((i = 1; i <= ROUNDS; i++)); do
		a=$(wrk_rps "$ctr")
		b=$(wrk_rps "$host")
		c=0
		((pm_ok)) && c=$(wrk_rps "$pm")
		echo "$a $b $c"
	done >"$rps"
	echo "rounds (requests/s): rootless -p / host / podman rootless -p: $(tr '\n' ';' <"$rps")"
	awk '{ print $1 / $2 }' "$rps" | median | awk '{ printf "%-44s ratio %.2f of the host  (target >= 0.9: %s)\n",
		"FastAPI /health rootless -p vs host uvicorn", $1, $1 >= 0.9 ? "met" : "NOT met" }'
	if ((pm_ok)); then
		awk '{ print $1 / $3 }' "$rps" | median | awk '{ printf "%-44s ratio %.2f of podman\n",
			"  the same vs podman rootless -p (" PM_RT ")", $1 }' PM_RT="$PM_RUNTIME"
	else
		echo "  podman rootless -p: not run ($PM_WHY)"
	fi
}

# podman rootless on the same rootfs (podman import), the same app and -p: as the same
# user, its own network (slirp4netns), --ulimit nofile (podman refuses this host's
# default); its storage and pause process go in cleanup
PM_WHY="podman is not installed" PM_RUNTIME=
pm() {
	runuser -u "$USER_NAME" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$WORK/pmhome" \
		XDG_RUNTIME_DIR="$WORK/run" podman "$@"
}
podman_fastapi() {
	local port=$1
	command -v podman >/dev/null || return 1
	install -d -m 700 -o "$USER_NAME" "$WORK/pmhome"
	# crun refuses this hybrid host; runc where it is there
	PM_RUNTIME=$(command -v runc || true)
	local rt=()
	[[ -n $PM_RUNTIME ]] && rt=(--runtime "$PM_RUNTIME")
	PM_RUNTIME=${PM_RUNTIME:-the default runtime}
	if ! tar -C "$FASTAPI" --numeric-owner --one-file-system -cf - . |
		pm import - localhost/hkt-fastapi:bench >"$WORK/out/podman-import.log" 2>&1; then
		PM_WHY="podman import failed: $(tail -n1 "$WORK/out/podman-import.log")"
		return 1
	fi
	if ! pm "${rt[@]}" run -d --name "hkt-fa-$$" --ulimit nofile=1024:1024 -p "127.0.0.1:$port:8000" \
		-v "$WORK/src/app:/app:ro" -e PYTHONDONTWRITEBYTECODE=1 localhost/hkt-fastapi:bench \
		/usr/bin/python3 -m uvicorn --app-dir /app main:app --host 0.0.0.0 --port 8000 \
		>"$WORK/out/podman-run.log" 2>&1; then
		PM_WHY="podman run failed: $(tail -n1 "$WORK/out/podman-run.log")"
		return 1
	fi
	PM_STARTED=1
	for _ in $(seq 300); do curl -fsS -m 1 "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0; sleep 0.2; done
	PM_WHY="podman's container did not answer on $port"
	return 1
}

main() {
	setup
	bench_log "load before: $(cut -d' ' -f1-3 /proc/loadavg); the users' XDG_RUNTIME_DIR on $(findmnt -no FSTYPE -T "$WORK/run")"
	bench_log "1. rootless husk vs bwrap (as $USER_NAME, subuid range; $ROUNDS rounds x $RUNS runs)"
	rounds rootless "$USER_NAME" "$WORK/run" \
		"$WORK/husk run --rm --network none $WORK/rootfs /bin/true" \
		"bwrap --unshare-all --uid 0 --gid 0 --bind $WORK/rootfs / --proc /proc --dev /dev /bin/true" \
		>"$WORK/rootless.txt"
	bench_log "1a. the same with HUSK_USERNS_LINGER=0 (no husk-userns: newuidmap for each container)"
	BENCH_ENV=HUSK_USERNS_LINGER=0 rounds rootless0 "$USER_NAME" "$WORK/run" \
		"$WORK/husk run --rm --network none $WORK/rootfs /bin/true" \
		"bwrap --unshare-all --uid 0 --gid 0 --bind $WORK/rootfs / --proc /proc --dev /dev /bin/true" \
		>"$WORK/rootless0.txt"
	bench_log "1b. the same for a user without a subuid range (one id, no newuidmap)"
	rounds rootless1 "$USER_NAME-1" "$WORK/run1" \
		"$WORK/husk run --rm --network none $WORK/rootfs1 /bin/true" \
		"bwrap --unshare-all --uid 0 --gid 0 --bind $WORK/rootfs1 / --proc /proc --dev /dev /bin/true" \
		>"$WORK/rootless1.txt"
	bench_log "2. --userns auto vs --userns host (root)"
	rounds auto "" "" \
		"$HUSK run --rm --network none --userns auto $WORK/rootfs /bin/true" \
		"$HUSK run --rm --network none $WORK/rootfs /bin/true" >"$WORK/auto.txt"
	# /run is a tmpfs on Debian and Ubuntu (this VM's is ext4, where the state dir and
	# the id block's lease cost ~0.1 ms per file made or removed): the same, in a mount
	# namespace of its own whose /run/husk is a tmpfs
	bench_log "2b. the same with /run/husk on a tmpfs (as on Debian and Ubuntu)"
	export -f rounds mean_ms
	export WORK RUNS ROUNDS
	# shellcheck disable=SC2016 # expanded by that bash
	unshare --mount --propagation private -- bash -c \
		'mkdir -p /run/husk && mount -t tmpfs -o mode=700 husk-bench /run/husk && rounds auto-tmpfs "" "" "$1" "$2"' \
		bash "$HUSK run --rm --network none --userns auto $WORK/rootfs /bin/true" \
		"$HUSK run --rm --network none $WORK/rootfs /bin/true" >"$WORK/auto-tmpfs.txt"
	rmdir /run/husk 2>/dev/null || true
	bench_log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "rounds (ms): rootless husk / bwrap: $(tr '\n' ';' <"$WORK/rootless.txt")"
	echo "rounds (ms): no holder, husk / bwrap: $(tr '\n' ';' <"$WORK/rootless0.txt")"
	echo "rounds (ms): one id, husk / bwrap: $(tr '\n' ';' <"$WORK/rootless1.txt")"
	echo "rounds (ms): auto / host: $(tr '\n' ';' <"$WORK/auto.txt")"
	report "rootless husk run vs bwrap (subuid range)" "$WORK/rootless.txt" ratio 1.3
	report "  the same, HUSK_USERNS_LINGER=0" "$WORK/rootless0.txt" ratio 1.3
	report "rootless husk run vs bwrap (one id)" "$WORK/rootless1.txt" ratio 1.3
	report "husk --userns auto vs --userns host" "$WORK/auto.txt" delta 2
	report "  the same, /run/husk on a tmpfs" "$WORK/auto-tmpfs.txt" delta 2
	if [[ -n $FASTAPI ]]; then
		bench_ensure wrk:wrk curl:curl
		fastapi
	fi
	bench_log "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

main
