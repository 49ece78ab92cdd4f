#!/usr/bin/env bats
# oci_secondary.bats — the OCI face's secondary commands: spec, features (and, as
# the core lands, ps, pause/resume, update, list), checked against what the
# runtime-spec and runc say they print.

# shellcheck disable=SC2154 # stderr, output, status: set by bats' run

load helpers

setup() {
	husk_setup
}

teardown() {
	oci_teardown
	husk_teardown
}

@test "spec: writes runc's default config.json, with husk's hostname" {
	cd "$BATS_TEST_TMPDIR"
	run "$HUSK" spec
	[ "$status" -eq 0 ]
	jq -e '.ociVersion == "1.0.2" and .root == {"path": "rootfs", "readonly": true}
		and .process.args == ["sh"] and .process.terminal == true
		and .process.noNewPrivileges == true and .hostname == "husk"
		and ([.linux.namespaces[].type] == ["pid", "network", "ipc", "uts", "mount"])
		and (.process.capabilities.bounding == ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
		and (.linux.resources.devices == [{"allow": false, "access": "rwm"}])
		and ([.mounts[].destination] == ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"])
		and (.linux.maskedPaths | index("/proc/kcore") != null)' config.json
	# the same document as runc's, but for the version and the hostname
	if command -v runc >/dev/null; then
		mkdir r && (cd r && runc spec)
		diff <(jq -S 'del(.ociVersion, .hostname)' config.json) <(jq -S 'del(.ociVersion, .hostname)' r/config.json)
	fi
}

@test "spec: refuses to overwrite, honours --bundle, and --rootless maps the caller" {
	cd "$BATS_TEST_TMPDIR"
	echo '{"keep": true}' >config.json
	run --separate-stderr "$HUSK" spec
	[ "$status" -eq 125 ]
	[[ $stderr == "husk: spec: ./config.json exists already: remove it first" ]]
	jq -e '.keep' config.json
	mkdir b
	run "$HUSK" spec --bundle b --rootless
	[ "$status" -eq 0 ]
	jq -e '(.linux.namespaces | map(.type) | index("user") != null and index("network") == null)
		and .linux.uidMappings == [{"containerID": 0, "hostID": 0, "size": 1}]
		and (.linux.resources == null)
		and ([.mounts[] | select(.destination == "/sys")][0].options | index("rbind") != null)
		and ([.mounts[].destination] | index("/sys/fs/cgroup") == null)' b/config.json
	run --separate-stderr "$HUSK" spec --bundle "$BATS_TEST_TMPDIR/missing"
	[ "$status" -eq 125 ]
	[[ $stderr == "husk: spec: cannot create $BATS_TEST_TMPDIR/missing/config.json: No such file or directory" ]]
	run --separate-stderr "$HUSK" spec extra
	[ "$status" -eq 125 ]
	[[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "features: the runtime-spec's features document, from libcap and libseccomp" {
	run "$HUSK" features
	[ "$status" -eq 0 ]
	jq -e '.ociVersionMin == "1.0.0" and .ociVersionMax == "1.2.0"
		and (.hooks | length == 6)
		and (.mountOptions | index("rbind") != null and index("rro") != null and index("idmap") == null)
		and (.linux.namespaces | index("pid") != null)
		and .linux.cgroup.v1 == true and .linux.cgroup.v2 == true
		and .linux.seccomp.enabled == true
		and (.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") == null)
		and (.linux.seccomp.archs | index("SCMP_ARCH_X86_64") != null)
		and .linux.apparmor.enabled == false' <<<"$output"
	# every capability this kernel knows, and no number without a name
	local last
	last=$(cat /proc/sys/kernel/cap_last_cap)
	jq -e --argjson n $((last + 1)) '(.linux.capabilities | length) == $n
		and .linux.capabilities[0] == "CAP_CHOWN"' <<<"$output"
	[[ $(jq -r '.annotations["io.github.seccomp.libseccomp.version"]' <<<"$output") =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
	run --separate-stderr "$HUSK" features extra
	[ "$status" -eq 125 ]
}

# --- commands on a created container (they need husk create) ----------------------

# bundle ARGS...: a bundle in $BATS_TEST_TMPDIR/b from `husk spec`, running ARGS with
# no terminal in a private copy of the busybox rootfs; sets B and ID (a cname).
bundle() {
	B=$BATS_TEST_TMPDIR/b
	mkdir -p "$B"
	rootfs_copy "$B/rootfs" >/dev/null
	(cd "$B" && "$HUSK" spec)
	jq --argjson a "$(printf '%s\n' "$@" | jq -R . | jq -s .)" \
		'.process.terminal = false | .process.args = $a' "$B/config.json" >"$B/c.json"
	mv "$B/c.json" "$B/config.json"
	ID=$(cname oci)
}

# the container's cgroup directory for CONTROLLER, from /proc/PID/cgroup
ctr_cgroup() {
	local pid=$1 ctl=$2 rel mnt
	if [[ $(cgroup_mode) == v2 ]]; then
		rel=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup$rel"
		return
	fi
	rel=$(awk -F: -v c="$ctl" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' "/proc/$pid/cgroup")
	mnt=$(awk -v c="$ctl" '$0 ~ / - cgroup / {
		n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit }
	}' /proc/self/mountinfo)
	echo "$mnt$rel"
}

state_field() { "$HUSK" --root "$OCI_ROOT" state "$ID" | jq -r ".$1"; }
status_is() { [[ $(state_field status) == "$1" ]]; }

# A state root of these tests' own: a husk of another version running on the same
# machine must not take their records for stale ones of its own face.
OCI_ROOT=/run/husk-oci-bats-$$

oci_teardown() {
	local x
	for x in ${ID:-} ${EXTRA_IDS:-}; do
		"$HUSK" --root "$OCI_ROOT" delete --force "$x" >/dev/null 2>&1 || true
	done
	if [[ -d $OCI_ROOT ]]; then
		local left
		left=$(find "$OCI_ROOT" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f ')
		rm -rf "$OCI_ROOT"
		[[ -z $left ]] || { echo "left in the state root: $left" >&2; return 1; }
	fi
}

need_oci() {
	"$HUSK" create 2>&1 | grep -q "unknown command" && skip "this husk has no husk create"
	return 0
}

@test "ps: the container's host pids as JSON, and ps(1)'s lines for them" {
	need_oci
	bundle sh -c 'sleep 1000 & wait'
	"$HUSK" --root "$OCI_ROOT" create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 3>&-
	"$HUSK" --root "$OCI_ROOT" start "$ID"
	local pid
	pid=$(state_field pid)
	wait_for 10 "the sleep child" pgrep -P "$pid" sleep
	run "$HUSK" --root "$OCI_ROOT" ps --format json "$ID"
	[ "$status" -eq 0 ]
	jq -e --argjson p "$pid" --argjson c "$(pgrep -P "$pid" sleep)" \
		'type == "array" and length == 2 and index($p) != null and index($c) != null' <<<"$output"
	run "$HUSK" --root "$OCI_ROOT" ps "$ID"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == *PID* ]]
	[ "${#lines[@]}" -eq 3 ]
	[[ $output == *"sleep 1000"* ]]
	run "$HUSK" --root "$OCI_ROOT" ps "$ID" -o pid,comm
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ PID.*COMMAND ]]
	"$HUSK" --root "$OCI_ROOT" kill "$ID" KILL
	wait_for 10 "stopped" status_is stopped
	run "$HUSK" --root "$OCI_ROOT" ps --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
	oci_teardown
}

@test "pause/resume: the freezer, and state says paused" {
	need_oci
	bundle sleep 1000
	"$HUSK" --root "$OCI_ROOT" create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 3>&-
	"$HUSK" --root "$OCI_ROOT" start "$ID"
	local pid dir
	pid=$(state_field pid)
	dir=$(ctr_cgroup "$pid" freezer)
	run --separate-stderr "$HUSK" --root "$OCI_ROOT" resume "$ID"
	[ "$status" -ne 0 ]
	[[ $stderr == *"container not paused (it is running)"* ]]
	"$HUSK" --root "$OCI_ROOT" pause "$ID"
	[ "$(state_field status)" = paused ]
	if [[ $(cgroup_mode) == v2 ]]; then
		grep -qx 'frozen 1' "$dir/cgroup.events"
	else
		[ "$(cat "$dir/freezer.state")" = FROZEN ]
	fi
	run --separate-stderr "$HUSK" --root "$OCI_ROOT" pause "$ID"
	[ "$status" -ne 0 ]
	[[ $stderr == *"container not running (it is paused)"* ]]
	"$HUSK" --root "$OCI_ROOT" resume "$ID"
	[ "$(state_field status)" = running ]
	[[ $(cgroup_mode) == v2 ]] || [ "$(cat "$dir/freezer.state")" = THAWED ]
	# a paused container can still be killed and deleted with --force
	"$HUSK" --root "$OCI_ROOT" pause "$ID"
	"$HUSK" --root "$OCI_ROOT" delete --force "$ID"
	run "$HUSK" --root "$OCI_ROOT" state "$ID"
	[ "$status" -ne 0 ]
	[ ! -d "$dir" ]
}

@test "update: flags and --resources - change the cgroup and are kept; bad input changes nothing" {
	need_oci
	bundle sleep 1000
	"$HUSK" --root "$OCI_ROOT" create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 3>&-
	"$HUSK" --root "$OCI_ROOT" start "$ID"
	local pid mem pids
	pid=$(state_field pid)
	mem=$(ctr_cgroup "$pid" memory)
	pids=$(ctr_cgroup "$pid" pids)
	"$HUSK" --root "$OCI_ROOT" update --memory 64M "$ID"
	if [[ $(cgroup_mode) == v2 ]]; then
		[ "$(cat "$mem/memory.max")" = 67108864 ]
	else
		[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
	fi
	# containerd's form: linux.resources on stdin
	echo '{"pids": {"limit": 42}, "cpu": {"shares": 512}}' | "$HUSK" --root "$OCI_ROOT" update --resources - "$ID"
	[ "$(cat "$pids/pids.max")" = 42 ]
	if [[ $(cgroup_mode) != v2 ]]; then
		[ "$(cat "$(ctr_cgroup "$pid" cpu)/cpu.shares")" = 512 ]
		[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ] # kept from the first update
	fi
	# the request is checked whole before anything is written
	run --separate-stderr "$HUSK" --root "$OCI_ROOT" update --memory lots "$ID"
	[ "$status" -ne 0 ]
	[[ $stderr == "husk: update: invalid --memory 'lots'" ]]
	run --separate-stderr "$HUSK" --root "$OCI_ROOT" update --resources - "$ID" <<<'{"pids": {"limit": "x"}}'
	[ "$status" -ne 0 ]
	[[ $stderr == *"linux.resources.pids.limit"* ]]
	[ "$(cat "$pids/pids.max")" = 42 ]
	run --separate-stderr "$HUSK" --root "$OCI_ROOT" update --resources - "$ID" <<<'{"pids": '
	[ "$status" -ne 0 ]
	run --separate-stderr "$HUSK" --root "$OCI_ROOT" update --pids-limit 5 nosuch-container
	[ "$status" -ne 0 ]
	[[ $stderr == *"nosuch-container does not exist"* ]]
	"$HUSK" --root "$OCI_ROOT" kill "$ID" KILL
	wait_for 10 "stopped" status_is stopped
	run --separate-stderr "$HUSK" --root "$OCI_ROOT" update --pids-limit 5 "$ID"
	[ "$status" -ne 0 ]
	[[ $stderr == *"container not running"* ]]
	oci_teardown
}

@test "list: the OCI containers as a table, JSON states and ids" {
	need_oci
	bundle sleep 1000
	"$HUSK" --root "$OCI_ROOT" create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 3>&-
	run "$HUSK" --root "$OCI_ROOT" list
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER ]]
	[[ $output =~ $ID\ +[0-9]+\ +created\ +$B ]]
	run "$HUSK" --root "$OCI_ROOT" list --format json
	[ "$status" -eq 0 ]
	jq -e --arg id "$ID" --arg b "$B" 'map(select(.id == $id))[0] | .status == "created" and .bundle == $b and .pid > 0' <<<"$output"
	run "$HUSK" --root "$OCI_ROOT" list -q
	[ "$status" -eq 0 ]
	grep -qx "$ID" <<<"$output"
	oci_teardown
	run "$HUSK" --root "$OCI_ROOT" list -q
	if grep -qx "$ID" <<<"$output"; then false; fi
}

@test "create: reads no other container's record (an engine's create is not O(containers))" {
	need_oci
	bundle sleep 1000
	local i
	for i in 1 2 3; do
		EXTRA_IDS+=" $ID-$i"
		"$HUSK" --root "$OCI_ROOT" create --bundle "$B" "$ID-$i" </dev/null >/dev/null 2>&1 3>&-
		"$HUSK" --root "$OCI_ROOT" start "$ID-$i"
	done
	# not -f: the record's checks are create's own, before the container's process
	strace -qq -e trace=open,openat,access,faccessat,faccessat2,newfstatat,stat \
		-o "$BATS_TEST_TMPDIR/trace" \
		"$HUSK" --root "$OCI_ROOT" create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 3>&-
	status_is created
	grep -q "$OCI_ROOT/$ID/" "$BATS_TEST_TMPDIR/trace" || fail "the trace shows nothing of create"
	! grep "$OCI_ROOT/$ID-" "$BATS_TEST_TMPDIR/trace" || false
	for i in 1 2 3; do
		"$HUSK" --root "$OCI_ROOT" delete --force "$ID-$i"
	done
	EXTRA_IDS=
}

# edit_config JQ-FILTER: $B/config.json changed in place
edit_config() {
	jq "$1" "$B/config.json" >"$B/c.json" && mv "$B/c.json" "$B/config.json"
}

# lsm_husk KIND ARGS...: husk ARGS in a private mount namespace where the LSM KIND
# (selinux, apparmor) looks active: the files husk probes exist on tmpfs mounts
lsm_husk() {
	local kind=$1
	shift
	# shellcheck disable=SC2016 # expanded by that shell
	unshare --mount --propagation private bash -c '
		case $1 in
		selinux) mount -t tmpfs tmpfs /sys/fs && mkdir /sys/fs/selinux && echo 1 >/sys/fs/selinux/enforce ;;
		apparmor) mount -t tmpfs tmpfs /sys/module && mkdir -p /sys/module/apparmor/parameters &&
			echo Y >/sys/module/apparmor/parameters/enabled &&
			mount -t tmpfs tmpfs /sys/kernel/security && mkdir /sys/kernel/security/apparmor ;;
		esac || exit 99
		shift; exec "$@"' lsm "$kind" "$HUSK" "$@"
}

@test "create: apparmorProfile and selinuxLabel are ignored where the LSM is off, refused with one line where it is active; nothing left" {
	need_oci
	[[ ! -e /sys/fs/selinux/enforce ]] || skip "SELinux is active on this host"
	[[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) != Y ]] || skip "AppArmor is active on this host"
	bundle sh -c 'echo ran'
	edit_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"
		| .process.apparmorProfile = "docker-default"'
	# this host has neither: both fields are ignored, as runc and crun do
	"$HUSK" --root "$OCI_ROOT" create --bundle "$B" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	"$HUSK" --root "$OCI_ROOT" start "$ID"
	wait_for 10 "$ID to stop" status_is stopped
	grep -qx ran "$BATS_TEST_TMPDIR/out"
	"$HUSK" --root "$OCI_ROOT" delete "$ID"
	# SELinux active: the label is refused, before anything is made
	run --separate-stderr lsm_husk selinux --root "$OCI_ROOT" create --bundle "$B" "$ID"
	[ "$status" -ne 0 ] && [ "$status" -ne 99 ]
	[[ $stderr == *"process.selinuxLabel 'system_u:system_r:container_t:s0:c1,c2'"*"SELinux is active on this host"* ]]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	run "$HUSK" --root "$OCI_ROOT" state "$ID"
	[ "$status" -ne 0 ]
	# AppArmor active: the profile is refused (without a label, to reach that check)
	edit_config 'del(.process.selinuxLabel)'
	run --separate-stderr lsm_husk apparmor --root "$OCI_ROOT" create --bundle "$B" "$ID"
	[ "$status" -ne 0 ] && [ "$status" -ne 99 ]
	[[ $stderr == *"process.apparmorProfile 'docker-default'"*"AppArmor"* ]]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	run "$HUSK" --root "$OCI_ROOT" state "$ID"
	[ "$status" -ne 0 ]
	# and with the LSM active but the field empty, create goes on
	edit_config 'del(.process.apparmorProfile)'
	lsm_husk apparmor --root "$OCI_ROOT" create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 3>&-
	"$HUSK" --root "$OCI_ROOT" delete --force "$ID"
}
