#!/usr/bin/env bats
# husk on a real kernel: tests/vm/run.sh boots Debian's kernel under qemu (TCG) once
# per cgroup mode (v2, v1, hybrid), all at once, in setup_file; each test here reports one mode and,
# when it failed, shows that VM's serial console. A VM that could not run at all is
# reported as skipped (with run.sh's loud reason), never as passed.

bats_require_minimum_version 1.5.0

setup_file() {
	export VM_OUT=$BATS_FILE_TMPDIR/vm
	mkdir -p "$VM_OUT"
	local rc=0 husk=()
	[[ -z ${HUSK:-} ]] || husk=("$HUSK")
	"$BATS_TEST_DIRNAME/run.sh" --log-dir "$VM_OUT" --mode all "${husk[@]}" \
		>"$VM_OUT/run.out" 2>&1 || rc=$?
	echo "$rc" >"$VM_OUT/run.rc"
}

vm_mode() {
	local mode=$1 rc
	rc=$(cat "$VM_OUT/run.rc")
	if [[ $rc == 77 ]]; then
		skip "$(grep -m1 'vm: SKIPPED' "$VM_OUT/run.out" || echo 'vm: SKIPPED (exit 77)')"
	fi
	if [[ ! -f $VM_OUT/vm-$mode.result ]]; then
		echo "tests/vm/run.sh exited $rc before booting the $mode VM:"
		cat "$VM_OUT/run.out"
		return 1
	fi
	echo "# vm [$mode]: $(cat "$VM_OUT/vm-$mode.result")" >&3
	if ! grep -q '^pass:' "$VM_OUT/vm-$mode.result"; then
		echo "vm [$mode]: $(cat "$VM_OUT/vm-$mode.result"); its serial console:"
		cat "$VM_OUT/vm-$mode.log"
		return 1
	fi
}

@test "vm: husk with cgroup v2 alone (qemu, Debian kernel)" {
	vm_mode v2
}

@test "vm: husk with cgroup v1 hierarchies only (qemu, Debian kernel)" {
	vm_mode v1
}

@test "vm: husk on a hybrid host, v1 controllers + cgroup2 at unified (qemu, Debian kernel)" {
	vm_mode hybrid
}
