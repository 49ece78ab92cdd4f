#!/usr/bin/env bash
# bench/usernet.sh — the user-mode network of a rootless container (issue #16):
# slirp4netns against pasta (Debian's passt), side by side in one run, each as the
# network of an unprivileged user + network namespace (`unshare --user --map-root-user
# --net`, made by an unprivileged user, as rootless husk makes its container's), and
# husk's own `run --network slirp4netns` beside them. Reported: pasta/slirp4netns and
# husk/slirp4netns ratios of
#   1. start-up: spawning the helper until its ready signal (slirp4netns --ready-fd,
#      pasta's parent exiting when its daemon is up), and until a first TCP connection
#      from the namespace to the host is accepted; its stop; its CPU; median of --runs;
#      husk: `run --rm --network slirp4netns` over `--network none`;
#   2. outbound: iperf3 from the namespace to a server on the host's loopback (both
#      directions) and 64-byte TCP round trips (slirp4netns: 10.0.2.2 is the host's
#      loopback; pasta: the gateway address, -g 10.0.2.2, is, its default --map-gw);
#   3. inbound through a published port on 127.0.0.1 (slirp4netns: add_hostfwd on its
#      API socket, as husk does; pasta: -t 127.0.0.1/PORT): iperf3 both ways, wrk
#      requests/s against a tiny keep-alive HTTP server, 64-byte round trips;
#   4. memory: PSS and RSS of the helper idle, and after the traffic.
# Traffic rounds alternate the order of the helpers; the figure is the median.
#
#   bench/usernet.sh [--runs N (30)] [--rounds N (5)] [--duration S (3)] [--trips N (5000)]
#                    [--husk PATH] [--no-husk] [--out DIR] [--keep]
#
# Both helpers get the same addresses (10.0.2.100/24 on tap0, gateway 10.0.2.2), MTU
# 65520 and IPv4 only; pasta's automatic port forwarding is off (-t/-u/-T/-U none, or
# the published ports only), so it does what husk asks of slirp4netns. slirp4netns
# keeps 10.0.2.2 -> host loopback on (husk passes --disable-host-loopback, which only
# refuses those connections; husk's column therefore has no outbound rows).
#
# Isolation: everything runs in a network namespace the script makes (root's `unshare
# --net`: lo, and a veth pair with a default route to an address nobody has, so the
# helpers have a "host" network to copy and nothing can leave the machine). There the
# measurement, bench/usernet.py, forks: the child becomes a user of the script's own
# (useradd, removed afterwards; no subuid range: one id is all a network namespace
# needs; its XDG_RUNTIME_DIR on a tmpfs) and does everything; the parent stays root
# only to read the helpers' smaps (pasta makes itself undumpable). /dev/net/tun is
# opened to users for the run (the protocol of tests/integration/rootless.bats). husk's
# container runs with seccomp=unconfined, as the servers in the plain namespaces do.
# Results: report.md, results.json (every run and round) and the helpers' logs in --out.
set -Eeuo pipefail

BENCH_PROG=usernet.sh
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RUNS=30 ROUNDS=5 DURATION=3 TRIPS=5000 HUSK_OPT='' NO_HUSK=0 OUT='' KEEP=0
while (($#)); do
	case $1 in
	--runs | --rounds | --duration | --trips | --husk | --out)
		[[ $# -ge 2 ]] || bench_die "$1 needs a value"
		case $1 in
		--runs) RUNS=$2 ;;
		--rounds) ROUNDS=$2 ;;
		--duration) DURATION=$2 ;;
		--trips) TRIPS=$2 ;;
		--husk) HUSK_OPT=$2 ;;
		--out) OUT=$2 ;;
		esac
		shift 2 ;;
	--no-husk) NO_HUSK=1; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help) sed -n '2,39p' "$0"; exit 0 ;;
	*) bench_die "unknown option $1 (try --help)" ;;
	esac
done
[[ $RUNS =~ ^[0-9]+$ && $ROUNDS =~ ^[0-9]+$ && $DURATION =~ ^[0-9]+$ && $TRIPS =~ ^[0-9]+$ ]] ||
	bench_die "--runs, --rounds, --duration and --trips take whole numbers"
((RUNS >= 1 && ROUNDS >= 1 && DURATION >= 1 && TRIPS >= 100)) || bench_die "--runs/--rounds/--duration >= 1, --trips >= 100"

# host-side ports (in the script's own network namespace): outbound servers, published
P_OUT_ECHO=24000 P_OUT_IPERF=24001 P_IN_HTTP=24010 P_IN_IPERF=24011 P_IN_ECHO=24012

WORK='' USER_NAME=hkt-un-bench-$$ TUN=0 RUN_MOUNT=''
cleanup() {
	local p left
	trap - EXIT INT TERM
	if [[ -n $BENCH_CHILD ]]; then # the measurement stops its helpers itself on TERM
		kill -TERM "$BENCH_CHILD" 2>/dev/null || true
		for p in $(seq 150); do
			[[ $(ps -o stat= -p "$BENCH_CHILD" 2>/dev/null) == [^Z]* ]] || break # gone, or a zombie
			sleep 0.1
		done
		bench_stop_bg # what did not: TERM, then KILL, to the whole tree
	fi
	if id -u "$USER_NAME" >/dev/null 2>&1; then
		# a container an interrupted run left (husk's state is on the tmpfs below)
		if [[ -x $WORK/husk && -d $WORK/run/husk ]]; then
			as_user "$WORK/husk" rm -f "hkt-usernet-$$" >/dev/null 2>&1 || true
		fi
		# the user's husk-userns holder lingers by design
		pkill -TERM -u "$USER_NAME" -x husk-userns 2>/dev/null || true
		for _ in $(seq 50); do pgrep -u "$USER_NAME" -x husk-userns >/dev/null || break; sleep 0.1; done
		# every process of the user is one this script started
		left=$(ps -u "$USER_NAME" -o pid=,args= 2>/dev/null || true)
		if [[ -n $left ]]; then
			bench_warn "processes of $USER_NAME left: ${left//$'\n'/; }"
			for p in $(ps -u "$USER_NAME" -o pid= 2>/dev/null || true); do kill -KILL "$p" 2>/dev/null || true; done
			sleep 0.2
		fi
		userdel "$USER_NAME" 2>/dev/null || bench_warn "userdel $USER_NAME failed"
	fi
	sed -i "/^$USER_NAME:/d" /etc/subuid /etc/subgid 2>/dev/null || true
	[[ -n $RUN_MOUNT ]] && { umount "$RUN_MOUNT" 2>/dev/null || umount -l "$RUN_MOUNT" || true; }
	((TUN)) && bench_tun_close
	if [[ -n $WORK ]]; then
		if ((KEEP)); then bench_log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# as_user CMD...: CMD as the benchmark's user, its runtime dir and home in the work dir
as_user() {
	setpriv --reuid "$(id -u "$USER_NAME")" --regid "$(id -g "$USER_NAME")" --clear-groups -- env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$WORK/u" XDG_RUNTIME_DIR="$WORK/run" "$@"
}

setup() {
	WORK=$(mktemp -d /tmp/hkt-usernet-bench.XXXXXX)
	chmod 755 "$WORK"
	OUT=${OUT:-$(mktemp -d /tmp/husk-bench-usernet.XXXXXX)}
	mkdir -p "$OUT"
	useradd -M -d /nonexistent -s /bin/sh "$USER_NAME"
	sed -i "/^$USER_NAME:/d" /etc/subuid /etc/subgid # one id: no newuidmap anywhere
	install -d -m 700 -o "$USER_NAME" "$WORK/run" "$WORK/u" "$WORK/u/logs"
	mount -t tmpfs -o "mode=700,size=64m,uid=$(id -u "$USER_NAME"),gid=$(id -g "$USER_NAME")" tmpfs "$WORK/run"
	RUN_MOUNT=$WORK/run
	bench_tun_open
	TUN=1
	bench_build_health_server "$WORK"
	chmod 755 "$WORK/health"
	if ((!NO_HUSK)); then
		cp "$HUSK" "$WORK/husk" # the user must reach it, and a rebuild must not change it
		chmod 755 "$WORK/husk"
		bench_build_rootfs "$WORK/rootfs" >/dev/null
		install -D -m 0755 "$WORK/health" "$WORK/rootfs/usr/bin/health"
		bench_install_with_libs "$WORK/rootfs" "$(command -v iperf3)" /usr/bin/iperf3
		bench_install_with_libs "$WORK/rootfs" "$(command -v socat)" /usr/bin/socat
		chown -R "$USER_NAME:" "$WORK/rootfs"
	fi
	install -m 0644 "$BENCH_LIB_DIR/usernet.py" "$WORK/usernet.py" # the measurement
	python3 - "$WORK/u/config.json" <<PY
import json, sys
json.dump({"work": "$WORK/u", "health": "$WORK/health", "husk": "$( ((NO_HUSK)) || echo "$WORK/husk")",
           "rootfs": "$WORK/rootfs", "runs": $RUNS, "rounds": $ROUNDS, "duration": $DURATION,
           "trips": $TRIPS, "name": "hkt-usernet-$$",
           "ports": {"out_echo": $P_OUT_ECHO, "out_iperf": $P_OUT_IPERF, "in_http": $P_IN_HTTP,
                     "in_iperf": $P_IN_IPERF, "in_echo": $P_IN_ECHO}}, open(sys.argv[1], "w"), indent=1)
PY
	chown "$USER_NAME:" "$WORK/u/config.json"
}

main() {
	bench_need_root
	bench_ensure slirp4netns:slirp4netns pasta:passt iperf3:iperf3 wrk:wrk socat:socat python3:python3 \
		unshare:util-linux setpriv:util-linux ip:iproute2 cc:gcc
	((NO_HUSK)) || HUSK=$(bench_husk_binary "$HUSK_OPT")
	setup
	bench_log "load before: $(cut -d' ' -f1-3 /proc/loadavg); as $USER_NAME in a network namespace of the script's own"
	# shellcheck disable=SC2016 # expanded by the inner bash
	bench_run_bg unshare --net -- bash -c '
		set -e
		ip link set lo up
		ip link add hkt-un0 type veth peer name hkt-un1
		ip addr add 198.51.100.2/24 dev hkt-un0
		ip link set hkt-un1 up
		ip link set hkt-un0 up
		ip route add default via 198.51.100.1
		exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$3" XDG_RUNTIME_DIR="$4" \
			python3 "$5" drive "$3/config.json" "$1" "$2"' \
		_ "$(id -u "$USER_NAME")" "$(id -g "$USER_NAME")" "$WORK/u" "$WORK/run" "$WORK/usernet.py" \
		>"$WORK/u/report.md" || {
		cp -r "$WORK/u/logs" "$OUT/"
		bench_die "the measurement failed (the helpers' logs: $OUT/logs)"
	}
	cp -r "$WORK/u/report.md" "$WORK/u/results.json" "$WORK/u/logs" "$OUT/"
	cat "$OUT/report.md"
	bench_log "load after: $(cut -d' ' -f1-3 /proc/loadavg); results in $OUT"
}

main
