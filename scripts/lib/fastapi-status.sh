# shellcheck shell=bash
# scripts/lib/fastapi-status.sh — run-fastapi.sh's `status`: the fastapi-* containers,
# their cgroup limits read from the host, and /health. Sourced by run-fastapi.sh, not
# run; it uses container_cgroups and our_containers (fastapi-teardown.sh).

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
