# shellcheck shell=bash
# scripts/lib/fastapi-teardown.sh — run-fastapi.sh's `teardown`: every fastapi-*
# container an earlier run left (processes, cgroups, state), found and removed.
# Sourced by run-fastapi.sh, not run.

# wait_gone PID SECONDS: poll until PID has exited.
wait_gone() {
	local pid=$1 deadline=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

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
