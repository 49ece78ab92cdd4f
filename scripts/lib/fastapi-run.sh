# shellcheck shell=bash
# scripts/lib/fastapi-run.sh — run-fastapi.sh's `run`: one container in the
# foreground, signals passed on to husk, nothing left on any way out. Sourced by
# run-fastapi.sh, not run; it uses fastapi-setup.sh (rootfs_ready, image_ready,
# cmd_setup) and fastapi-teardown.sh (wait_gone, teardown_container).

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
