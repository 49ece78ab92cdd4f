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
		and (.mountOptions | index("rbind") != null and index("rro") == null)
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
