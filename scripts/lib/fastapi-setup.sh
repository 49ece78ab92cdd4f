# shellcheck shell=bash
# scripts/lib/fastapi-setup.sh — run-fastapi.sh's `setup`: the husk binary, the host
# check, the root filesystem, the app, the image. Sourced by run-fastapi.sh, not run:
# that script defines the settings (HUSK, ROOTFS, USE_IMAGE, METHOD ...), log, note
# and need_root; scripts/lib/common.sh defines die and ensure_packages.

# A rootfs that build-rootfs.sh finished: its marker says state=complete.
rootfs_ready() {
	local line
	[[ -x $ROOTFS/usr/bin/python3 && -r $ROOTFS/.husk-rootfs ]] || return 1
	while IFS= read -r line; do
		[[ $line != state=complete ]] || return 0
	done <"$ROOTFS/.husk-rootfs"
	return 1
}

build_husk() {
	if [[ -x $HUSK ]]; then
		note "husk: $HUSK ($("$HUSK" --version 2>/dev/null | sed -n 1p || echo 'version unknown'))"
		return 0
	fi
	[[ $HUSK == "$ROOT/build/husk" ]] || die "HUSK=$HUSK is not an executable"
	log "building husk (meson setup build && ninja -C build)"
	ensure_packages meson ninja-build pkg-config gcc libc6-dev libseccomp-dev libcap-dev \
		libmnl-dev libjson-c-dev libarchive-dev libcurl4-openssl-dev libssl-dev libisal-dev \
		zlib1g-dev
	[[ -f $ROOT/build/build.ninja ]] || meson setup "$ROOT/build" "$ROOT"
	ninja -C "$ROOT/build" husk
}

cmd_setup() {
	need_root setup
	log "setup 1/5: the husk binary"
	build_husk

	# husk check probes each kernel feature the container needs: the cgroup
	# hierarchy (v1, v2 or hybrid) and its controllers, the namespace types,
	# seccomp, nftables, veth. A "fail" line means the run would not work.
	log "setup 2/5: host check (husk check)"
	local report
	report=$("$HUSK" check 2>&1) || { printf '%s\n' "$report" >&2; die "husk check failed on this host"; }
	# shellcheck disable=SC2001
	sed 's/^/    /' <<<"$report" >&2

	# The root filesystem: the directory that becomes / in the container through
	# pivot_root(2). debootstrap lays out a Debian minbase with Python, FastAPI and
	# uvicorn from Debian's archive; --method copy copies the host's own files.
	log "setup 3/5: root filesystem in $ROOTFS"
	if rootfs_ready && [[ -z $METHOD ]]; then
		note "ready ($(sed -n 's/^method=//p' "$ROOTFS/.husk-rootfs") rootfs built $(sed -n 's/^date=//p' "$ROOTFS/.husk-rootfs"))"
	else
		"$ROOT/scripts/build-rootfs.sh" "$ROOTFS" --method "${METHOD:-debootstrap}"
	fi

	# The app is not copied in: run bind-mounts app/ read-only at /app (mount(2)
	# with MS_BIND, then a remount with MS_RDONLY), so edits on the host show up at
	# the next run and the container cannot change them.
	log "setup 4/5: the app"
	[[ -f $APP_DIR/main.py ]] || die "$APP_DIR/main.py is missing"
	[[ -d $ROOTFS/app ]] || mkdir "$ROOTFS/app"
	mkdir -p "$LOG_DIR"
	note "$APP_DIR will be mounted read-only at /app; logs go to $LOG_DIR"

	# The image: the rootfs packed by tar and unpacked once into husk's store as
	# one layer (sha256-verified), which every run mounts read-only as the lowerdir
	# of an overlayfs with an upper dir of its own.
	log "setup 5/5: the image"
	if ((!USE_IMAGE)); then
		note "--no-image: the rootfs runs in place"
	elif image_ready; then
		note "ready: $IMAGE"
	else
		note "tar -C $ROOTFS -cf - . | husk import - $IMAGE"
		tar -C "$ROOTFS" --numeric-owner --one-file-system -cf - . |
			"$HUSK" import - "$IMAGE" >/dev/null || die "husk import of $ROOTFS failed"
		note "imported: $IMAGE"
	fi
}

# The image's name: the rootfs's path and marker (its build date) hashed, so that
# a rebuilt rootfs is imported again.
image_name() {
	local stamp
	stamp=$( { echo "$ROOTFS"; cat "$ROOTFS/.husk-rootfs" 2>/dev/null; } | sha256sum)
	IMAGE=localhost/husk-fastapi:${stamp:0:12}
}

image_ready() {
	((USE_IMAGE)) || return 0
	image_name
	"$HUSK" image inspect "$IMAGE" >/dev/null 2>&1
}
