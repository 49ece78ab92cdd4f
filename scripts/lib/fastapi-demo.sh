# shellcheck shell=bash
# scripts/lib/fastapi-demo.sh — run-fastapi.sh's `demo`: setup, `run` in the
# background, /health and / with curl, the processes and limits from inside and from
# the host, teardown. Sourced by run-fastapi.sh, not run; it uses the other
# fastapi-*.sh files' cmd_setup, cmd_teardown, husk_has, show_limits and health_url.

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
