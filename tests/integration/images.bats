#!/usr/bin/env bats
# images.bats — the image store and copy-on-write roots: husk import/load/pull,
# images, rmi, image inspect/prune; husk run IMAGE on an overlayfs whose upper dir is
# the container's own; hostile layer archives refused with nothing written. Every
# test uses a private store ($HUSK_IMAGE_ROOT under its temporary dir).

# shellcheck disable=SC2016 # the single-quoted scripts run in the container
# shellcheck disable=SC2154 # stderr, output, status: set by bats' run
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load helpers

# Archives made once by the real tools (podman, buildah, skopeo) from the busybox
# rootfs, in a podman/buildah storage of this file's own (overlay driver: a layer
# that replaces a directory gets buildah's opaque whiteout):
#   bb1-docker.tar  podman save (docker-archive) of localhost/bb:1, one layer, with
#                   CMD, ENV FOO=img and WORKDIR /tmp
#   bb1-oci.tar     podman save --format oci-archive of the same
#   bb1-skopeo.tar  skopeo copy of it into oci-archive:...:bb:sk
#   bb2-docker.tar  localhost/bb:2: bb:1 plus a layer deleting /etc/group and
#                   replacing /usr with a /usr holding only share/marker
#   bb2-zstd.tar    skopeo copy of bb:2 with zstd layers
setup_file() {
	local r t=$BATS_FILE_TMPDIR
	r=$(rootfs_busybox)
	export ARCH=$t/archives
	mkdir -p "$ARCH"
	tar -C "$r" -cf "$t/bb.tar" .
	POD=(podman --root "$t/storage" --runroot "$t/run" --storage-driver overlay
		--cgroup-manager cgroupfs --events-backend none)
	BUILDAH=(buildah --root "$t/storage" --runroot "$t/run" --storage-driver overlay)
	"${POD[@]}" import -q --change 'CMD ["/bin/sh","-c","echo from-cmd"]' \
		--change 'ENV FOO=img' --change 'WORKDIR /tmp' "$t/bb.tar" localhost/bb:1 >/dev/null
	"${POD[@]}" save -q -o "$ARCH/bb1-docker.tar" localhost/bb:1
	"${POD[@]}" save -q --format oci-archive -o "$ARCH/bb1-oci.tar" localhost/bb:1
	skopeo copy -q "docker-archive:$ARCH/bb1-docker.tar" "oci-archive:$ARCH/bb1-skopeo.tar:bb:sk"
	local c m
	c=$("${BUILDAH[@]}" from -q localhost/bb:1)
	m=$("${BUILDAH[@]}" mount "$c")
	rm "$m/etc/group"
	rm -r "${m:?}/usr"
	mkdir -p "$m/usr/share"
	echo replaced >"$m/usr/share/marker"
	"${BUILDAH[@]}" umount "$c" >/dev/null
	"${BUILDAH[@]}" commit -q "$c" localhost/bb:2 >/dev/null
	"${BUILDAH[@]}" rm "$c" >/dev/null
	"${POD[@]}" save -q -o "$ARCH/bb2-docker.tar" localhost/bb:2
	skopeo copy -q --dest-compress --dest-compress-format zstd \
		"docker-archive:$ARCH/bb2-docker.tar" "oci-archive:$ARCH/bb2-zstd.tar:bb:zstd"
	registry_start
	local reg=127.0.0.1:$REG_PORT
	skopeo copy -q --dest-tls-verify=false "docker-archive:$ARCH/bb2-docker.tar" "docker://$reg/test/bb:2"
	# a multi-arch index: bb:1 as linux/arm64, bb:2 as linux/amd64
	"${BUILDAH[@]}" manifest create multi >/dev/null
	"${BUILDAH[@]}" manifest add --arch arm64 multi containers-storage:localhost/bb:1 >/dev/null
	"${BUILDAH[@]}" manifest add --arch amd64 multi containers-storage:localhost/bb:2 >/dev/null
	"${BUILDAH[@]}" manifest push -q --all --tls-verify=false multi "docker://$reg/test/multi:1"
	# an image of its own (its layer is tampered with in the registry's storage)
	cp "$t/bb.tar" "$t/tamper.tar"
	echo "$RANDOM$RANDOM" >"$t/unique"
	tar -C "$t" -rf "$t/tamper.tar" unique
	"${POD[@]}" import -q "$t/tamper.tar" localhost/tamper:1 >/dev/null
	skopeo copy -q --dest-tls-verify=false containers-storage:"[overlay@$t/storage+$t/run]localhost/tamper:1" \
		"docker://$reg/test/tamper:1"
	"${POD[@]}" rmi -a -f >/dev/null 2>&1 || true
	"${BUILDAH[@]}" rm -a >/dev/null 2>&1 || true
}

teardown_file() {
	local t=$BATS_FILE_TMPDIR
	registry_stop
	podman --root "$t/storage" --runroot "$t/run" --storage-driver overlay \
		--cgroup-manager cgroupfs --events-backend none system reset -f >/dev/null 2>&1 || true
}

setup() {
	busybox_setup
	export HUSK_IMAGE_ROOT=$BATS_TEST_TMPDIR/store
}

teardown() {
	dockerd_stop
	husk_teardown
}

# busybox_tar FILE: the busybox rootfs as a flat tarball
busybox_tar() {
	tar -C "$R" -cf "$1" .
}

# import_busybox NAME: imports the busybox rootfs as NAME, prints the image id
import_busybox() {
	busybox_tar "$BATS_TEST_TMPDIR/bb.tar"
	"$HUSK" import "$BATS_TEST_TMPDIR/bb.tar" "$1"
}

# the store holds no layer, no staging dir, no image and no config or manifest blob
store_is_empty() {
	local s=$HUSK_IMAGE_ROOT
	[[ -z $(find "$s/layers" "$s/tmp" "$s/images" "$s/blobs/sha256" -mindepth 1 2>/dev/null) ]] ||
		fail "store not empty: $(find "$s" -mindepth 2 | head)"
}

@test "import: a rootfs tarball becomes a one-layer image; images lists it (table and json)" {
	run -0 import_busybox bb:1
	[[ $output =~ ^sha256:[0-9a-f]{64}$ ]]
	id=$output
	run -0 "$HUSK" images
	[[ ${lines[0]} == NAME*TAG*ID*SIZE*CREATED ]]
	[[ ${lines[1]} =~ ^bb\ +1\ +${id:7:12} ]]
	run -0 "$HUSK" images --format json
	[[ $(jq -r '.[0].id' <<<"$output") == "$id" ]]
	[[ $(jq -r '.[0].layers' <<<"$output") == 1 ]]
	(($(jq -r '.[0].size' <<<"$output") > 100000))
	# the layer is stored once, by its diff_id, and is the rootfs as given
	diff=$(jq -r '.[0].config.rootfs.diff_ids[0]' <<<"$("$HUSK" image inspect bb:1)")
	[[ -x $HUSK_IMAGE_ROOT/layers/${diff#sha256:}/bin/busybox ]]
	# the same tarball again: another image (its config has the time), the same layer
	run -0 "$HUSK" import "$BATS_TEST_TMPDIR/bb.tar" bb:2
	[[ $(find "$HUSK_IMAGE_ROOT/layers" -mindepth 1 -maxdepth 1 -type d | wc -l) == 1 ]]
	# compressed, from stdin
	gzip -c "$BATS_TEST_TMPDIR/bb.tar" | "$HUSK" import - bb:gz
	run -0 "$HUSK" run --network none bb:gz /bin/busybox true
}

@test "import: gzip through ISA-L, zlib and libarchive (HUSK_INFLATE) gives the same layer; a bad CRC is refused by ISA-L and zlib, a cut stream by all" {
	"$HUSK" check 2>&1 | grep -q "gzip layers *zlib\|gzip layers *ISA-L" ||
		skip "neither ISA-L (libisal2) nor zlib (zlib1g) here"
	# without ISA-L, isal means the default order: zlib
	local modes=(zlib libarchive) crc_modes=(zlib) mode
	if "$HUSK" check 2>&1 | grep -q "gzip layers *ISA-L"; then
		modes+=(isal)
		crc_modes+=(isal)
	fi
	t=$BATS_TEST_TMPDIR
	busybox_tar "$t/bb.tar"
	# two members, then bytes that are not gzip (both readers stop there)
	head -c 300000 "$t/bb.tar" | gzip -1 >"$t/multi.gz"
	tail -c +300001 "$t/bb.tar" | gzip -9 >>"$t/multi.gz"
	printf '\0\0\0\0trailing' >>"$t/multi.gz"
	# the diff_id is the sha256 of the uncompressed bytes, whoever inflated them
	local want tags=()
	want="sha256:$(gzip -dc "$t/multi.gz" 2>/dev/null | sha256sum | cut -d' ' -f1)"
	for mode in "${modes[@]}"; do
		run -0 env HUSK_INFLATE="$mode" "$HUSK" import "$t/multi.gz" "bb:$mode"
		[ "$(jq -r '.[0].config.rootfs.diff_ids[0]' <<<"$("$HUSK" image inspect "bb:$mode")")" = "$want" ]
		tags+=("bb:$mode")
	done
	[[ $(find "$HUSK_IMAGE_ROOT/layers" -mindepth 1 -maxdepth 1 -type d | wc -l) == 1 ]]
	run -0 "$HUSK" rmi "${tags[@]}"
	store_is_empty
	# a CRC that does not match: refused by both, nothing stored
	gzip -c "$t/bb.tar" >"$t/crc.gz"
	size=$(stat -c %s "$t/crc.gz")
	printf '\xff\xff\xff\xff' | dd of="$t/crc.gz" bs=1 seek=$((size - 8)) conv=notrunc status=none
	for mode in "${crc_modes[@]}"; do
		run -125 env HUSK_INFLATE="$mode" "$HUSK" import "$t/crc.gz" bb:bad
		[[ $output == "husk: "*"gzip stream: its CRC or size does not match" ]]
		store_is_empty
	done
	# (libarchive's gzip reader does not check the CRC; with it, only a digest does)
	# a stream cut short: refused by all three
	head -c $((size / 2)) "$t/crc.gz" >"$t/cut.gz"
	for mode in "${modes[@]}"; do
		run -125 env HUSK_INFLATE="$mode" "$HUSK" import "$t/cut.gz" bb:bad
		store_is_empty
	done
}

@test "import, load, pull: an unknown HUSK_INFLATE is refused in one line, 125, before the store is touched" {
	busybox_tar "$BATS_TEST_TMPDIR/bb.tar"
	for cmd in "import $BATS_TEST_TMPDIR/bb.tar bb:x" "load -i $BATS_TEST_TMPDIR/bb.tar" "pull --insecure 127.0.0.1:9/x"; do
		# shellcheck disable=SC2086 # the command's words
		run -125 --separate-stderr env HUSK_INFLATE=gzip "$HUSK" $cmd
		[ "$stderr" = "husk: invalid HUSK_INFLATE 'gzip': expected isal, zlib or libarchive" ]
		[ ! -e "$HUSK_IMAGE_ROOT" ] || store_is_empty
	done
	run -0 --separate-stderr env HUSK_INFLATE=gzip "$HUSK" check
	[[ $output == *"warn gzip layers"*"invalid HUSK_INFLATE 'gzip'"* ]]
}

@test "run IMAGE: on an overlay; a write in one container is seen neither in another nor in the image" {
	import_busybox bb:1 >/dev/null
	layer=$(find "$HUSK_IMAGE_ROOT/layers" -mindepth 1 -maxdepth 1 -type d)
	a=$(cname a)
	run -0 "$HUSK" run -d --name "$a" --network none bb:1 \
		sh -c 'echo from-a > /etc/written; rm /etc/passwd; exec sleep 600'
	wait_running "$a"
	wait_for 10 "a's write" "$HUSK" exec "$a" test -f /etc/written
	run -0 "$HUSK" exec "$a" sh -c 'grep " / " /proc/self/mountinfo'
	[[ $output == *" / "*overlay* ]]
	run -0 "$HUSK" ps
	[[ $output == *"$a"*bb:1* ]]
	run -0 "$HUSK" inspect "$a"
	[[ $(jq -r '.[0].image' <<<"$output") == bb:1 ]]
	# another container of the image sees the image, not a's changes
	run -0 "$HUSK" run --rm --network none bb:1 sh -c 'cat /etc/written 2>&1; test -f /etc/passwd && echo passwd-here'
	[[ $output == *"No such file"* && $output == *passwd-here* ]]
	# the image's layer is untouched; a's upper dir holds its write and the whiteout
	[[ ! -e $layer/etc/written && -f $layer/etc/passwd ]]
	upper=$HUSK_STATE_ROOT/$a/layer/upper
	[[ $(cat "$upper/etc/written") == from-a ]]
	[[ -c $upper/etc/passwd ]]
	# that writable layer is on disk in the store, not on the state root (a tmpfs of
	# 10% of RAM on Debian): the state dir links to it
	[[ $(readlink "$HUSK_STATE_ROOT/$a/layer") == "$HUSK_IMAGE_ROOT/containers/$a-"* ]]
	[[ $(stat -f -c %T "$(readlink "$HUSK_STATE_ROOT/$a/layer")") == "$(stat -f -c %T "$HUSK_IMAGE_ROOT")" ]]
	run -0 "$HUSK" rm -f "$a"
	[[ ! -e $HUSK_STATE_ROOT/$a ]]
	[ -z "$(ls -A "$HUSK_IMAGE_ROOT/containers")" ]
	# no overlay of it stays mounted anywhere on the host
	run ! grep -q "$a" /proc/self/mountinfo
}

@test "run IMAGE: a foreground container's upper dir goes with it" {
	import_busybox bb:1 >/dev/null
	n=$(cname fg)
	run -0 "$HUSK" run --name "$n" --network none bb:1 sh -c 'echo x > /new; cat /new'
	[[ $output == x ]]
	[[ ! -e $HUSK_STATE_ROOT/$n ]]
	run -0 "$HUSK" run --network none bb:1 sh -c 'test ! -e /new && echo clean'
	[[ $output == clean ]]
}

@test "run IMAGE: a writable layer whose state dir is gone (a reboot, a crash) is removed by the next run and by image prune" {
	import_busybox bb:1 >/dev/null
	mkdir -p "$HUSK_IMAGE_ROOT/containers/gone-1/upper" "$HUSK_IMAGE_ROOT/containers/gone-2/upper"
	echo data >"$HUSK_IMAGE_ROOT/containers/gone-1/upper/f"
	ln -s "$HUSK_STATE_ROOT/no-such" "$HUSK_IMAGE_ROOT/containers/gone-1/state"
	ln -s "$HUSK_STATE_ROOT/no-such-2" "$HUSK_IMAGE_ROOT/containers/gone-2/state"
	# a directory without the link back is not husk's to judge: kept
	mkdir -p "$HUSK_IMAGE_ROOT/containers/not-ours"
	run -0 "$HUSK" run --rm --network none bb:1 true
	[ ! -e "$HUSK_IMAGE_ROOT/containers/gone-1" ] && [ ! -e "$HUSK_IMAGE_ROOT/containers/gone-2" ]
	[ -d "$HUSK_IMAGE_ROOT/containers/not-ours" ]
	mkdir -p "$HUSK_IMAGE_ROOT/containers/gone-3"
	ln -s "$HUSK_STATE_ROOT/no-such-3" "$HUSK_IMAGE_ROOT/containers/gone-3/state"
	run -0 "$HUSK" image prune
	[ ! -e "$HUSK_IMAGE_ROOT/containers/gone-3" ]
	rmdir "$HUSK_IMAGE_ROOT/containers/not-ours"
}

@test "run IMAGE: orphaned layers are looked for once per state root, not at every start; the root goes whole with its last container" {
	import_busybox bb:1 >/dev/null
	n=$(cname keep)
	run -0 "$HUSK" run -d --name "$n" --network none bb:1 sleep 600
	[ -s "$HUSK_STATE_ROOT/.layers-gc" ]
	mkdir -p "$HUSK_IMAGE_ROOT/containers/gone-4"
	ln -s "$HUSK_STATE_ROOT/no-such-4" "$HUSK_IMAGE_ROOT/containers/gone-4/state"
	# this state root was looked at by the run above: the next start reads no layer
	run -0 "$HUSK" run --rm --network none bb:1 true
	[ -d "$HUSK_IMAGE_ROOT/containers/gone-4" ]
	# another layer root is looked at once, when first used from here
	mkdir -p "$BATS_TEST_TMPDIR/store2/containers/gone-5"
	ln -s "$HUSK_STATE_ROOT/no-such-5" "$BATS_TEST_TMPDIR/store2/containers/gone-5/state"
	run -0 "$HUSK" --image-root "$BATS_TEST_TMPDIR/store2" import "$BATS_TEST_TMPDIR/bb.tar" bb2:1
	run -0 "$HUSK" --image-root "$BATS_TEST_TMPDIR/store2" run --rm --network none bb2:1 true
	[ ! -e "$BATS_TEST_TMPDIR/store2/containers/gone-5" ]
	run -0 "$HUSK" image prune
	[ ! -e "$HUSK_IMAGE_ROOT/containers/gone-4" ]
	run -0 "$HUSK" rm -f "$n"
	[ ! -e "$HUSK_STATE_ROOT" ]
	# a state root made anew (the last container went, or a reboot) looks again
	mkdir -p "$HUSK_IMAGE_ROOT/containers/gone-6"
	ln -s "$HUSK_STATE_ROOT/no-such-6" "$HUSK_IMAGE_ROOT/containers/gone-6/state"
	run -0 "$HUSK" run --rm --network none bb:1 true
	[ ! -e "$HUSK_IMAGE_ROOT/containers/gone-6" ]
	[ ! -e "$HUSK_STATE_ROOT" ]
}

@test "run -d --restart IMAGE: each restart mounts the same writable layer again (its writes stay)" {
	import_busybox bb:1 >/dev/null
	n=$(cname rs)
	run -0 "$HUSK" run -d --name "$n" --restart on-failure:2 --network none bb:1 \
		sh -c 'echo run >> /runs; wc -l < /runs; exit 3'
	wait_for 20 "three runs of $n" eval '[ "$("$HUSK" logs "$n" 2>/dev/null | tail -n1)" = 3 ]'
	wait_for 10 "$n to stop" eval '"$HUSK" ps -a | grep "$n" | grep -q "exited (3)"'
	run -0 "$HUSK" logs "$n"
	[ "$(echo "$output" | tr '\n' ' ')" = "1 2 3 " ]
	run -0 "$HUSK" rm "$n"
	[ -z "$(ls -A "$HUSK_IMAGE_ROOT/containers")" ]
}

@test "run --overlay DIR: the directory gets a copy-on-write layer and is never written" {
	d=$(rootfs_copy)
	run -0 "$HUSK" run --overlay --network none "$d" sh -c 'echo w > /written-by-ctr; rm /bin/ls; cat /written-by-ctr'
	[[ $output == w ]]
	[[ ! -e $d/written-by-ctr && -e $d/bin/ls ]]
	# without --overlay a directory is still used in place
	run -0 "$HUSK" run --network none "$d" sh -c 'echo w > /in-place'
	[[ -f $d/in-place ]]
}

@test "run IMAGE: -e, -w, -u and a command override the image; --entrypoint replaces" {
	import_busybox bb:1 >/dev/null
	run -0 "$HUSK" run --network none -e FOO=bar -w /tmp -u 1:1 bb:1 sh -c 'echo $FOO $(pwd) $(id -u):$(id -g) $PATH'
	[[ $output == "bar /tmp 1:1 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]]
	run -0 "$HUSK" run --network none --entrypoint /bin/echo bb:1 hello
	[[ $output == hello ]]
	run -125 "$HUSK" run --network none no-such-image:1 true
	[[ $output == "husk: no such image: no-such-image:1 (and it is not a directory)" ]]
}

@test "rmi: refused while a container uses the image, unless -f; prune removes unused layers" {
	import_busybox bb:1 >/dev/null
	n=$(cname rmi)
	run -0 "$HUSK" run -d --name "$n" --network none bb:1 sleep 600
	wait_running "$n"
	run -125 "$HUSK" rmi bb:1
	[[ $output == "husk: image bb:1 is in use by container $n (husk rm it first, or husk rmi -f)" ]]
	run -0 "$HUSK" images --format json
	[[ $(jq length <<<"$output") == 1 ]]
	# -f: the name and record go; the layer stays while the container runs on it
	run -0 "$HUSK" rmi -f bb:1
	[[ $output == *"Untagged: bb:1"*Deleted:* ]]
	[[ $(find "$HUSK_IMAGE_ROOT/layers" -mindepth 1 -maxdepth 1 -type d | wc -l) == 1 ]]
	run -0 "$HUSK" image prune
	[[ $output == "Deleted layers: 0"* ]]
	"$HUSK" exec "$n" true
	run -0 "$HUSK" rm -f "$n"
	run -0 "$HUSK" image prune
	[[ $output == "Deleted layers: 1"* ]]
	store_is_empty
}

@test "rmi: one of two tags only untags; the last removes the image and its layer" {
	import_busybox bb:1 >/dev/null
	run -0 "$HUSK" tag bb:1 bb:2
	run -0 "$HUSK" rmi bb:1
	[[ $output == "Untagged: bb:1" ]]
	run -0 "$HUSK" run --rm --network none bb:2 true
	run -0 "$HUSK" rmi bb:2
	[[ $output == *"Untagged: bb:2"*"Deleted: sha256:"* ]]
	store_is_empty
	run -125 "$HUSK" rmi bb:2
}

# hostile CASE: the archive is refused naming the entry, and nothing of it is
# written: not outside, not in the store
hostile() {
	local out=$BATS_TEST_TMPDIR/outside
	mkdir -p "$out"
	echo victim >"$out/victim"
	python3 "$BATS_TEST_DIRNAME/hostile-tar.py" "$1" "$BATS_TEST_TMPDIR/evil.tar" "$out"
	run -125 --separate-stderr "$HUSK" import "$BATS_TEST_TMPDIR/evil.tar" evil:1
	[[ $stderr == "husk: refusing layer entry '$2"* ]] || fail "$1: $stderr"
	[[ $(ls "$out") == victim && $(cat "$out/victim") == victim ]]
	store_is_empty
	run -0 "$HUSK" images --format json
	[[ $(jq length <<<"$output") == 0 ]]
}

@test "hostile archives: absolute names and .. are refused, nothing written" {
	hostile absolute "$BATS_TEST_TMPDIR/outside/pwned"
	hostile dotdot "a/../"
}

@test "hostile archives: a path through a symlink, a symlink out, a symlink replaced by a directory" {
	hostile symlink "lnk/pwned': its path goes through a symlink"
	hostile relsymlink "up': symlink target leads out of the layer"
	hostile symlink-then-dir "d/': a directory replaces a symlink"
}

@test "hostile archives: hard links to names outside the layer" {
	hostile hardlink "hl': hard link target leads out of the layer"
	hostile hardlink-dotdot "hl': hard link target leads out of the layer"
}

# a layer member of a docker-save archive: the one holding PATH
layer_with() {
	local f
	for f in $(tar tf "$1" | grep -E '^[0-9a-f]{64}\.tar$'); do
		if tar xOf "$1" "$f" | tar t | grep -qxE "(\./)?$2"; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

@test "load: podman's docker-archive, oci-archive and skopeo's oci-archive; the config applies" {
	run -0 "$HUSK" load -i "$ARCH/bb1-docker.tar"
	[[ $output =~ ^"Loaded image: localhost/bb:1 (sha256:"[0-9a-f]{64}")"$ ]]
	id=${output##*(}
	id=${id%)}
	run -0 "$HUSK" load -i "$ARCH/bb1-oci.tar"
	[[ $output == "Loaded image: localhost/bb:1 ($id)" ]]
	run -0 "$HUSK" load <"$ARCH/bb1-skopeo.tar"
	[[ $output == "Loaded image: bb:sk ($id)" ]]
	# one image (the config's digest), one layer, whatever the archive
	[[ $(find "$HUSK_IMAGE_ROOT/images" -name '*.json' | wc -l) == 1 ]]
	[[ $(find "$HUSK_IMAGE_ROOT/layers" -mindepth 1 -maxdepth 1 -type d | wc -l) == 1 ]]
	[[ -z $(ls "$HUSK_IMAGE_ROOT/tmp") ]]
	# Cmd, Env and WorkingDir from the image; a command, -e and -w win over them
	run -0 "$HUSK" run --rm --network none bb:1
	[[ $output == from-cmd ]]
	run -0 "$HUSK" run --rm --network none bb:sk sh -c 'echo $FOO $(pwd)'
	[[ $output == "img /tmp" ]]
	run -0 "$HUSK" run --rm --network none -e FOO=cli -w / bb:sk sh -c 'echo $FOO $(pwd)'
	[[ $output == "cli /" ]]
	# gzip'ed whole, from stdin
	gzip -c "$ARCH/bb1-docker.tar" | "$HUSK" load -q | grep -qx "$id"
}

@test "load: a multi-layer image whose upper layer deletes a file and replaces a directory" {
	l=$(layer_with "$ARCH/bb2-docker.tar" usr/.wh..wh..opq) || fail "buildah made no opaque dir"
	tar xOf "$ARCH/bb2-docker.tar" "$l" | tar t | grep -qxE '(\./)?etc/\.wh\.group'
	run -0 "$HUSK" load -i "$ARCH/bb2-docker.tar"
	run -0 "$HUSK" run --rm --network none localhost/bb:2 sh -c \
		'ls /usr; cat /usr/share/marker; test -e /etc/group || echo no-group; test -e /etc/passwd && echo passwd'
	[[ $output == $'share\nreplaced\nno-group\npasswd' ]]
	# under --userns auto (each layer idmapped under the overlay): the whiteout and the
	# opaque dir still hold, and the files are the container root's
	run -0 "$HUSK" run --rm --network none --userns auto localhost/bb:2 sh -c \
		'ls /usr; cat /usr/share/marker; test -e /etc/group || echo no-group; stat -c %u:%g /usr/share/marker; cat /proc/self/uid_map'
	[[ $output == $'share\nreplaced\nno-group\n0:0\n'* ]]
	[[ $(tail -1 <<<"$output" | awk '{ print $2 }') -gt 0 ]]
	# in the store: a whiteout device and the opaque xattr
	top=$(jq -r '.[0].layers[1]' <<<"$("$HUSK" image inspect localhost/bb:2)")
	top=$HUSK_IMAGE_ROOT/layers/${top#sha256:}
	[[ -c $top/etc/group && $(stat -c %t:%T "$top/etc/group") == 0:0 ]]
	python3 -c 'import os,sys; sys.exit(os.getxattr(sys.argv[1], "trusted.overlay.opaque") != b"y")' "$top/usr"
	# zstd layers (skopeo), the same image
	run -0 "$HUSK" load -i "$ARCH/bb2-zstd.tar"
	run -0 "$HUSK" run --rm --network none bb:zstd ls /usr
	[[ $output == share ]]
}

@test "load: a layer whose content does not match its diff_id or digest stores nothing" {
	x=$BATS_TEST_TMPDIR/x
	mkdir -p "$x"
	tar -C "$x" -xf "$ARCH/bb1-docker.tar"
	l=$(layer_with "$ARCH/bb1-docker.tar" bin/busybox)
	echo tampered >"$BATS_TEST_TMPDIR/extra"
	tar -C "$BATS_TEST_TMPDIR" -rf "$x/$l" extra
	tar -C "$x" -cf "$BATS_TEST_TMPDIR/bad.tar" .
	run -125 "$HUSK" load -i "$BATS_TEST_TMPDIR/bad.tar"
	[[ $output == "husk: layer 1: its content has diff_id sha256:"*", the config says sha256:"* ]]
	store_is_empty
	# a config that is not the one its name (its digest) says: another Env
	tar -C "$x" -xf "$ARCH/bb1-docker.tar" "$l"
	c=$(find "$x" -maxdepth 1 -name '*.json' ! -name manifest.json)
	sed -i 's/FOO=img/FOO=evil/' "$c"
	tar -C "$x" -cf "$BATS_TEST_TMPDIR/bad-config.tar" .
	run -125 "$HUSK" load -i "$BATS_TEST_TMPDIR/bad-config.tar"
	[[ $output == "husk: load: config sha256:"*": its content has digest sha256:"* ]]
	store_is_empty
	# OCI: a blob whose bytes are not its name's digest
	o=$BATS_TEST_TMPDIR/o
	mkdir -p "$o"
	tar -C "$o" -xf "$ARCH/bb1-oci.tar"
	b=$(find "$o/blobs/sha256" -type f -size +100k)
	gzip -dc "$b" | gzip -1 >"$b.new"
	mv "$b.new" "$b"
	tar -C "$o" -cf "$BATS_TEST_TMPDIR/bad-oci.tar" .
	run -125 "$HUSK" load -i "$BATS_TEST_TMPDIR/bad-oci.tar"
	[[ $output == "husk: load: layer sha256:"*": its content has digest sha256:"* ]]
	store_is_empty
}

@test "load: a hostile layer inside an archive is refused; an interrupted load leaves nothing usable" {
	x=$BATS_TEST_TMPDIR/x
	mkdir -p "$x"
	tar -C "$x" -xf "$ARCH/bb1-docker.tar"
	l=$(layer_with "$ARCH/bb1-docker.tar" bin/busybox)
	mkdir -p "$BATS_TEST_TMPDIR/outside"
	python3 "$BATS_TEST_DIRNAME/hostile-tar.py" symlink "$x/$l" "$BATS_TEST_TMPDIR/outside"
	tar -C "$x" -cf "$BATS_TEST_TMPDIR/evil.tar" .
	run -125 "$HUSK" load -i "$BATS_TEST_TMPDIR/evil.tar"
	[[ $output == "husk: refusing layer entry 'lnk/pwned': its path goes through a symlink" ]]
	[[ -z $(ls "$BATS_TEST_TMPDIR/outside") ]]
	store_is_empty
	# a load killed half-way: its staging dir is the only trace, and the next husk
	# that opens the store for writing removes it
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	"$HUSK" load -i "$BATS_TEST_TMPDIR/fifo" 2>/dev/null &
	pid=$!
	exec 7>"$BATS_TEST_TMPDIR/fifo"
	head -c 1500000 "$ARCH/bb1-docker.tar" >&7
	wait_for 10 "a staging dir" eval '[[ -n $(ls "$HUSK_IMAGE_ROOT/tmp" 2>/dev/null) ]]'
	kill -9 "$pid"
	wait "$pid" || true
	exec 7>&-
	[[ -z $(find "$HUSK_IMAGE_ROOT/layers" "$HUSK_IMAGE_ROOT/images" -mindepth 1) ]]
	run -125 "$HUSK" run --network none localhost/bb:1 true
	run -0 "$HUSK" load -i "$ARCH/bb1-skopeo.tar"
	[[ -z $(find "$HUSK_IMAGE_ROOT/tmp" -mindepth 1) ]]
}

@test "pull: from a local registry (pushed by skopeo); a second pull downloads no layer" {
	reg=127.0.0.1:$REG_PORT
	run -0 "$HUSK" pull --insecure "$reg/test/bb:2"
	[[ $(grep -c ': pulled$' <<<"$output") == 2 ]]
	[[ ${lines[-1]} == "Pulled: $reg/test/bb:2 (sha256:"* ]]
	run -0 "$HUSK" run --rm --network none "$reg/test/bb:2" sh -c 'ls /usr; test -e /etc/group || echo no-group'
	[[ $output == $'share\nno-group' ]]
	blob_gets() { grep -c 'GET /v2/test/bb/blobs/' "$REG_LOG" || true; }
	before=$(blob_gets)
	# again, over plain http: every layer is in the store already
	run -0 "$HUSK" pull "http://$reg/test/bb:2"
	[[ $(grep -c ': already exists$' <<<"$output") == 2 ]]
	[[ $(grep -c ': pulled$' <<<"$output") == 0 ]]
	after=$(blob_gets)
	# the config blob only
	((after - before == 1)) || fail "blob GETs went from $before to $after"
	# the image loaded from an archive is the same image: its layers are reused too
	run -0 "$HUSK" load -i "$ARCH/bb2-zstd.tar"
	[[ $(find "$HUSK_IMAGE_ROOT/layers" -mindepth 1 -maxdepth 1 -type d | wc -l) == 2 ]]
}

@test "pull: a multi-arch index gives its linux/amd64 image" {
	run -0 "$HUSK" pull -q --insecure "127.0.0.1:$REG_PORT/test/multi:1"
	[[ $output =~ ^sha256:[0-9a-f]{64}$ ]]
	run -0 "$HUSK" run --rm --network none "127.0.0.1:$REG_PORT/test/multi:1" ls /usr
	[[ $output == share ]]
}

@test "pull: an unknown tag, no registry, a layer tampered with in the registry: refused, nothing stored" {
	run -125 "$HUSK" pull --insecure "127.0.0.1:$REG_PORT/test/bb:nope"
	[[ $output == "husk: GET http://127.0.0.1:$REG_PORT/v2/test/bb/manifests/nope: HTTP 404"* ]]
	run -125 "$HUSK" pull --insecure "127.0.0.1:1/test/bb:2"
	[[ $output == "husk: GET https://127.0.0.1:1/v2/test/bb/manifests/2: "* ]]
	store_is_empty
	# the registry's file of the layer now holds other (well-formed) bytes
	m=$(curl -fs -H 'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' \
		"http://127.0.0.1:$REG_PORT/v2/test/tamper/manifests/1")
	layer=$(jq -r '.layers[0].digest' <<<"$m")
	hex=${layer#sha256:}
	f=$REG_DATA/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
	[[ -f $f ]]
	gzip -dc "$f" | gzip -1 >"$f.new"
	mv "$f.new" "$f"
	run -125 "$HUSK" pull --insecure "127.0.0.1:$REG_PORT/test/tamper:1"
	[[ $output == "husk: pull: layer $layer: its content has digest sha256:"* ]]
	store_is_empty
}

@test "concurrent husks: four loads and two imports at once leave a consistent store" {
	busybox_tar "$BATS_TEST_TMPDIR/bb.tar"
	pids=()
	for i in 1 2 3 4; do
		"$HUSK" load -q -i "$ARCH/bb2-docker.tar" >"$BATS_TEST_TMPDIR/load$i.out" 2>&1 &
		pids+=($!)
	done
	for i in 1 2; do
		"$HUSK" import "$BATS_TEST_TMPDIR/bb.tar" "imp:$i" >"$BATS_TEST_TMPDIR/imp$i.out" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "a husk failed: $(cat "$BATS_TEST_TMPDIR"/*.out)"
	done
	# the same image id from every load; bb:1's layer shared by the imports
	[[ $(sort -u "$BATS_TEST_TMPDIR"/load*.out | wc -l) == 1 ]]
	[[ $(find "$HUSK_IMAGE_ROOT/layers" -mindepth 1 -maxdepth 1 -type d | wc -l) == 2 ]]
	[[ -z $(find "$HUSK_IMAGE_ROOT/tmp" -mindepth 1) ]]
	# an import's config has the time: two imports are one image or two
	n=$((1 + $(sort -u "$BATS_TEST_TMPDIR"/imp*.out | wc -l)))
	[[ $(find "$HUSK_IMAGE_ROOT/images" -name '*.json' | wc -l) == "$n" ]]
	run -0 "$HUSK" images --format json
	[[ $(jq length <<<"$output") == 3 ]]
	run -0 "$HUSK" run --rm --network none imp:2 /bin/busybox true
	run -0 "$HUSK" run --rm --network none localhost/bb:2 ls /usr
	[[ $output == share ]]
}

@test "scripts/build-rootfs.sh --tar output is importable" {
	run -0 "$HUSK_SRC/scripts/build-rootfs.sh" "$BATS_TEST_TMPDIR/rootfs" --method busybox \
		--tar "$BATS_TEST_TMPDIR/rootfs.tar.gz"
	run -0 "$HUSK" import "$BATS_TEST_TMPDIR/rootfs.tar.gz" built:1
	run -0 "$HUSK" run --rm --network none built:1 sh -c 'echo ok; id -u'
	[[ $output == $'ok\n0' ]]
}

@test "120 layers: more lowerdirs than one mount option string holds; the mount(2) fallback" {
	BUSYBOX=$R/bin/busybox python3 "$BATS_TEST_DIRNAME/many-layers.py" 120 "$BATS_TEST_TMPDIR/many.tar"
	run -0 "$HUSK" load -i "$BATS_TEST_TMPDIR/many.tar"
	# 120 lowerdirs of ~100 bytes each: far past a page; fsconfig's lowerdir+ adds them one by one
	run -0 "$HUSK" run --rm --network none many:120
	[[ $output == 120 ]]
	run -0 "$HUSK" run --rm --network none many:120 cat /layers/0 /layers/119
	[[ $output == $'0\n119' ]]
	# kernels before 6.8: mount(2) with names relative to the layers' directory (as
	# containerd does) fits 50 layers; 120 do not, and the error says so
	BUSYBOX=$R/bin/busybox python3 "$BATS_TEST_DIRNAME/many-layers.py" 50 "$BATS_TEST_TMPDIR/many50.tar"
	run -0 "$HUSK" load -i "$BATS_TEST_TMPDIR/many50.tar"
	HUSK_OVERLAY_MOUNT=legacy run -0 "$HUSK" run --rm --network none many:50
	[[ $output == 50 ]]
	HUSK_OVERLAY_MOUNT=legacy run -125 "$HUSK" run --rm --network none many:120
	[[ $output == *"120 layers do not fit in one mount option string"* ]]
}

# dockerd of this test's own: a scratch network and mount namespace, private data and
# exec roots, pidfile and socket, no iptables and no bridge; stopped by the test
dockerd_start() {
	local d=$BATS_TEST_TMPDIR/docker
	mkdir -p "$d"
	export DOCKER_HOST=unix://$d/docker.sock
	unshare --net --mount --propagation private -- sh -c 'mount -t tmpfs tmpfs /run &&
		ip link set lo up && exec "$@"' dockerd dockerd --data-root "$d/data" \
		--exec-root "$d/exec" --pidfile "$d/docker.pid" -H "$DOCKER_HOST" \
		--iptables=false --ip6tables=false --bridge=none >"$d/log" 2>&1 3>&- </dev/null &
	DOCKERD_PID=$!
	wait_for 60 "dockerd" docker info
}

dockerd_stop() {
	[[ -n ${DOCKERD_PID:-} ]] || return 0
	stop_pid "$DOCKERD_PID" 30 "dockerd to stop"
	DOCKERD_PID=
}

@test "load: docker save of an image made by docker import" {
	command -v dockerd >/dev/null || skip "no dockerd"
	busybox_tar "$BATS_TEST_TMPDIR/bb.tar"
	dockerd_start || { dockerd_stop; fail "dockerd did not start: $(tail -5 "$BATS_TEST_TMPDIR/docker/log")"; }
	docker import -c 'CMD ["/bin/sh", "-c", "echo from-docker"]' "$BATS_TEST_TMPDIR/bb.tar" dk/bb:1 >/dev/null &&
		docker save -o "$BATS_TEST_TMPDIR/dk.tar" dk/bb:1
	local rc=$?
	dockerd_stop
	((rc == 0)) || fail "docker import/save failed"
	run -0 "$HUSK" load -i "$BATS_TEST_TMPDIR/dk.tar"
	[[ $output == "Loaded image: dk/bb:1 (sha256:"* ]]
	run -0 "$HUSK" run --rm --network none dk/bb:1
	[[ $output == from-docker ]]
}
