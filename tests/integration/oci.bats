#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2154,SC2317  # single quotes are for the container's shell; bats sets $output/$stderr; helpers are called through wait_for
# The OCI runtime face: husk create/start/state/kill/delete/exec from a bundle's
# config.json, as containerd's shim, conmon and podman call them. Each test checks
# what an engine relies on (the pid file, the console socket, the state JSON, the
# error words) and that nothing of husk is left on the host afterwards.

load oci_helpers

setup() {
	oci_setup
}

teardown() {
	oci_teardown
}

# oci_detached ARGS...: husk ARGS with its stdio away from bats (what it starts may
# outlive it and must not hold the pipe `run` reads)
oci_detached() {
	local rc=0
	oci "$@" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/detached.err" || rc=$?
	((rc == 0)) || sed 's/^/# husk said: /' "$BATS_TEST_TMPDIR/detached.err" >&3
	return "$rc"
}

# oci_config [JQ-FILTER] [ARGS...]: writes $BUNDLE/config.json, a config as `runc spec`
# writes it (the mounts docker and podman send) changed by JQ-FILTER.
oci_config() {
	local filter=${1:-.}
	shift || true
	jq "$@" "$filter" >"$BUNDLE/config.json" <<'EOF'
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": ["sh", "-c", "sleep 1000"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }],
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": false },
  "hostname": "oci",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
      "options": ["nosuid", "noexec", "nodev"] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": ["nosuid", "noexec", "nodev", "ro"] },
    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
      "options": ["nosuid", "noexec", "nodev", "relatime", "ro"] }
  ],
  "linux": {
    "resources": { "devices": [{ "allow": false, "access": "rwm" }] },
    "namespaces": [
      { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
      { "type": "uts" }, { "type": "mount" }, { "type": "cgroup" }
    ],
    "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware",
                    "/proc/no-such-file"],
    "readonlyPaths": ["/proc/bus", "/proc/sys", "/proc/sysrq-trigger"]
  }
}
EOF
}

# the container's state JSON field
state_field() { oci state "$1" | jq -r ".$2"; }

# state_is ID STATUS: the container's state says STATUS now (a command, for wait_for:
# a "$(state_field ...)" in wait_for's arguments would be read once, at the call)
state_is() { [[ $(state_field "$1" status) == "$2" ]]; }

@test "oci: create leaves the process waiting in its namespaces; start runs it; kill, delete leave nothing" {
	local id pid
	id=$(cname oci)
	oci_config
	run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	[ -z "$output" ]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	# the pid file's process is the container's: its own pid, mount and net namespaces
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	[ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ]
	# its root is the bundle's, and it has not exec'd the command yet
	[ "$(stat -c %i "/proc/$pid/root/bin/busybox")" = "$(stat -c %i "$BUNDLE/rootfs/bin/busybox")" ]
	[ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$HUSK")" ]
	[ "$(state_field "$id" status)" = created ]
	[ "$(state_field "$id" pid)" = "$pid" ]
	[ "$(state_field "$id" bundle)" = "$BUNDLE" ]
	# create did not stay: the waiting process's parent is no husk
	[ "$(readlink "/proc/$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")/exe")" != "$(readlink -f "$HUSK")" ]

	run -0 oci start "$id"
	# start returned: the command runs now (sleep, under sh's pid 1)
	[ "$(readlink "/proc/$pid/exe")" != "$(readlink -f "$HUSK")" ]
	[ "$(state_field "$id" status)" = running ]
	grep -q "^NSpid:.*[[:space:]]1$" "/proc/$pid/status"

	run -0 oci kill "$id" KILL
	wait_for 10 "container $id stopped" state_is "$id" stopped
	run -0 oci delete "$id"
	[ ! -e "$OCI_ROOT/$id" ]
	[ ! -e "$(cgroup_dir memory "$id")" ]
	run ! oci state "$id"
}

@test "oci: stdio are the caller's, passed straight through; nothing of husk holds them after the command returns" {
	local id out
	id=$(cname oci)
	oci_config '.process.args = ["sh", "-c", "echo out-$(hostname); echo err >&2; read x; echo got-$x"]'
	# command substitution reads to EOF: it returns only when no process holds the pipe
	out=$( (echo input | oci create --bundle "$BUNDLE" "$id" && oci start "$id") 2>"$BATS_TEST_TMPDIR/err")
	[ "$out" = $'out-oci\ngot-input' ]
	grep -qx err "$BATS_TEST_TMPDIR/err"
	wait_for 10 "container $id stopped" state_is "$id" stopped
	run -0 oci delete "$id"
}

@test "oci: args[0] is resolved at create: 'executable file not found', 'permission denied', nothing left" {
	local id
	id=$(cname oci)
	oci_config '.process.args = ["no-such-command"]'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"executable file not found"* ]]
	[ "$(grep -c . "$BATS_TEST_TMPDIR/$id.err")" = 1 ]
	[ ! -e "$OCI_ROOT/$id" ]
	[ ! -e "$(cgroup_dir memory "$id")" ]
	printf 'not executable\n' >"$BUNDLE/rootfs/notexec"
	chmod 644 "$BUNDLE/rootfs/notexec"
	oci_config '.process.args = ["/notexec"]'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"permission denied"* ]]
	[ ! -e "$OCI_ROOT/$id" ]
}

@test "oci: bad input is one line, a non-zero exit, nothing on the host" {
	local id
	id=$(cname oci)
	BUNDLE="$BATS_TEST_TMPDIR/none" run -1 oci_create "$id"
	[[ $(create_err "$id") == *"bundle '$BATS_TEST_TMPDIR/none'"* ]]
	printf '{"ociVersion": "1.0.2",\n "process": {,}}\n' >"$BUNDLE/config.json"
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"config.json: line 2, column"* ]]
	oci_config '.linux.namespaces += [{"type": "bogus"}]'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"unknown namespace type 'bogus'"* ]]
	oci_config '.mounts += [{"destination": "relative/dir", "type": "tmpfs", "source": "tmpfs"}]'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"destination 'relative/dir' is not an absolute path"* ]]
	oci_config '.linux.namespaces += [{"type": "time"}]'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"not supported by husk yet"* ]]
	# each of those was one line, and left nothing
	[ "$(grep -c . "$BATS_TEST_TMPDIR/$id.err")" = 1 ]
	[ ! -e "$OCI_ROOT/$id" ]
	run -1 --separate-stderr oci state "$id"
	[[ $stderr == *"container $id does not exist"* ]]
	run -1 --separate-stderr oci kill "$id" TERM
	[[ $stderr == *"does not exist"* ]]
	run -0 oci delete --force "$id"
	# an ID in use, a bad signal
	oci_config
	run -0 oci_create "$id"
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"$id"*"exists"* ]]
	run -1 --separate-stderr oci kill "$id" SIGNOPE
	[[ $stderr == *"invalid signal 'SIGNOPE'"* ]]
	[ "$(state_field "$id" status)" = created ]
	run -0 oci delete "$id"
	[ ! -e "$OCI_ROOT/$id" ]
}

@test "oci: linux.sysctl only where a namespace of the container's own holds it: the host's network, IPC, UTS and kernel keys are refused, the host's values unchanged" {
	local id ttl
	id=$(cname oci)
	ttl=$(cat /proc/sys/net/ipv4/ip_default_ttl)
	# no network namespace: the write would be the host's
	oci_config '.linux.sysctl = {"net.ipv4.ip_default_ttl": "77"} | .linux.namespaces |= map(select(.type != "network"))'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"linux.sysctl 'net.ipv4.ip_default_ttl': not allowed in the host's network namespace"* ]]
	# the host's own network namespace joined by path is the host's too
	oci_config '.linux.sysctl = {"net.ipv4.ip_default_ttl": "77"}
		| .linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/proc/$$/ns/net"
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"not allowed in the host's network namespace"* ]]
	oci_config '.linux.sysctl = {"kernel.shmmni": "77"} | .linux.namespaces |= map(select(.type != "ipc"))'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"linux.sysctl 'kernel.shmmni': not allowed in the host's IPC namespace"* ]]
	oci_config '.linux.sysctl = {"kernel.domainname": "x"} | .linux.namespaces |= map(select(.type != "uts"))'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"'kernel.domainname': not allowed in the host's UTS namespace"* ]]
	oci_config '.linux.sysctl = {"kernel.hostname": "x"}'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"set the config's hostname instead"* ]]
	oci_config '.linux.sysctl = {"vm.swappiness": "7"}'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"linux.sysctl 'vm.swappiness': not a sysctl of a namespace"* ]]
	[ "$(grep -c . "$BATS_TEST_TMPDIR/$id.err")" = 1 ]
	[ ! -e "$OCI_ROOT/$id" ]
	[ "$(cat /proc/sys/net/ipv4/ip_default_ttl)" = "$ttl" ]
	# a network namespace of its own: set there, and not on the host
	oci_config '.linux.sysctl = {"net.ipv4.ip_default_ttl": "77"} | .process.args = ["cat", "/proc/sys/net/ipv4/ip_default_ttl"]'
	run -0 oci_create "$id"
	run -0 oci start "$id"
	wait_for 10 "$id to stop" state_is "$id" stopped
	grep -qx 77 "$BATS_TEST_TMPDIR/$id.out"
	[ "$(cat /proc/sys/net/ipv4/ip_default_ttl)" = "$ttl" ]
	run -0 oci delete "$id"
}

@test "oci: --log --log-format json gets the error as containerd reads it; the last repeated flag wins" {
	local id
	id=$(cname oci)
	run -1 "$HUSK" --root /nonexistent --root "$OCI_ROOT" --log "$BATS_TEST_TMPDIR/first.json" \
		--log "$BATS_TEST_TMPDIR/log.json" --log-format text --log-format=json --rootless false \
		--no-subreaper state "$id"
	[ ! -e "$BATS_TEST_TMPDIR/first.json" ] || [ ! -s "$BATS_TEST_TMPDIR/first.json" ]
	run -0 jq -r 'select(.level == "error") | .msg' "$BATS_TEST_TMPDIR/log.json"
	[ "$output" = "container $id does not exist" ]
	run -0 jq -r '.time' "$BATS_TEST_TMPDIR/log.json"
	[[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]]
}

@test "oci: kill of a stopped container says 'container not running'; delete refuses a running one, --force does not" {
	local id
	id=$(cname oci)
	oci_config '.process.args = ["true"]'
	run -0 oci_create "$id"
	run -0 oci start "$id"
	wait_for 10 "container $id stopped" state_is "$id" stopped
	run -1 --separate-stderr oci kill "$id" 15
	[[ $stderr == *"container not running"* ]]
	run -0 oci delete "$id"
	oci_config
	run -0 oci_create "$id"
	run -0 oci start "$id"
	run -1 --separate-stderr oci delete "$id"
	[[ $stderr == *"not stopped: running"* ]]
	run -0 oci delete --force "$id"
	[ ! -e "$OCI_ROOT/$id" ]
	[ ! -e "$(cgroup_dir memory "$id")" ]
}

@test "oci: state works with nothing but XDG_RUNTIME_DIR in the environment (as conmon calls it)" {
	local id
	id=$(cname oci)
	oci_config
	run -0 oci_create "$id"
	run -0 env -i XDG_RUNTIME_DIR=/run/user/0 "$HUSK" --root "$OCI_ROOT" state "$id"
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .id <<<"$output")" = "$id" ]
	[ "$(jq -r .ociVersion <<<"$output")" = 1.0.2 ]
	run -0 oci delete --force "$id"
}

@test "oci: hooks: createRuntime and prestart get the state with the pid on stdin, in the runtime's namespaces, after the mounts; createContainer and startContainer the host pid too; poststart, poststop run" {
	local id pid log=$BATS_TEST_TMPDIR/hooks
	id=$(cname oci)
	mkdir -p "$log"
	printf '#!/bin/sh\ncat >"%s/$1.json"\nreadlink /proc/self/ns/net >"%s/$1.netns"\n' "$log" "$log" \
		>"$BATS_TEST_TMPDIR/hook.sh"
	chmod +x "$BATS_TEST_TMPDIR/hook.sh"
	# prestart runs once the runtime has mounted, before pivot_root (as runc): what it
	# puts into the container's /dev (NVIDIA's hook binds /dev/nvidia* there) is on
	# the container's /dev tmpfs, not under it
	printf '#!/bin/sh
pid=$(jq -r .pid)
echo from-prestart >"/proc/$pid/root%s/rootfs/dev/from-prestart"
' \
		"$BUNDLE" >"$BATS_TEST_TMPDIR/hook-dev.sh"
	chmod +x "$BATS_TEST_TMPDIR/hook-dev.sh"
	# startContainer runs in the container, after pivot_root: a hook of the image's own
	printf '#!/bin/sh\ncat >"/$1.json"\n' >"$BUNDLE/rootfs/hook-in.sh"
	chmod +x "$BUNDLE/rootfs/hook-in.sh"
	oci_config '.hooks = {
		"createRuntime": [{"path": $h, "args": ["hook", "createRuntime"]}],
		"createContainer": [{"path": $h, "args": ["hook", "createContainer"]}],
		"startContainer": [{"path": "/hook-in.sh", "args": ["hook", "startContainer"]}],
		"prestart": [{"path": $h, "args": ["hook", "prestart"], "timeout": 5},
		             {"path": $d, "args": ["hook-dev"]}],
		"poststart": [{"path": $h, "args": ["hook", "poststart"]}],
		"poststop": [{"path": $h, "args": ["hook", "poststop"]}]}
		| .annotations = {"org.example": "yes"}' --arg h "$BATS_TEST_TMPDIR/hook.sh" \
		--arg d "$BATS_TEST_TMPDIR/hook-dev.sh"
	run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$(jq -r .pid "$log/createRuntime.json")" = "$pid" ]
	[ "$(jq -r .id "$log/createRuntime.json")" = "$id" ]
	[ "$(jq -r .bundle "$log/createRuntime.json")" = "$BUNDLE" ]
	[ "$(jq -r '.annotations["org.example"]' "$log/createRuntime.json")" = yes ]
	[ "$(jq -r .pid "$log/prestart.json")" = "$pid" ]
	# the runtime's network namespace (docker's libnetwork-setkey joins the container's itself)
	[ "$(cat "$log/prestart.netns")" = "$(readlink /proc/self/ns/net)" ]
	# createContainer: in the container's mount namespace, the pid as the host sees it
	[ "$(jq -r .pid "$log/createContainer.json")" = "$pid" ]
	[ "$(cat "$log/createContainer.netns")" = "$(readlink "/proc/$pid/ns/net")" ]
	[ ! -e "$log/poststart.json" ]
	run -0 oci start "$id"
	[ "$(jq -r .status "$log/poststart.json")" = running ]
	[ "$(jq -r .pid "/proc/$pid/root/startContainer.json")" = "$pid" ]
	[ "$(cat "/proc/$pid/root/dev/from-prestart")" = from-prestart ]
	[ ! -e "$BUNDLE/rootfs/dev/from-prestart" ]
	# the record counts the hooks start and delete run (they skip config.json without);
	# a record of an older husk, without the count, still gets its poststop hook
	[ "$(jq -r .poststart_hooks "$OCI_ROOT/$id/state.json")" = 1 ]
	jq 'del(.poststop_hooks)' "$OCI_ROOT/$id/state.json" >"$BATS_TEST_TMPDIR/st.json"
	cat "$BATS_TEST_TMPDIR/st.json" >"$OCI_ROOT/$id/state.json"
	run -0 oci delete --force "$id"
	[ "$(jq -r .status "$log/poststop.json")" = stopped ]
}

@test "oci: a failing or hanging createRuntime hook fails create (its timeout), nothing left" {
	local id
	id=$(cname oci)
	oci_config '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"createRuntime hook 0 (/bin/sh): exit status 3"* ]]
	[ ! -e "$OCI_ROOT/$id" ]
	oci_config '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "100"], "timeout": 1}]'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"timed out after 1 s"* ]]
	[ ! -e "$OCI_ROOT/$id" ]
	[ ! -e "$(cgroup_dir memory "$id")" ]
}

@test "oci: with a terminal the pty master goes to --console-socket: one message, one fd, a tty" {
	local id sock=$BATS_TEST_TMPDIR/console.sock
	id=$(cname oci)
	oci_config '.process.terminal = true | .process.args = ["sh", "-c", "tty; echo size $(stty size); echo console $(stat -c %t:%T /dev/console) pts $(stat -c %t:%T $(tty))"]
		| .process.consoleSize = {"height": 33, "width": 101}'
	"$HUSK_TOOLS/console-recv" "$sock" "$BATS_TEST_TMPDIR/tty.out" >"$BATS_TEST_TMPDIR/recv" &
	local recv=$!
	wait_for 5 "console socket" test -S "$sock"
	run -0 oci_create "$id" --console-socket "$sock"
	wait_for 5 "the console message" grep -q bytes= "$BATS_TEST_TMPDIR/recv"
	[ "$(cat "$BATS_TEST_TMPDIR/recv")" = "bytes=1 fds=1 tty=1" ]
	run -0 oci start "$id"
	# console-recv reads the terminal to its end: the command ran and nothing holds it
	wait "$recv"
	grep -q '^/dev/pts/0' "$BATS_TEST_TMPDIR/tty.out"
	grep -q 'size 33 101' "$BATS_TEST_TMPDIR/tty.out"
	# /dev/console is the terminal (runc binds it so)
	grep -qE 'console ([0-9a-f]+:[0-9a-f]+) pts \1' "$BATS_TEST_TMPDIR/tty.out"
	run -0 oci delete --force "$id"
}

# mounts_below DIR: the host's mount points at or below DIR, one per line
mounts_below() {
	local d
	d=$(realpath "$1")
	awk -v d="$d" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# mounts_outside DIR: the host's mountinfo lines but those at or below DIR
mounts_outside() {
	local d
	d=$(realpath "$1")
	awk -v d="$d" '!($5 == d || index($5, d "/") == 1)' /proc/self/mountinfo
}

@test "oci: no mount namespace in the list: the container is in the host's (runtime-spec), its mounts below its root there, a chroot; delete and a failed create take them all down, a mount that was there stays" {
	local id before after host
	id=$(cname oci)
	# one of the host's below the root before create: not husk's to take down
	mkdir -p "$BUNDLE/rootfs/mnt/keep"
	mount -t tmpfs -o size=1m hkt-keep "$BUNDLE/rootfs/mnt/keep"
	before=$(mounts_below "$BUNDLE/rootfs")
	host=$(mounts_outside "$BUNDLE/rootfs")
	oci_config '.linux.namespaces |= map(select(.type != "mount"))
		| .process.args = ["sh", "-c", "grep -c . /proc/self/mountinfo >/dev/null; ls /; sleep 1000"]'
	run -0 oci_create "$id"
	local pid
	pid=$(state_field "$id" pid)
	[ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ]
	# its root is the bundle's, entered with chroot; /proc and /dev were mounted there
	[ "$(readlink "/proc/$pid/root")" = "$(realpath "$BUNDLE/rootfs")" ]
	after=$(mounts_below "$BUNDLE/rootfs")
	[[ $after == *"$(realpath "$BUNDLE/rootfs")/proc"* ]]
	[[ $after == *"$(realpath "$BUNDLE/rootfs")/dev"* ]]
	# nothing of the host's changed but below the root (propagation included)
	[ "$(mounts_outside "$BUNDLE/rootfs")" = "$host" ]
	run -0 oci start "$id"
	wait_for 10 "ls in $id" grep -q '^proc$' "$BATS_TEST_TMPDIR/$id.out"
	# exec joins it: the same root
	run -0 oci exec "$id" sh -c 'test -e /proc/self/status && ls /mnt'
	[[ $output == *keep* ]]
	run -0 oci delete --force "$id"
	[ "$(mounts_below "$BUNDLE/rootfs")" = "$before" ]
	# a create that fails after the mounts (its createRuntime hook): all undone too
	oci_config '.linux.namespaces |= map(select(.type != "mount"))
		| .hooks.createRuntime = [{"path": "/bin/false"}]'
	run -1 oci_create "$id"
	[ "$(mounts_below "$BUNDLE/rootfs")" = "$before" ]
	[ ! -e "$OCI_ROOT/$id" ]
	umount "$BUNDLE/rootfs/mnt/keep"
	# a user namespace cannot make mounts in the host's: refused, in one line
	oci_config '.linux.namespaces |= (map(select(.type != "mount")) + [{"type": "user"}])
		| .linux.uidMappings = [{"containerID": 0, "hostID": 231072, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 231072, "size": 65536}]'
	run -1 oci_create "$id"
	[[ $(create_err "$id") == *"a user namespace needs a mount namespace of the container's own"* ]]
}

@test "oci: a second container joins the first one's network, IPC and UTS namespaces by path (a Kubernetes pod)" {
	local id1 id2 p1 p2
	id1=$(cname pod)
	id2=$(cname ctr)
	oci_config
	run -0 oci_create "$id1" --pid-file "$BATS_TEST_TMPDIR/p1"
	p1=$(cat "$BATS_TEST_TMPDIR/p1")
	oci_config '.linux.namespaces = [{"type": "pid"}, {"type": "mount"}, {"type": "ipc", "path": $ipc},
		{"type": "network", "path": $net}, {"type": "uts", "path": $uts}] | del(.hostname)' \
		--arg net "/proc/$p1/ns/net" --arg uts "/proc/$p1/ns/uts" --arg ipc "/proc/$p1/ns/ipc"
	run -0 oci_create "$id2" --pid-file "$BATS_TEST_TMPDIR/p2"
	p2=$(cat "$BATS_TEST_TMPDIR/p2")
	[ "$(readlink "/proc/$p2/ns/net")" = "$(readlink "/proc/$p1/ns/net")" ]
	[ "$(readlink "/proc/$p2/ns/uts")" = "$(readlink "/proc/$p1/ns/uts")" ]
	[ "$(readlink "/proc/$p2/ns/ipc")" = "$(readlink "/proc/$p1/ns/ipc")" ]
	[ "$(readlink "/proc/$p2/ns/pid")" != "$(readlink "/proc/$p1/ns/pid")" ]
	[ "$(readlink "/proc/$p2/ns/net")" != "$(readlink /proc/self/ns/net)" ]
	run -0 oci delete --force "$id2"
	run -0 oci delete --force "$id1"
	# a path that is no namespace of that type fails, naming it
	oci_config '.linux.namespaces = [{"type": "pid"}, {"type": "mount"}, {"type": "network", "path": "/proc/self/ns/uts"}]'
	run -1 oci_create "$id2"
	[[ $(create_err "$id2") == *"/proc/self/ns/uts"* ]]
	[ ! -e "$OCI_ROOT/$id2" ]
}

# v1_dir CONTROLLER REL: the directory of REL in that v1 hierarchy
v1_dir() {
	local mnt
	mnt=$(awk -v c="$1" '$0 ~ / - cgroup / {
		n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit }
	}' /proc/self/mountinfo)
	echo "$mnt/$2"
}

@test "oci: cgroupsPath (absolute, systemd's slice:prefix:name, relative with a cpuset) with limits; delete removes the directories" {
	local id pid dir
	id=$(cname oci)
	oci_config '.linux.cgroupsPath = $p | .linux.resources.memory = {"limit": 67108864}
		| .linux.resources.pids = {"limit": 42}
		| .linux.resources.cpu = {"shares": 512, "quota": 20000, "period": 100000}' \
		--arg p "/husk-oci-test/$id"
	run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	if [[ $(cgroup_mode) == v2 ]]; then
		dir=/sys/fs/cgroup/husk-oci-test/$id
		[ "$(cat "$dir/memory.max")" = 67108864 ]
		[ "$(cat "$dir/pids.max")" = 42 ]
		[ "$(cat "$dir/cpu.max")" = "20000 100000" ]
	else
		dir=$(v1_dir memory "husk-oci-test/$id")
		[ "$(cat "$dir/memory.limit_in_bytes")" = 67108864 ]
		[ "$(cat "$(v1_dir pids "husk-oci-test/$id")/pids.max")" = 42 ]
		[ "$(cat "$(v1_dir cpu "husk-oci-test/$id")/cpu.shares")" = 512 ]
		[ "$(cat "$(v1_dir cpu "husk-oci-test/$id")/cpu.cfs_quota_us")" = 20000 ]
	fi
	# the process is in it already, before start (containerd reads /proc/PID/cgroup)
	grep -q "husk-oci-test/$id" "/proc/$pid/cgroup"
	run -0 oci delete --force "$id"
	[ ! -e "$dir" ]
	[ ! -e "$(dirname "$dir")" ]
	# systemd's form, with an empty slice: system.slice
	oci_config '.linux.cgroupsPath = $p' --arg p ":husk-oci:$id"
	OCI_GLOBAL=--systemd-cgroup run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	grep -q ":/system.slice/husk-oci-$id.scope\$" "/proc/$(cat "$BATS_TEST_TMPDIR/pid")/cgroup"
	run -0 oci --systemd-cgroup delete --force "$id"
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "husk-oci-$id.scope" 2>/dev/null)" ]
	# relative (below husk/), with a cpuset: delete finds the cpuset directories too,
	# though it does not read the resources again (they were left on v1 once)
	oci_config '.linux.cgroupsPath = $p | .linux.resources.cpu = {"cpus": "0", "mems": "0"}' \
		--arg p "$id/leaf"
	run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	grep -q "husk/$id/leaf\$" "/proc/$(cat "$BATS_TEST_TMPDIR/pid")/cgroup"
	if [[ $(cgroup_mode) != v2 ]]; then
		[ "$(cat "$(v1_dir cpuset "husk/$id/leaf")/cpuset.cpus")" = 0 ]
	else
		# every level down passes cpuset on (husk/ and husk/ID are husk's own)
		[ "$(cat "/sys/fs/cgroup/husk/$id/leaf/cpuset.cpus")" = 0 ]
		grep -qw cpuset "/sys/fs/cgroup/husk/$id/cgroup.subtree_control"
	fi
	run -0 oci delete --force "$id"
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -name "$id" 2>/dev/null)" ]
}

@test "oci: mounts resolve inside the root: a symlink in the image cannot send a mount out (with a mount namespace, and in the host's)" {
	local id pid mode
	mkdir -p "$BATS_TEST_TMPDIR/hostdir" "$BATS_TEST_TMPDIR/src"
	echo from-volume >"$BATS_TEST_TMPDIR/src/file"
	# /evil in the image points at a directory that exists on the host (and, inside the
	# root, at the image's own directory of that name)
	ln -s "$BATS_TEST_TMPDIR/hostdir" "$BUNDLE/rootfs/evil"
	mkdir -p "$BUNDLE/rootfs/$BATS_TEST_TMPDIR/hostdir"
	for mode in own host; do
		id=$(cname oci)
		oci_config '.mounts += [{"destination": "/evil/m", "type": "tmpfs", "source": "tmpfs"},
			{"destination": "/data", "type": "bind", "source": $src, "options": ["rbind", "ro"]}]
			| if $mode == "host" then .linux.namespaces |= map(select(.type != "mount")) else . end' \
			--arg src "$BATS_TEST_TMPDIR/src" --arg mode "$mode"
		run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
		pid=$(cat "$BATS_TEST_TMPDIR/pid")
		# the tmpfs went to <root>/<hostdir>/m, created inside the root, not on the host
		[ ! -e "$BATS_TEST_TMPDIR/hostdir/m" ]
		grep -q " $BATS_TEST_TMPDIR/hostdir/m .* - tmpfs " "/proc/$pid/mountinfo"
		[ -d "$BUNDLE/rootfs/$BATS_TEST_TMPDIR/hostdir/m" ]
		[ -z "$(ls -A "$BATS_TEST_TMPDIR/hostdir")" ]
		[ "$(cat "/proc/$pid/root/data/file")" = from-volume ]
		run ! touch "/proc/$pid/root/data/new"
		run -0 oci delete --force "$id"
		# in the host's namespace: every mount below the root gone with it
		run ! grep -qF " $(realpath "$BUNDLE/rootfs")/" /proc/self/mountinfo
	done
}

@test "oci: recursive mount options (rro, rnosuid, rnoexec, rnoatime) reach the mounts below a bind too" {
	local id pid sub
	id=$(cname oci)
	sub=$BATS_TEST_TMPDIR/tree/sub
	mkdir -p "$sub"
	mount -t tmpfs -o size=1m hkt-rattr "$sub"
	oci_config '.mounts += [{"destination": "/tree", "type": "bind", "source": $src,
		"options": ["rbind", "rro", "rnosuid", "rnoexec", "rnoatime"]}]' --arg src "$BATS_TEST_TMPDIR/tree"
	run oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	local rc=$status
	pid=$(cat "$BATS_TEST_TMPDIR/pid" 2>/dev/null || true)
	local top below
	top=$(awk '$5 == "/tree" { print $6 }' "/proc/$pid/mountinfo" 2>/dev/null)
	below=$(awk '$5 == "/tree/sub" { print $6 }' "/proc/$pid/mountinfo" 2>/dev/null)
	oci delete --force "$id" >/dev/null 2>&1 || true
	umount "$sub"
	echo "rc=$rc top=$top below=$below"
	[[ $rc -eq 0 ]]
	local o
	for o in "$top" "$below"; do
		[[ ,$o, == *,ro,* && ,$o, == *,nosuid,* && ,$o, == *,noexec,* && ,$o, == *,noatime,* ]]
	done
}

@test "oci: a tmpfs with tmpcopyup (podman's --tmpfs default) starts with the image's files, owners and modes; a symlink in it stays a symlink" {
	local id pid
	id=$(cname oci)
	mkdir -p "$BUNDLE/rootfs/srv/sub"
	echo seed >"$BUNDLE/rootfs/srv/sub/file"
	chmod 640 "$BUNDLE/rootfs/srv/sub/file"
	chown 1234:5678 "$BUNDLE/rootfs/srv/sub/file"
	chmod 1770 "$BUNDLE/rootfs/srv"
	ln -s "$BATS_TEST_TMPDIR" "$BUNDLE/rootfs/srv/out"
	oci_config '.mounts += [{"destination": "/srv", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "tmpcopyup", "size=1m"]}]'
	run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	grep -q " /srv .* - tmpfs " "/proc/$pid/mountinfo"
	[ "$(cat "/proc/$pid/root/srv/sub/file")" = seed ]
	[ "$(stat -c %a:%u:%g "/proc/$pid/root/srv/sub/file")" = 640:1234:5678 ]
	[ "$(stat -c %a "/proc/$pid/root/srv")" = 1770 ]
	[ "$(readlink "/proc/$pid/root/srv/out")" = "$BATS_TEST_TMPDIR" ]
	# a write lands in the tmpfs, never in the image
	echo new >"/proc/$pid/root/srv/sub/added"
	[ ! -e "$BUNDLE/rootfs/srv/sub/added" ]
	run -0 oci delete --force "$id"
}

@test "oci: exec --process --detach --pid-file: the process is in the container's namespaces and cgroup; the argv form waits and returns its status" {
	local id pid epid ns
	id=$(cname oci)
	oci_config
	run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	run -0 oci start "$id"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	jq '.process | .args = ["sleep", "321"] | .env += ["FROM_PROCESS=1"]' "$BUNDLE/config.json" \
		>"$BATS_TEST_TMPDIR/process.json"
	run -0 oci_detached exec --process "$BATS_TEST_TMPDIR/process.json" --detach \
		--pid-file "$BATS_TEST_TMPDIR/epid" "$id"
	epid=$(cat "$BATS_TEST_TMPDIR/epid")
	grep -q '^sleep' "/proc/$epid/comm"
	for ns in pid mnt net ipc uts cgroup; do
		[ "$(readlink "/proc/$epid/ns/$ns")" = "$(readlink "/proc/$pid/ns/$ns")" ]
	done
	[ "$(grep ':pids:' "/proc/$epid/cgroup")" = "$(grep ':pids:' "/proc/$pid/cgroup")" ]
	tr '\0' '\n' <"/proc/$epid/environ" | grep -qx FROM_PROCESS=1
	# the config's capability sets, not husk's
	[ "$(awk '/^CapBnd:/ { print $2 }' "/proc/$epid/status")" = 0000000020000420 ]
	# the command-line form: husk waits and exits with the process's status
	run -7 oci exec --env X=y "$id" sh -c 'echo "$X" in $(hostname); exit 7' </dev/null
	[ "$output" = "y in oci" ]
	run -127 oci exec "$id" no-such-command </dev/null
	[[ $output == *"executable file not found"* ]]
	run -0 oci delete --force "$id"
	[ ! -e "/proc/$epid" ] || grep -q '^State:.*Z' "/proc/$epid/status"
}

@test "oci: the docker-like face keeps its commands: husk run's containers beside OCI ones in the same root" {
	local id name
	id=$(cname oci)
	name=$(cname run)
	oci_config
	run -0 oci_create "$id"
	run -0 oci_detached run -d --network none --name "$name" "$BUNDLE/rootfs" sleep 100
	# husk exec NAME CMD and husk kill NAME are the docker-like ones for a husk run container
	run -0 "$HUSK" --root "$OCI_ROOT" exec "$name" echo from-run-exec
	[ "$output" = from-run-exec ]
	run -0 "$HUSK" --root "$OCI_ROOT" kill "$name"
	[ "$output" = "$name" ]
	# ... and the OCI ones for the bundle's container
	[ "$(state_field "$id" status)" = created ]
	run -0 oci kill "$id" KILL
	wait_for 10 "container $id stopped" state_is "$id" stopped
	run -0 "$HUSK" --root "$OCI_ROOT" rm -f "$name"
	run -0 oci delete "$id"
}

@test "oci: the config's process and security: seccomp (errnoRet), capability sets, rlimits, sysctl, masked and read-only paths, devices, user" {
	local id out
	id=$(cname oci)
	oci_config '.process.args = ["sh", "-c", "
		mkdir /tmp/x 2>&1 || true
		grep -E \"^(CapBnd|CapEff|Uid|Gid|Groups):\" /proc/self/status
		echo nofile=$(ulimit -n)
		echo msgmax=$(cat /proc/sys/kernel/msgmax)
		echo keys=$(grep -c \" /proc/keys \" /proc/self/mountinfo)
		echo 1 >/proc/sys/kernel/msgmax 2>/dev/null && echo sys-writable || echo sys-ro
		ls -l /dev/fuse /dev/null | cut -c1-10
		echo umask=$(umask)
		echo home=$HOME"]
		| .process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5], "umask": 63}
		| .process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
		                           "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}
		| .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 777, "hard": 888}]
		| .linux.sysctl = {"kernel.msgmax": "4096"}
		| .linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 432}]
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
		    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
	# HOME comes from the rootfs's /etc/passwd, a line longer than 1 KiB before it
	{
		printf 'long:x:999:999:%s:/:/bin/sh\n' "$(printf 'g%.0s' $(seq 1100))"
		echo 'u1000:x:1000:1001::/home/u1000:/bin/sh'
	} >>"$BUNDLE/rootfs/etc/passwd"
	run -0 oci_create "$id"
	run -0 oci start "$id"
	wait_for 10 "container $id stopped" state_is "$id" stopped
	out=$(cat "$BATS_TEST_TMPDIR/$id.out")
	echo "$out"
	[[ $out == *"home=/home/u1000"* ]]
	# seccomp's errnoRet 38 is ENOSYS
	[[ $out == *"Function not implemented"* ]]
	[[ $out == *"CapBnd:	0000000000000021"* ]]
	# uid 1000 keeps an effective capability only through the ambient set (the kernel's rule)
	[[ $out == *"CapEff:	0000000000000020"* ]]
	[[ $out =~ Uid:[[:space:]]+1000[[:space:]] ]]
	[[ $out =~ Gid:[[:space:]]+1001[[:space:]] ]]
	[[ $out =~ Groups:[[:space:]]+5 ]]
	[[ $out == *"nofile=777"* ]]
	[[ $out == *"msgmax=4096"* ]]
	# /proc/keys is masked (a mount over it); /proc/no-such-file (and /proc/kcore, which this
	# kernel may lack) were skipped
	[[ $out == *"keys=1"* ]]
	[[ $out == *"sys-ro"* ]]
	[[ $out == *"crw-rw----"* ]]
	[[ $out == *"umask=0077"* ]]
	run -0 oci delete "$id"
}

@test "oci: linux.seccomp compiled once: the next container's filter comes from the cache and holds the same; a tampered entry is compiled again; HUSK_SECCOMP_CACHE=0 stores none" {
	local id cache entry ino n
	id=$(cname oci)
	cache=$BATS_TEST_TMPDIR/cache
	export HUSK_CACHE_DIR=$cache
	oci_config '.process.args = ["sh", "-c", "mkdir /tmp/x 2>&1; true"]
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
		    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
	for n in 1 2 3; do
		run -0 oci_create "$id"
		run -0 oci start "$id"
		wait_for 10 "container $id stopped" state_is "$id" stopped
		grep -q "Function not implemented" "$BATS_TEST_TMPDIR/$id.out"
		run -0 oci delete "$id"
		entry=$(find "$cache/seccomp" -type f)
		[ "$(wc -l <<<"$entry")" = 1 ]
		[[ ${entry##*/} =~ ^[0-9a-f]{64}$ ]]
		[ "$(stat -c %a "$entry")" = 600 ]
		case $n in
		1) ino=$(stat -c %i "$entry") ;;
		2) # a hit: the entry was read, not written again; now tamper with it
			[ "$(stat -c %i "$entry")" = "$ino" ]
			printf 'XXXXXXXX' | dd of="$entry" conv=notrunc status=none ;;
		3) # the tampered entry was not used (the filter still held) but replaced
			[ "$(stat -c %i "$entry")" != "$ino" ] ;;
		esac
	done
	# off: another profile is compiled and not stored
	oci_config '.process.args = ["sh", "-c", "mkdir /tmp/x 2>&1; true"]
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	HUSK_SECCOMP_CACHE=0 run -0 oci_create "$id"
	run -0 oci start "$id"
	wait_for 10 "container $id stopped" state_is "$id" stopped
	grep -q "Operation not permitted" "$BATS_TEST_TMPDIR/$id.out"
	run -0 oci delete "$id"
	[ "$(find "$cache/seccomp" -type f | wc -l)" = 1 ]
}

@test "oci: a bundle's user namespace: its uid/gid maps as given, root inside is not root outside" {
	local id pid
	id=$(cname oci)
	oci_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 231072, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 231072, "size": 65536}]
		| .process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map"]'
	# the namespace's root (host uid 231072) must reach the bundle: bats makes its
	# directories 0700
	local d=$BUNDLE
	while [[ $d != / ]]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	run -0 oci_create "$id" --pid-file "$BATS_TEST_TMPDIR/pid"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
	read -r inside outside count <"/proc/$pid/uid_map"
	[ "$inside $outside $count" = "0 231072 65536" ]
	run -0 oci start "$id"
	wait_for 10 "container $id stopped" state_is "$id" stopped
	[ "$(head -1 "$BATS_TEST_TMPDIR/$id.out")" = 0 ]
	run -0 oci delete "$id"
	[ ! -e "$OCI_ROOT/$id" ]
}
