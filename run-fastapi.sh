#!/usr/bin/env bash
# run-fastapi.sh — run the FastAPI app (app/main.py) in a husk container.
#
#   sudo ./run-fastapi.sh demo       setup, run in the background, curl it, tear down
#   sudo ./run-fastapi.sh --help     every command and option
#
# The lifecycle the tutorials ask for, each step done by husk with a kernel primitive:
#   setup     build husk, check the host, build the root filesystem
#   run       one container: namespaces, pivot_root, cgroup limits, a published port
#   teardown  remove whatever an earlier run left behind (idempotent)
set -Eeuo pipefail

# (parameter expansions and builtins instead of basename, dirname and date: a fork
# is not free, and `run` is on the clock of the start-up benchmark)
PROG=${0##*/}
readonly PROG
case ${BASH_SOURCE[0]} in
*/*) ROOT=${BASH_SOURCE[0]%/*} ;;
*) ROOT=. ;;
esac
[[ $ROOT == /* ]] || ROOT=$PWD/$ROOT
ROOT=${ROOT%/.}
readonly ROOT
HUSK=${HUSK:-$ROOT/build/husk}
HUSK_STATE_GIVEN=${HUSK_STATE:-}
HUSK_STATE=${HUSK_STATE:-/run/husk}   # husk's state directory (husk --root)
ROOTFS=${ROOTFS:-/var/lib/husk/rootfs-fastapi}   # outside the repository: 180 MB
USE_IMAGE=1   # run the rootfs as an image (husk import), not in place
IMAGE=        # localhost/husk-fastapi:<stamp of the rootfs>, set by image_name
APP_DIR=$ROOT/app
LOG_DIR=${LOG_DIR:-$ROOT/logs}
readonly NAME_PREFIX=fastapi-

# Defaults of `run`, each overridable by a flag.
MEMORY=256M
CPUS=1
PIDS=128
PORT=8000
NETWORK=bridge
METHOD=
ROOTLESS=0     # run --rootless: as the calling user, no sudo (issue #16)
LIMITS_GIVEN=0 # -m, --cpus or --pids on the command line
HEALTH_TIMEOUT=60

# Print the line and the command that failed: set -E makes functions and
# subshells inherit this trap.
on_err() {
	local status=$? line=$1 cmd=$2
	printf '%s: error: line %s: "%s" exited with status %s\n' "$PROG" "$line" "$cmd" "$status" >&2
}
trap 'on_err "$LINENO" "$BASH_COMMAND"' ERR

usage() {
	cat <<EOF
usage: $PROG [OPTIONS] COMMAND

Run the FastAPI app in $APP_DIR inside a husk container.

Commands:
  setup      build husk if needed (meson + ninja), check the host (husk check),
             build the root filesystem if missing, check the app is in place
  run        start the app in a container in the foreground; Ctrl-C (SIGINT) or
             SIGTERM stops it and tears everything down; exits with the app's status
  teardown   stop and remove every container an earlier run left (${NAME_PREFIX}*):
             processes, cgroups, state; idempotent
  demo       setup; run in the background; wait for /health; curl /health and /;
             show the processes inside and the cgroup limits from the host; teardown.
             Exits 0 only if /health answered {"status":"ok"}
  status     list ${NAME_PREFIX}* containers, their health and limits
  help       this text (also -h, --help)

Options (for setup, run and demo):
  -m, --memory SIZE   memory limit (default $MEMORY)
      --cpus N        CPU quota in CPUs (default $CPUS)
      --pids N        maximum number of tasks (default $PIDS)
  -p, --port N        host port published to the app's port 8000 (default $PORT)
      --network MODE  bridge (default; the port is published with -p) or host
      --rootfs DIR    root filesystem (default $ROOTFS)
      --method M      how setup builds a missing rootfs: debootstrap (default) or copy
      --no-image      run the rootfs directory in place instead of as an image
      --name NAME     container name (run; default ${NAME_PREFIX}<timestamp>)
      --log FILE      container log (run; default logs/container_<timestamp>.log)
      --timeout S     how long demo waits for /health (default $HEALTH_TIMEOUT)
      --rootless      run: as the calling user, without sudo: the user's uid is root
                      in the container, the port goes through slirp4netns, state in
                      \$XDG_RUNTIME_DIR/husk; limits only when given (a host that
                      cannot delegate cgroups to a user refuses them, and says why)

setup imports the built rootfs once as an image (husk import), named
localhost/husk-fastapi:<stamp of the rootfs's marker>; run starts the app from it on an
overlayfs, so the built tree is never written and two runs do not share writes.

Environment: HUSK (husk binary, default build/husk), ROOTFS, LOG_DIR, HUSK_IMAGE_ROOT
(the image store, default /var/lib/husk).
Needs root (setup, teardown, and run without --rootless).
EOF
}

if [[ -t 2 ]]; then
	log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
else
	log() { printf '==> %s\n' "$*" >&2; }
fi
note() { printf '    %s\n' "$*" >&2; }
# die, ensure_packages
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

need_root() {
	[[ $EUID -eq 0 ]] || die "this needs root (namespaces, cgroups, mounts): sudo $0 $*"
}

# A rootfs that build-rootfs.sh finished: its marker says state=complete.
rootfs_ready() {
	local line
	[[ -x $ROOTFS/usr/bin/python3 && -r $ROOTFS/.husk-rootfs ]] || return 1
	while IFS= read -r line; do
		[[ $line != state=complete ]] || return 0
	done <"$ROOTFS/.husk-rootfs"
	return 1
}

# --- setup ------------------------------------------------------------------------

build_husk() {
	if [[ -x $HUSK ]]; then
		note "husk: $HUSK ($("$HUSK" --version 2>/dev/null || echo 'version unknown'))"
		return 0
	fi
	[[ $HUSK == "$ROOT/build/husk" ]] || die "HUSK=$HUSK is not an executable"
	log "building husk (meson setup build && ninja -C build)"
	ensure_packages meson ninja-build pkg-config gcc libc6-dev libseccomp-dev libcap-dev \
		libmnl-dev libjson-c-dev libarchive-dev libcurl4-openssl-dev libssl-dev
	[[ -f $ROOT/build/build.ninja ]] || meson setup "$ROOT/build" "$ROOT"
	ninja -C "$ROOT/build" husk
}

cmd_setup() {
	need_root setup
	log "setup 1/5: the husk binary"
	build_husk

	# husk check probes each kernel feature the container needs: the cgroup
	# hierarchy (v1, v2 or hybrid) and its controllers, the namespace types,
	# seccomp, nftables, veth. A "fail" line means the run would not work.
	log "setup 2/5: host check (husk check)"
	local report
	report=$("$HUSK" check 2>&1) || { printf '%s\n' "$report" >&2; die "husk check failed on this host"; }
	# shellcheck disable=SC2001
	sed 's/^/    /' <<<"$report" >&2

	# The root filesystem: the directory that becomes / in the container through
	# pivot_root(2). debootstrap lays out a Debian minbase with Python, FastAPI and
	# uvicorn from Debian's archive; --method copy copies the host's own files.
	log "setup 3/5: root filesystem in $ROOTFS"
	if rootfs_ready && [[ -z $METHOD ]]; then
		note "ready ($(sed -n 's/^method=//p' "$ROOTFS/.husk-rootfs") rootfs built $(sed -n 's/^date=//p' "$ROOTFS/.husk-rootfs"))"
	else
		"$ROOT/scripts/build-rootfs.sh" "$ROOTFS" --method "${METHOD:-debootstrap}"
	fi

	# The app is not copied in: run bind-mounts app/ read-only at /app (mount(2)
	# with MS_BIND, then a remount with MS_RDONLY), so edits on the host show up at
	# the next run and the container cannot change them.
	log "setup 4/5: the app"
	[[ -f $APP_DIR/main.py ]] || die "$APP_DIR/main.py is missing"
	[[ -d $ROOTFS/app ]] || mkdir "$ROOTFS/app"
	mkdir -p "$LOG_DIR"
	note "$APP_DIR will be mounted read-only at /app; logs go to $LOG_DIR"

	# The image: the rootfs packed by tar and unpacked once into husk's store as
	# one layer (sha256-verified), which every run mounts read-only as the lowerdir
	# of an overlayfs with an upper dir of its own.
	log "setup 5/5: the image"
	if ((!USE_IMAGE)); then
		note "--no-image: the rootfs runs in place"
	elif image_ready; then
		note "ready: $IMAGE"
	else
		note "tar -C $ROOTFS -cf - . | husk import - $IMAGE"
		tar -C "$ROOTFS" --numeric-owner --one-file-system -cf - . |
			"$HUSK" import - "$IMAGE" >/dev/null || die "husk import of $ROOTFS failed"
		note "imported: $IMAGE"
	fi
}

# The image's name: the rootfs's path and marker (its build date) hashed, so that
# a rebuilt rootfs is imported again.
image_name() {
	local stamp
	stamp=$( { echo "$ROOTFS"; cat "$ROOTFS/.husk-rootfs" 2>/dev/null; } | sha256sum)
	IMAGE=localhost/husk-fastapi:${stamp:0:12}
}

image_ready() {
	((USE_IMAGE)) || return 0
	image_name
	"$HUSK" image inspect "$IMAGE" >/dev/null 2>&1
}

# --- run --------------------------------------------------------------------------

RUN_NAME=
RUN_LOG=
HUSK_PID=
STARTED_HUSK_PID=
GOT_SIGNAL=0

# Ctrl-C or SIGTERM: pass the signal to husk, which forwards it to the app (PID 1 in
# its PID namespace) and sends SIGKILL after --stop-timeout. Then go on waiting.
on_signal() {
	local sig=$1
	GOT_SIGNAL=1
	if [[ -n $HUSK_PID ]] && kill -0 "$HUSK_PID" 2>/dev/null; then
		note "SIG$sig: stopping container $RUN_NAME"
		kill -s "$sig" "$HUSK_PID" 2>/dev/null || true
	fi
}

# Whatever the way out (normal exit, error, signal), make sure nothing is left.
on_run_exit() {
	local status=$?
	trap - EXIT INT TERM
	if [[ -n $HUSK_PID ]] && kill -0 "$HUSK_PID" 2>/dev/null; then
		kill -TERM "$HUSK_PID" 2>/dev/null || true
		wait_gone "$HUSK_PID" 15 || kill -KILL "$HUSK_PID" 2>/dev/null || true
	fi
	if [[ -n $RUN_NAME ]] && ! run_by_another_husk "$RUN_NAME"; then
		teardown_container "$RUN_NAME" quiet
	fi
	exit "$status"
}

# True if NAME's record belongs to a live husk other than the one this run started
# (another run took the name first): that one is not ours to tear down.
run_by_another_husk() {
	local json=$HUSK_STATE/$1/state.json hpid
	[[ -f $json ]] || return 1
	hpid=$(sed -n 's/.*"husk_pid":\([0-9]*\).*/\1/p' "$json")
	[[ -n $hpid && $hpid != "$STARTED_HUSK_PID" ]] && kill -0 "$hpid" 2>/dev/null
}

# wait_gone PID SECONDS: poll until PID has exited.
wait_gone() {
	local pid=$1 deadline=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# run --rootless: a user's husk, its state dir as husk picks it (rootless.h)
rootless_prepare() {
	((EUID != 0)) || die "--rootless: run it as the user the container is for, without sudo"
	[[ -x $HUSK ]] || die "no husk at $HUSK: sudo $0 setup builds it"
	rootfs_ready || die "no FastAPI rootfs at $ROOTFS: sudo $0 setup builds it"
	if [[ -z $HUSK_STATE_GIVEN ]]; then
		if [[ ${XDG_RUNTIME_DIR:-} == /* ]]; then
			HUSK_STATE=$XDG_RUNTIME_DIR/husk
		elif [[ -d /run/user/$EUID && -O /run/user/$EUID ]]; then
			HUSK_STATE=/run/user/$EUID/husk
		else
			HUSK_STATE=/tmp/husk-$EUID
		fi
	fi
	[[ $NETWORK == host ]] || NETWORK=slirp4netns
	# in place: the image store (/var/lib/husk) is root's
	USE_IMAGE=0
	if [[ ! -w ${LOG_DIR%/*} && ! -w $LOG_DIR ]]; then
		LOG_DIR=${XDG_RUNTIME_DIR:-/tmp}/husk-fastapi-logs-$EUID
	fi
}

cmd_run() {
	if ((ROOTLESS)); then
		rootless_prepare
	else
		need_root run
		if [[ ! -x $HUSK ]] || ! rootfs_ready || ! image_ready; then
			cmd_setup
		fi
	fi
	local ts
	printf -v ts '%(%Y%m%d-%H%M%S)T' -1
	if [[ -n $RUN_NAME ]]; then
		# never tear down (from the EXIT trap) a container this run did not make
		[[ ! -e $HUSK_STATE/$RUN_NAME ]] ||
			die "a container named $RUN_NAME exists already (teardown removes it)"
	else
		RUN_NAME=$NAME_PREFIX$ts
		[[ ! -e $HUSK_STATE/$RUN_NAME ]] || RUN_NAME=$RUN_NAME-$$
	fi
	RUN_LOG=${RUN_LOG:-$LOG_DIR/container_$ts.log}
	[[ -d ${RUN_LOG%/*} ]] || mkdir -p "${RUN_LOG%/*}"

	local args=(run --name "$RUN_NAME" --hostname "$RUN_NAME")
	# Namespaces: husk clone(2)s the app with CLONE_NEWPID (it is PID 1), CLONE_NEWNS
	# (its own mount table), CLONE_NEWUTS (its hostname), CLONE_NEWIPC, CLONE_NEWNET
	# (its own network stack), and unshare(CLONE_NEWCGROUP) (its cgroup looks like /).
	# Network: a veth pair, one end moved into the container's network namespace;
	# the host port is forwarded to it by an nftables DNAT rule (-p).
	if [[ $NETWORK == host ]]; then
		args+=(--network host)
	else
		args+=(--network "$NETWORK" -p "$PORT:8000")
	fi
	# Resource limits: a cgroup husk/<name> with memory.max / memory.limit_in_bytes,
	# cpu.max / cpu.cfs_quota_us and pids.max written before the app starts.
	# (rootless: only the limits asked for; husk refuses them where it cannot set them)
	if ((!ROOTLESS || LIMITS_GIVEN)); then
		args+=(-m "$MEMORY" --cpus "$CPUS" --pids-limit "$PIDS")
	fi
	# Filesystem: the image's layer is the lowerdir of an overlayfs whose upper dir
	# is this container's own (--no-image: the rootfs is bind-mounted), pivot_root(2)ed
	# into; /proc, /sys and a /dev tmpfs are mounted fresh; the app directory is
	# bind-mounted read-only.
	args+=(-v "$APP_DIR:/app:ro")
	# The app's stdout and stderr are copied to the log as well as shown here.
	args+=(--log-file "$RUN_LOG")
	args+=(-e PYTHONDONTWRITEBYTECODE=1 -e PYTHONUNBUFFERED=1)
	local port=8000
	[[ $NETWORK != host ]] || port=$PORT
	local root=$ROOTFS
	((!USE_IMAGE)) || root=$IMAGE
	args+=("$root" /usr/bin/python3 -m uvicorn --app-dir /app main:app
		--host 0.0.0.0 --port "$port")

	trap on_run_exit EXIT
	trap 'on_signal INT' INT
	trap 'on_signal TERM' TERM
	if ((ROOTLESS && !LIMITS_GIVEN)); then
		log "run: rootless container $RUN_NAME (uid $EUID is its root): no limits, port $PORT -> 8000"
	else
		log "run: container $RUN_NAME: memory $MEMORY, cpus $CPUS, pids $PIDS, port $PORT -> 8000"
	fi
	note "log: $RUN_LOG"
	note "$HUSK ${args[*]}"
	# In the background, so that the traps run as soon as a signal arrives (bash
	# defers traps until a foreground child exits). setsid(1) puts husk in a session
	# of its own: a Ctrl-C on the terminal reaches this script only, which forwards
	# it once; husk then forwards it to the app.
	setsid "$HUSK" "${args[@]}" </dev/null &
	HUSK_PID=$!
	STARTED_HUSK_PID=$HUSK_PID
	local status=0
	wait "$HUSK_PID" || status=$?
	# A trap interrupted the wait (status > 128); wait again for husk's real status.
	while ((GOT_SIGNAL)); do
		GOT_SIGNAL=0
		status=0
		wait "$HUSK_PID" || status=$?
	done
	HUSK_PID=
	if ((status == 0)); then
		log "container $RUN_NAME exited with status 0"
	else
		log "container $RUN_NAME exited with status $status"
	fi
	exit "$status" # the app's status; the EXIT trap checks that nothing is left
}

# --- teardown ---------------------------------------------------------------------

# The cgroup directories of a container, every hierarchy (v1 has one per controller).
container_cgroups() {
	local name=$1
	find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -path "*/husk/$name" 2>/dev/null
}

# Does this husk have COMMAND? (ps, rm, exec ... came after run)
husk_has() {
	"$HUSK" --help 2>/dev/null | grep -qE "^  $1 "
}

# Stop and remove one container: signal husk (which cleans up after itself), then
# `husk rm -f` its record, then kill what is left in its cgroups, remove the cgroups
# and the state directory by hand.
teardown_container() {
	local name=$1 quiet=${2:-} state=$HUSK_STATE/$1 hpid d left=0
	if [[ -f $state/state.json ]]; then
		hpid=$(sed -n 's/.*"husk_pid":\([0-9]*\).*/\1/p' "$state/state.json")
		# SIGTERM to the husk that runs it: it forwards it to the app and undoes
		# everything it set up (cgroups, veth, nftables rules, state).
		if [[ -n $hpid ]] && kill -0 "$hpid" 2>/dev/null &&
			[[ $(readlink "/proc/$hpid/exe" 2>/dev/null) == *husk* ]]; then
			[[ -n $quiet ]] || note "$name: stopping husk (pid $hpid)"
			kill -TERM "$hpid" 2>/dev/null || true
			wait_gone "$hpid" 20 || kill -KILL "$hpid" 2>/dev/null || true
		fi
	fi
	# A husk killed with SIGKILL took its container with it (PR_SET_PDEATHSIG) but
	# could not undo the rest; husk rm -f removes the record, cgroups, veth and
	# nftables elements it left.
	if [[ -d $state ]] && husk_has rm; then
		[[ -n $quiet ]] || note "$name: husk rm -f $name"
		"$HUSK" --root "$HUSK_STATE" rm -f "$name" >/dev/null 2>&1 || true
		left=1
	fi
	# What a killed husk could not undo: processes still in the cgroups are killed
	# (cgroup.procs lists them), then the empty cgroups are removed with rmdir(2).
	while IFS= read -r d; do
		[[ -n $d ]] || continue
		left=1
		[[ -n $quiet ]] || note "$name: removing cgroup $d"
		if [[ -f $d/cgroup.kill ]]; then
			echo 1 >"$d/cgroup.kill" 2>/dev/null || true
		elif [[ -f $d/cgroup.procs ]]; then
			xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null || true
		fi
	done < <(container_cgroups "$name" | sort -r)
	if ((left)); then
		local deadline=$((SECONDS + 10))
		while IFS= read -r d; do
			until rmdir "$d" 2>/dev/null || [[ ! -d $d ]]; do
				((SECONDS < deadline)) || { note "cannot remove $d"; break; }
				sleep 0.1
			done
		done < <(container_cgroups "$name" | sort -r)
	fi
	# The state directory (/run/husk/<name>): the record of the container.
	if [[ -d $state ]]; then
		[[ -n $quiet ]] || note "$name: removing state $state"
		rm -rf -- "$state"
		left=1
	fi
	if ((left)) && [[ -n $quiet ]]; then
		note "$name: removed what husk had left"
	fi
	return 0
}

# Every container name of ours that has a state directory or a cgroup.
our_containers() {
	{
		[[ ! -d $HUSK_STATE ]] || find "$HUSK_STATE" -mindepth 1 -maxdepth 1 -name "$NAME_PREFIX*" -printf '%f\n'
		find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -path "*/husk/$NAME_PREFIX*" -printf '%f\n' 2>/dev/null
	} | sort -u
}

cmd_teardown() {
	need_root teardown
	log "teardown: containers named $NAME_PREFIX*"
	local names n
	names=$(our_containers)
	if [[ -z $names ]]; then
		note "nothing to remove"
		return 0
	fi
	while IFS= read -r n; do
		teardown_container "$n"
	done <<<"$names"
	names=$(our_containers)
	[[ -z $names ]] || die "could not remove: $names"
	note "done"
}

# --- status -----------------------------------------------------------------------

show_limits() { # show_limits NAME: the cgroup files husk wrote, read from the host
	local name=$1 d f
	while IFS= read -r d; do
		for f in memory.max memory.limit_in_bytes cpu.max cpu.cfs_quota_us cpu.cfs_period_us pids.max \
			memory.current memory.usage_in_bytes pids.current; do
			if [[ -f $d/$f ]]; then
				printf '    %-62s %s\n' "$d/$f" "$(cat "$d/$f")"
			fi
		done
	done < <(container_cgroups "$name")
}

health_url() { echo "http://127.0.0.1:$PORT/health"; }

cmd_status() {
	local names n st pid running=0
	names=$(our_containers)
	if [[ -z $names ]]; then
		echo "no $NAME_PREFIX* container"
		exit 3
	fi
	while IFS= read -r n; do
		st=$(sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' "$HUSK_STATE/$n/state.json" 2>/dev/null || true)
		pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$HUSK_STATE/$n/state.json" 2>/dev/null || true)
		echo "$n: ${st:-no state} (host pid ${pid:-?})"
		[[ $st == running ]] && running=1
		show_limits "$n"
	done <<<"$names"
	if curl -fsS -m 2 "$(health_url)" 2>/dev/null; then
		echo
		echo "/health on port $PORT: ok"
	else
		echo "/health on port $PORT: no answer"
	fi
	((running)) || exit 3
}

# --- demo -------------------------------------------------------------------------

DEMO_RUN_PID=

# ps for a rootfs without procps: every process in /proc, as the container sees it.
INSIDE_PS='import os
print("  PID  PPID COMMAND")
for pid in sorted(int(d) for d in os.listdir("/proc") if d.isdigit()):
    try:
        stat = open(f"/proc/{pid}/stat").read()
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
        cmd = cmd.strip().splitlines()[0][:100]
    except OSError:
        continue
    ppid = stat.rsplit(")", 1)[1].split()[1]
    print(f"{pid:5} {ppid:>5} {cmd}")'

on_demo_exit() {
	local status=$?
	trap - EXIT INT TERM
	if [[ -n $DEMO_RUN_PID ]] && kill -0 "$DEMO_RUN_PID" 2>/dev/null; then
		kill -TERM "$DEMO_RUN_PID" 2>/dev/null || true
		wait "$DEMO_RUN_PID" 2>/dev/null || true
	fi
	exit "$status"
}

# curl_json PATH: GET PATH and pretty-print the JSON.
curl_json() {
	local body
	body=$(curl -fsS -m 5 "http://127.0.0.1:$PORT$1")
	printf '$ curl http://127.0.0.1:%s%s\n' "$PORT" "$1"
	/usr/bin/python3 -m json.tool <<<"$body" 2>/dev/null || printf '%s\n' "$body"
}

cmd_demo() {
	need_root demo
	ensure_packages curl
	cmd_setup
	local ts name log out health="" deadline cpid status=0
	printf -v ts '%(%Y%m%d-%H%M%S)T' -1
	name=$NAME_PREFIX$ts
	log=$LOG_DIR/container_$ts.log
	out=$LOG_DIR/demo_$ts.out

	log "demo: starting the container in the background ($0 run)"
	trap on_demo_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	local extra=()
	((USE_IMAGE)) || extra=(--no-image)
	"$ROOT/$PROG" run --name "$name" --log "$log" --memory "$MEMORY" --cpus "$CPUS" --pids "$PIDS" \
		--port "$PORT" --network "$NETWORK" --rootfs "$ROOTFS" "${extra[@]}" >"$out" 2>&1 &
	DEMO_RUN_PID=$!

	log "demo: waiting for $(health_url) (at most ${HEALTH_TIMEOUT}s)"
	deadline=$((SECONDS + HEALTH_TIMEOUT))
	until health=$(curl -fsS -m 1 "$(health_url)" 2>/dev/null); do
		if ! kill -0 "$DEMO_RUN_PID" 2>/dev/null; then
			sed 's/^/    | /' "$out" >&2
			die "the container stopped before answering"
		fi
		if ((SECONDS >= deadline)); then
			sed 's/^/    | /' "$out" >&2
			die "no answer on $(health_url) after ${HEALTH_TIMEOUT}s"
		fi
		sleep 0.1
	done
	note "answered after $((SECONDS - deadline + HEALTH_TIMEOUT))s"

	log "demo: the app, from the host"
	curl_json /health
	curl_json /

	# Inside, the app is PID 1 of its own PID namespace; husk exec joins the
	# container's namespaces (setns(2)) and cgroup to look. The rootfs has no ps, so
	# Python reads /proc, as ps would. The host sees the same processes with host PIDs.
	log "demo: processes in the container, from inside (husk exec $name python3 ...)"
	if husk_has exec; then
		"$HUSK" --root "$HUSK_STATE" exec "$name" /usr/bin/python3 -c "$INSIDE_PS" || true
	fi
	log "demo: the same processes, from the host (ps, lsns)"
	cpid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$HUSK_STATE/$name/state.json")
	ps -o pid,ppid,user,rss,nlwp,args --forest -p "$cpid" --ppid "$cpid" || true
	lsns -p "$cpid" -o NS,TYPE,PID,COMMAND 2>/dev/null || true
	if husk_has ps; then
		"$HUSK" --root "$HUSK_STATE" ps | awk -v n="$name" 'NR == 1 || $1 == n'
	fi

	log "demo: cgroup limits, read from the host"
	show_limits "$name"

	log "demo: teardown (SIGTERM to run: husk stops the app and removes everything)"
	kill -TERM "$DEMO_RUN_PID"
	wait "$DEMO_RUN_PID" || status=$?
	DEMO_RUN_PID=
	note "run exited with status $status; container log: $log"
	tail -n 3 "$log" | sed 's/^/    | /' >&2
	cmd_teardown

	if [[ $health == '{"status":"ok"}' ]]; then
		log "demo: OK: /health answered $health"
		return 0
	fi
	log "demo: FAILED: /health answered '$health'"
	exit 1
}

# --- main -------------------------------------------------------------------------

main() {
	local cmd=
	while (($#)); do
		case $1 in
		-h | --help | help) usage; exit 0 ;;
		-m | --memory) MEMORY=${2:?--memory needs a size}; LIMITS_GIVEN=1; shift 2 ;;
		--memory=*) MEMORY=${1#*=}; LIMITS_GIVEN=1; shift ;;
		--cpus) CPUS=${2:?--cpus needs a number}; LIMITS_GIVEN=1; shift 2 ;;
		--cpus=*) CPUS=${1#*=}; LIMITS_GIVEN=1; shift ;;
		--pids | --pids-limit) PIDS=${2:?--pids needs a number}; LIMITS_GIVEN=1; shift 2 ;;
		--pids=* | --pids-limit=*) PIDS=${1#*=}; LIMITS_GIVEN=1; shift ;;
		--rootless) ROOTLESS=1; shift ;;
		-p | --port) PORT=${2:?--port needs a number}; shift 2 ;;
		--port=*) PORT=${1#*=}; shift ;;
		--network) NETWORK=${2:?--network needs bridge or host}; shift 2 ;;
		--network=*) NETWORK=${1#*=}; shift ;;
		--rootfs) ROOTFS=${2:?--rootfs needs a directory}; shift 2 ;;
		--rootfs=*) ROOTFS=${1#*=}; shift ;;
		--no-image) USE_IMAGE=0; shift ;;
		--method) METHOD=${2:?--method needs debootstrap or copy}; shift 2 ;;
		--method=*) METHOD=${1#*=}; shift ;;
		--name) RUN_NAME=${2:?--name needs a name}; shift 2 ;;
		--name=*) RUN_NAME=${1#*=}; shift ;;
		--log) RUN_LOG=${2:?--log needs a file}; shift 2 ;;
		--log=*) RUN_LOG=${1#*=}; shift ;;
		--timeout) HEALTH_TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
		--timeout=*) HEALTH_TIMEOUT=${1#*=}; shift ;;
		-*) usage >&2; die "unknown option: $1" ;;
		*) [[ -z $cmd ]] || die "one command at a time ('$cmd', then '$1')"; cmd=$1; shift ;;
		esac
	done
	[[ $NETWORK == bridge || $NETWORK == host ]] || die "--network: bridge or host, not '$NETWORK'"
	if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
		die "--port: not a port: $PORT"
	fi
	[[ $HEALTH_TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout: not a number of seconds: $HEALTH_TIMEOUT"
	[[ -z $METHOD || $METHOD == debootstrap || $METHOD == copy ]] ||
		die "--method: debootstrap or copy, not '$METHOD'"
	[[ $ROOTFS == /* ]] || ROOTFS=$PWD/$ROOTFS
	case $cmd in
	setup) cmd_setup ;;
	run) cmd_run ;;
	teardown) cmd_teardown ;;
	demo) cmd_demo ;;
	status) cmd_status ;;
	"") usage >&2; exit 2 ;;
	*) usage >&2; die "unknown command: $cmd" ;;
	esac
}

main "$@"
