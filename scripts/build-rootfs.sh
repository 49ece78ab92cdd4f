#!/usr/bin/env bash
# build-rootfs.sh — make a root filesystem for husk containers.
#
#   scripts/build-rootfs.sh DIR [--method debootstrap|copy|busybox] [--tar FILE] [--force]
#
#   debootstrap (default)  Debian minbase + python3-fastapi + python3-uvicorn
#                          (the matching Ubuntu suite on an Ubuntu host)
#   copy                   the tutorials' manual way: /usr/bin/python3, every library
#                          ldd reports, the standard library, and the app's Python
#                          packages taken from the host's Debian packages
#   busybox                a tiny static shell rootfs for experiments and tests
#
# A rootfs this script made carries DIR/.husk-rootfs (method, date, state). Running
# the script again on a complete rootfs of the same method does nothing; a directory
# that is not empty and has no marker is never touched.
set -Eeuo pipefail

readonly MARKER=.husk-rootfs
PROG=$(basename "$0")
readonly PROG

trap 'printf "%s: failed at line %s: %s\n" "$PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

usage() {
	cat <<EOF
usage: $PROG DIR [--method debootstrap|copy|busybox] [--tar FILE] [--force]

Build a root filesystem for husk in DIR.
  --method M   debootstrap (default): Debian minbase + python3-fastapi + uvicorn
               copy: /usr/bin/python3 + its libraries + stdlib + the app's packages
               busybox: a tiny static busybox shell rootfs
  --tar FILE   also pack the result into FILE (compression from the extension)
  --force      rebuild even if DIR already holds a complete rootfs made by this script
  -h, --help   this text

DIR must be missing, empty, or a rootfs this script made (it has $MARKER).
EOF
}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

need_root() {
	[[ $EUID -eq 0 ]] || die "$1 needs root (try: sudo $PROG ...)"
}

# Install Debian packages that are missing (dpkg-query knows what is installed).
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	need_root "installing ${missing[*]}"
	log "installing missing packages: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update -q >&2 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
}

marker_get() { # marker_get KEY -> value from DIR/.husk-rootfs
	sed -n "s/^$1=//p" "$ROOTFS/$MARKER" 2>/dev/null | head -n1
}

write_marker() { # write_marker STATE
	printf 'method=%s\ndate=%s\nstate=%s\nbuilder=%s\n' \
		"$METHOD" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$PROG" >"$ROOTFS/$MARKER"
}

# Decide whether DIR may be (re)built. Returns 1 when there is nothing to do.
prepare_dir() {
	if [[ -e $ROOTFS && ! -d $ROOTFS ]]; then
		die "$ROOTFS exists and is not a directory"
	fi
	if [[ -f $ROOTFS/$MARKER ]]; then
		local m s
		m=$(marker_get method)
		s=$(marker_get state)
		if [[ $s == complete && $m == "$METHOD" && $FORCE -eq 0 ]]; then
			log "$ROOTFS already holds a complete $METHOD rootfs (built $(marker_get date)); nothing to do"
			return 1
		fi
		if [[ $s == complete && $m != "$METHOD" && $FORCE -eq 0 ]]; then
			die "$ROOTFS holds a $m rootfs, not $METHOD; use --force to replace it"
		fi
		log "removing the earlier ${s:-unknown} $m rootfs in $ROOTFS"
		wipe_dir "$ROOTFS"
	elif [[ -d $ROOTFS ]] && [[ -n $(ls -A "$ROOTFS") ]]; then
		die "$ROOTFS is not empty and was not made by $PROG (no $MARKER); refusing to touch it"
	fi
	mkdir -p "$ROOTFS"
	return 0
}

# Empty a directory we made, without crossing into anything mounted inside it
# (a crashed container could have left a mount behind).
wipe_dir() {
	local dir=$1
	if findmnt -rn -o TARGET | grep -qF -- "$(realpath "$dir")/"; then
		die "something is still mounted under $dir; unmount it first (see: findmnt -R $dir)"
	fi
	find "$dir" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +
}

# The skeleton every method shares: the directories the runtime mounts over and
# the files it binds over, users, and a world-writable sticky /tmp.
make_skeleton() {
	local r=$ROOTFS d
	for d in bin sbin usr/bin usr/sbin etc root home proc sys dev run var/tmp tmp app; do
		mkdir -p "$r/$d"
	done
	chmod 1777 "$r/tmp" "$r/var/tmp"
	chmod 0700 "$r/root"
	# /proc, /sys and /dev are mount points; husk mounts proc, sysfs and a /dev tmpfs.
	# /etc/hosts and /etc/resolv.conf are bind targets: they must exist as files.
	[[ -e $r/etc/hosts ]] || : >"$r/etc/hosts"
	[[ -e $r/etc/resolv.conf ]] || : >"$r/etc/resolv.conf"
	if [[ ! -s $r/etc/passwd ]]; then
		cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
	fi
	if [[ ! -s $r/etc/group ]]; then
		cat >"$r/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
	fi
}

# --- busybox --------------------------------------------------------------------
build_busybox() {
	ensure_packages busybox-static
	local bb=/bin/busybox applet n=0
	[[ -x $bb ]] || die "$bb missing although busybox-static is installed"
	log "[1/3] skeleton: /proc /sys /dev /tmp(1777) /etc/{passwd,group,hosts,resolv.conf}"
	make_skeleton
	log "[2/3] copying $bb (static, $(du -h "$bb" | cut -f1))"
	install -m 0755 "$bb" "$ROOTFS/bin/busybox"
	log "[3/3] one symlink per applet"
	# --list-full prints each applet with its usual directory (bin/sh, usr/bin/awk ...);
	# it is the same set of applets as --list.
	while IFS= read -r applet; do
		[[ -n $applet && $applet != bin/busybox ]] || continue
		[[ $applet != */* || -d $ROOTFS/${applet%/*} ]] || mkdir -p "$ROOTFS/${applet%/*}"
		ln -sfn /bin/busybox "$ROOTFS/$applet"
		n=$((n + 1))
	done < <("$bb" --list-full)
	log "$n applets linked"
}

build_debootstrap() { die "--method debootstrap: not implemented yet"; }
build_copy() { die "--method copy: not implemented yet"; }

# --- main -----------------------------------------------------------------------
METHOD=debootstrap
TARFILE=
FORCE=0
ROOTFS=

while (($#)); do
	case $1 in
	--method) [[ $# -ge 2 ]] || die "--method needs a value"; METHOD=$2; shift 2 ;;
	--method=*) METHOD=${1#*=}; shift ;;
	--tar) [[ $# -ge 2 ]] || die "--tar needs a file"; TARFILE=$2; shift 2 ;;
	--tar=*) TARFILE=${1#*=}; shift ;;
	--force) FORCE=1; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; die "unknown option: $1" ;;
	*) [[ -z $ROOTFS ]] || die "only one DIR, got '$ROOTFS' and '$1'"; ROOTFS=$1; shift ;;
	esac
done
[[ -n $ROOTFS ]] || { usage >&2; exit 2; }
case $METHOD in
busybox | debootstrap | copy) ;;
*) die "unknown method '$METHOD' (debootstrap, copy or busybox)" ;;
esac
ROOTFS=${ROOTFS%/}
[[ -n $ROOTFS ]] || die "refusing to build into /"

start=$SECONDS
if prepare_dir; then
	write_marker building
	log "building a $METHOD rootfs in $ROOTFS"
	"build_$METHOD"
	write_marker complete
	log "done in $((SECONDS - start)) s: $ROOTFS is $(du -sh --one-file-system "$ROOTFS" | cut -f1)"
fi

if [[ -n $TARFILE ]]; then
	log "packing $ROOTFS into $TARFILE"
	tar --numeric-owner --one-file-system -a -cf "$TARFILE" -C "$ROOTFS" .
	log "$TARFILE is $(du -h "$TARFILE" | cut -f1)"
fi
