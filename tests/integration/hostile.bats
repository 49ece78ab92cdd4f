#!/usr/bin/env bats
# hostile.bats — rootfs, volumes and files built to attack husk (issue #17): each
# test builds the attack, runs husk, and checks that husk refused with one clear
# line (exit 125) or that the attack landed inside the container, never on the
# host. The defences: linux/fs/resolve.c (mount destinations resolved inside the
# root and mounted by fd), linux/fs/procfs.c (procfs only as verified procfs), the
# /dev node checks on the fd (masked_paths.c, devnodes.c, io.c), util/input_limits.h.

# shellcheck disable=SC2016 # single-quoted scripts run in the container
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run

load helpers

setup_file() {
	rootfs_busybox >/dev/null
}

setup() {
	husk_setup
	T=$BATS_TEST_TMPDIR
	R=$(rootfs_copy "$T/root")
}

teardown() {
	[[ -f $T/racer.pid ]] && { kill "$(cat "$T/racer.pid")" 2>/dev/null || true; }
	mountpoint -q "$T/store" 2>/dev/null && umount "$T/store"
	husk_teardown
}

# refused TEXT: the last run exited 125 with one line "husk: ...TEXT..."
refused() {
	[[ $status -eq 125 ]] || fail "expected exit 125, got $status; stderr: $stderr"
	[[ ${#stderr_lines[@]} -eq 1 ]] || fail "expected one line on stderr, got: $stderr"
	[[ $stderr == "husk: "* && $stderr == *"$1"* ]] || fail "expected 'husk: ...$1...', got: $stderr"
}

# the host's mounts under this test's directory (where the attacks aim) and at
# /mnt*: other husks on the machine may mount elsewhere meanwhile
host_mounts() {
	awk -v t="$T" 'index($5, t) == 1 || $5 ~ /^\/mnt/ { print $5 }' /proc/self/mountinfo | sort
}

# --- CVE-2025-31133 / 52565: /dev nodes checked on the fd that is mounted ----------

@test "a /dev/null that is a symlink to a host file is refused before anything is masked with it" {
	echo secret >"$T/secret"
	mkdir "$T/vol"
	ln -s "$T/secret" "$T/vol/null"
	host_mounts >"$T/before"
	run --separate-stderr "$HUSK" run --rm --network none --name "$(cname null)" -v "$T/vol:/dev" "$R" cat /proc/kcore
	refused "/dev/null is not the null device"
	[[ $(cat "$T/secret") == secret ]]
	host_mounts | diff "$T/before" -
}

@test "a /dev/null that is a character device other than 1:3 is refused (a bind of it would not mask)" {
	mkdir "$T/vol"
	mknod "$T/vol/null" c 1 5 # /dev/zero
	run --separate-stderr "$HUSK" run --rm --network none --name "$(cname zero)" -v "$T/vol:/dev" "$R" true
	refused "/dev/null is not the null device (character device 1:3)"
}

@test "the -t pty comes from the container's devpts, checked on the fd (5:2), the slave opened from it" {
	run script -qec "$HUSK run --rm --network none -t --name $(cname tty) $R sh -c 'tty; stat -c %t:%T /dev/pts/ptmx'" /dev/null
	[[ $status -eq 0 ]] || fail "exit $status: $output"
	[[ $output == *"/dev/pts/0"* && $output == *"5:2"* ]] || fail "$output"
}

# --- CVE-2025-52881: procfs reached only as procfs ---------------------------------

@test "a /proc that is a symlink out of ROOTFS is refused; nothing is mounted or made on the host" {
	mkdir "$T/hostside"
	rm -rf "$R/proc"
	ln -s "../../../../../../../../..$T/hostside" "$R/proc"
	host_mounts >"$T/before"
	run --separate-stderr "$HUSK" run --rm --network none --name "$(cname proc)" "$R" true
	refused "rootfs: /proc is a symlink"
	[[ -z $(ls -A "$T/hostside") ]] || fail "written on the host: $(ls -A "$T/hostside")"
	host_mounts | diff "$T/before" -
}

@test "an OCI bundle whose /proc is a symlink out of its rootfs: husk create refuses, nothing on the host" {
	mkdir "$T/hostside" "$T/bundle"
	mv "$R" "$T/bundle/rootfs"
	rm -rf "$T/bundle/rootfs/proc"
	ln -s "../../../../../../../../..$T/hostside" "$T/bundle/rootfs/proc"
	(cd "$T/bundle" && "$HUSK" spec)
	sed -i 's/"terminal": *true/"terminal": false/' "$T/bundle/config.json"
	host_mounts >"$T/before"
	local id
	id=$(cname oci)
	run --separate-stderr "$HUSK" create --bundle "$T/bundle" "$id"
	"$HUSK" delete -f "$id" 2>/dev/null || true
	[[ $status -ne 0 ]] || fail "created"
	[[ ${#stderr_lines[@]} -eq 1 && $stderr == *"rootfs: /proc is a symlink"* ]] || fail "$stderr"
	[[ -z $(ls -A "$T/hostside") ]] || fail "written on the host: $(ls -A "$T/hostside")"
	host_mounts | diff "$T/before" -
}

@test "a /sys or /dev that is a symlink is refused as well" {
	rm -rf "$R/sys"
	ln -s /tmp "$R/sys"
	run --separate-stderr "$HUSK" run --rm --network none --name "$(cname sys)" "$R" true
	refused "rootfs: /sys is a symlink"
	rm "$R/sys"
	mkdir "$R/sys"
	rm -rf "${R:?}/dev"
	ln -s /etc "$R/dev"
	run --separate-stderr "$HUSK" run --rm --network none --name "$(cname dev)" "$R" true
	refused "rootfs: /dev is a symlink"
}

# --- CVE-2021-30465: a volume destination swapped for a symlink by a racing process -

# race_swap DIR: until DIR/stop exists (60 s at most), DIR/evil flips between a
# directory and a symlink that climbs out of the root to $T/hostside
race_swap() {
	local d=$1 end=$((SECONDS + 60)) n=0
	while [[ ! -e $d/stop ]] && ((SECONDS < end)); do
		# (a step fails while the directory is a container's mount point: go on)
		rm -rf "$d/evil" 2>/dev/null || true
		ln -s "../../../../../../../../..$T/hostside" "$d/evil" 2>/dev/null || true
		rm -f "$d/evil" 2>/dev/null || true
		mkdir "$d/evil" 2>/dev/null || true
		n=$((n + 1))
	done
	echo "$n" >"$d/swaps"
}

@test "a volume destination swapped to a symlink out of the root mid-run never lands on the host (30 runs)" {
	# $T/hostside exists on the host and, as the same path, inside the root
	mkdir -p "$T/shared/evil" "$T/payload" "$T/hostside" "$R$T/hostside"
	echo "payload-$$" >"$T/payload/marker"
	race_swap "$T/shared" 3>&- &
	echo $! >"$T/racer.pid"
	host_mounts >"$T/before"
	local i dir=0 link=0 refusedn=0 lost=0
	for i in $(seq 30); do
		# where the kernel has the payload mounted, as the container sees it: at
		# /data/evil, or at the symlink's target resolved inside the root
		run --separate-stderr "$HUSK" run --rm --network none --name "$(cname race)" \
			-v "$T/shared:/data" -v "$T/payload:/data/evil" "$R" \
			awk '$4 ~ "/payload$" { print $5 }' /proc/self/mountinfo
		if ((status == 125)); then
			refused "" # one line, exit 125
			refusedn=$((refusedn + 1))
		else
			[[ $status -eq 0 ]] || fail "run $i: exit $status: $stderr"
			case $output in
			/data/evil | '/data/evil\040(deleted)') dir=$((dir + 1)) ;;
			"$T/hostside") link=$((link + 1)) ;; # the symlink, resolved inside the root
			# the racer removed the mount point after the mount: the kernel dropped
			# the mount with it (in the container's namespace only)
			'') lost=$((lost + 1)) ;;
			*) fail "run $i: the payload is mounted at '$output'" ;;
			esac
		fi
		[[ -z $(ls -A "$T/hostside") ]] || fail "run $i: written on the host: $(ls -A "$T/hostside")"
	done
	touch "$T/shared/stop"
	wait "$(cat "$T/racer.pid")" || true
	rm -f "$T/racer.pid"
	host_mounts | diff "$T/before" -
	echo "# $(cat "$T/shared/swaps") swaps; payload inside: $dir at /data/evil, $link through the symlink (inside the root); $refusedn refused; $lost dropped with the swapped dir" >&3
	# a runtime that followed the symlink on the host's side mounts it out of sight
	# (counted as dropped): some runs must have met the symlink and stayed inside
	((link > 0)) || fail "no run met the symlink ($dir at /data/evil, $lost dropped)"
}

@test "a volume whose destination is a symlink to / or .. is mounted inside the root, not over the host's" {
	mkdir -p "$T/payload"
	echo "payload-$$" >"$T/payload/marker"
	ln -s / "$R/to-root"
	ln -s ../../../.. "$R/up"
	run --separate-stderr "$HUSK" run --rm --network none --name "$(cname sym)" -v "$T/payload:/to-root/mnt" \
		-v "$T/payload:/up/mnt2" "$R" sh -c 'cat /mnt/marker /mnt2/marker'
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ $output == "payload-$$"$'\n'"payload-$$" ]] || fail "$output"
	[[ ! -e /mnt2 || -z $(ls -A /mnt2 2>/dev/null) ]]
}

# --- limits (util/input_limits.h) -----------------------------------------------------

@test "more environment variables than the limit: one error, nothing left" {
	seq -f 'V%g=x' 9000 >"$T/env"
	run --separate-stderr "$HUSK" run --rm --network none --name "$(cname env)" --env-file "$T/env" "$R" true
	refused "too many environment variables"
	[[ $stderr == *"(at most 8192)"* ]]
}

@test "a seccomp profile over 4 MiB, or nested deeper than 32, is refused with the limit named" {
	head -c $((5 << 20)) /dev/zero | tr '\0' ' ' >"$T/big.json"
	run --separate-stderr "$HUSK" run --rm --network none --name "$(cname big)" --security-opt "seccomp=$T/big.json" "$R" true
	refused "more than husk reads (4 MiB)"
	{
		printf '{"defaultAction": "SCMP_ACT_ALLOW", "x": '
		printf '[%.0s' $(seq 40)
		printf ']%.0s' $(seq 40)
		printf '}\n'
	} >"$T/deep.json"
	run --separate-stderr "$HUSK" run --rm --network none --name "$(cname deep)" --security-opt "seccomp=$T/deep.json" "$R" true
	refused "nesting too deep"
}

@test "a layer that would expand past the store's free space is refused; the store keeps nothing" {
	mkdir "$T/store" "$T/layer"
	mount -t tmpfs -o size=96m tmpfs "$T/store"
	truncate -s 200M "$T/layer/big"
	tar --sparse -C "$T/layer" -cf "$T/layer.tar" .
	(($(stat -c %s "$T/layer.tar") < 1048576))
	HUSK_IMAGE_ROOT=$T/store run --separate-stderr "$HUSK" import "$T/layer.tar" hkt-big:1
	refused "would leave less than 64 MiB free on the store's filesystem"
	[[ -z $(find "$T/store" -type f -size +1M) ]] || fail "left: $(find "$T/store" -type f -size +1M)"
	[[ $(df --output=used -B1M "$T/store" | tail -1) -lt 4 ]]
	umount "$T/store"
}
