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

log() { printf '==> [%3ss] %s\n' "$SECONDS" "$*" >&2; }
# die, ensure_packages
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

need_root() {
	[[ $EUID -eq 0 ]] || die "$1 needs root (try: sudo $PROG ...)"
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

# --- debootstrap ----------------------------------------------------------------
# The host's own archive mirror, from apt's sources (one-line .list files or deb822
# .sources files): the first deb URI whose suite is the release itself, not -security.
host_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		awk -v suite="$1" '$1 == "deb" {
			i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) == suite) { print $i; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		# deb822: stanzas separated by blank lines; take URIs of a stanza whose
		# Suites list the release.
		awk -v suite="$1" 'BEGIN { RS = ""; FS = "\n" } {
			uri = ""; ok = 0; deb = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
				if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
				if ($i ~ /^Suites:/) { n = split($i, a, /[ \t]+/); for (j = 2; j <= n; j++) if (a[j] == suite) ok = 1 }
			}
			if (deb && ok && uri != "") { print uri; exit }
		}' "$f"
	done
}

build_debootstrap() {
	need_root "--method debootstrap"
	ensure_packages debootstrap
	local id codename mirror components=main
	# shellcheck source=/dev/null
	id=$(. /etc/os-release && echo "${ID:-debian}")
	# shellcheck source=/dev/null
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	case $id in
	debian) codename=${codename:-bookworm} ;;
	ubuntu) components=main,universe ;; # python3-fastapi lives in universe
	*) codename=bookworm; id=debian ;;
	esac
	[[ -n $codename ]] || die "cannot tell the release codename from /etc/os-release"
	[[ -e /usr/share/debootstrap/scripts/$codename ]] ||
		die "this debootstrap does not know the suite '$codename'"
	mirror=$(host_mirror "$codename" | head -n1)
	if [[ -z $mirror ]]; then
		[[ $id == ubuntu ]] && mirror=http://archive.ubuntu.com/ubuntu || mirror=http://deb.debian.org/debian
	fi
	mirror=${HUSK_MIRROR:-$mirror}
	log "[1/3] debootstrap --variant=minbase $codename from $mirror (about a minute)"
	# debootstrap prints one line per step; keep them, prefixed, so progress shows.
	debootstrap --variant=minbase --components="$components" \
		--include=python3-fastapi,python3-uvicorn \
		"$codename" "$ROOTFS" "$mirror" 2>&1 | sed -u 's/^/    /' >&2
	log "[2/3] trimming apt caches and package lists"
	rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
	log "[3/3] skeleton: bind targets, users, /tmp, /app"
	make_skeleton
	chroot "$ROOTFS" /usr/bin/python3 -B -c 'import fastapi, uvicorn' ||
		die "the new rootfs cannot import fastapi and uvicorn"
}

# --- copy -----------------------------------------------------------------------
# The packages the app imports; their Python dependencies are found from dpkg.
readonly COPY_SEEDS=(python3 python3-fastapi python3-uvicorn)

# The Python packages reachable from the seeds by dpkg dependencies (Depends and
# Pre-Depends, the first installed alternative of each). Native libraries (libc6,
# libssl3 ...) are left out: ldd decides which of them are needed.
# dpkg's database is read once: a fork costs more here than the whole walk.
python_package_closure() {
	local -A deps=() seen=()
	local name status dep queue=("$@") p alt a
	while IFS=$'\t' read -r name status dep; do
		[[ $status == 'install ok installed' ]] && deps[$name]=$dep
	done < <(dpkg-query -W -f='${Package}\t${Status}\t${Depends}, ${Pre-Depends}\n' |
		awk -F '\t' -v OFS='\t' '{ gsub(/\([^)]*\)|:[a-z0-9]+|[ ]+/, "", $3); print }')
	while ((${#queue[@]})); do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		[[ -z ${seen[$p]:-} ]] || continue
		[[ -n ${deps[$p]+set} ]] || die "package $p is not installed"
		seen[$p]=1
		printf '%s\n' "$p"
		IFS=, read -ra alts <<<"${deps[$p]}"
		for alt in "${alts[@]}"; do
			IFS='|' read -ra choice <<<"$alt"
			for a in "${choice[@]}"; do
				[[ -n ${deps[$a]+set} ]] || continue
				if [[ $a =~ ^(lib)?python3 && -z ${seen[$a]:-} ]]; then
					queue+=("$a")
				fi
				break
			done
		done
	done
}

# Paths on stdin, printed with their directories resolved (/lib/x -> /usr/lib/x on
# a merged-/usr host) but their last component kept, so a library's symlink stays a
# symlink. One realpath call for all the directories.
canonical_dir_paths() {
	local paths dirs
	paths=$(cat)
	[[ -n $paths ]] || return 0
	dirs=$(printf '%s\n' "$paths" | sed 's|/[^/]*$||' | sort -u)
	# realpath -m prints exactly one line per argument, so the two columns pair up.
	awk -F '\t' 'NR == FNR { real[$1] = $2; next }
		{ d = $0; sub(/\/[^\/]*$/, "", d); f = substr($0, length(d) + 2)
		  print (real[d] == "/" ? "" : real[d]) "/" f }' \
		<(paste <(printf '%s\n' "$dirs") <(xargs -r -d '\n' realpath -m -- <<<"$dirs")) \
		<(printf '%s\n' "$paths")
}

# Every shared library (and the dynamic loader) that the ELF files named on stdin
# need, as ldd reports them, and the files their symlinks point to.
ldd_closure() {
	local libs
	libs=$(xargs -r -d '\n' ldd 2>/dev/null |
		awk '/=> \// { print $3 } /^[[:space:]]+\// { print $1 }' | sort -u)
	[[ -n $libs ]] || return 0
	canonical_dir_paths <<<"$libs"
	xargs -r -d '\n' realpath -e <<<"$libs"
}

build_copy() {
	ensure_packages python3-fastapi python3-uvicorn
	local list libs closure pkgs n d f pyc
	list=$(mktemp)
	libs=$(mktemp)
	# shellcheck disable=SC2064 # expand now: the names are local
	trap "rm -f '$list' '$libs'" RETURN
	log "[1/5] resolving the Python packages from dpkg dependencies of: ${COPY_SEEDS[*]}"
	closure=$(python_package_closure "${COPY_SEEDS[@]}")
	mapfile -t pkgs < <(sort <<<"$closure")
	log "      ${#pkgs[@]} packages: ${pkgs[*]}"

	log "[2/5] listing their files (dpkg -L), without docs, man pages and lintian data"
	dpkg -L "${pkgs[@]}" |
		grep -Ev '^/usr/share/(doc|doc-base|man|lintian|bug|binfmts)(/|$)|^/usr/lib/binfmt\.d/|^/\.$' |
		while IFS= read -r f; do
			[[ -d $f && ! -L $f ]] && continue
			[[ -e $f || -L $f ]] || continue
			printf '%s\n' "$f"
			# Debian byte-compiles at install time into __pycache__; take those too so
			# the first start does not compile, nor write into the rootfs.
			if [[ $f == *.py ]]; then
				d=${f%/*}/__pycache__/${f##*/}
				for pyc in "${d%.py}".cpython-*.pyc; do
					[[ -e $pyc ]] && printf '%s\n' "$pyc"
				done
			fi
		done | canonical_dir_paths | sort -u >"$list"
	log "      $(wc -l <"$list") files"

	log "[3/5] shared libraries: ldd of /usr/bin/python3 and of every extension module"
	grep -E '/usr/bin/python3[.0-9]*$|\.so(\.[0-9.]+)?$' "$list" |
		while IFS= read -r f; do [[ -f $f && ! -L $f ]] && printf '%s\n' "$f"; done |
		ldd_closure >"$libs"
	sort -u -o "$list" "$list" "$libs"
	log "      $(sort -u "$libs" | wc -l) library files (with their symlinks)"

	log "[4/5] copying into $ROOTFS (the host's merged-/usr layout is kept)"
	# /bin, /lib, /lib64 ... are symlinks into /usr on Debian 12; make them the same
	# way so the paths the binaries were linked with (/lib64/ld-linux-x86-64.so.2) work.
	for d in bin sbin lib lib32 lib64 libx32; do
		if [[ -L /$d ]]; then
			ln -sfn "$(readlink "/$d")" "$ROOTFS/$d"
			mkdir -p "$ROOTFS/usr/$d"
		fi
	done
	tar -C / --no-recursion -cf - --verbatim-files-from -T <(sed 's|^/||' "$list") |
		tar -C "$ROOTFS" --keep-directory-symlink -xf -
	n=$(find "$ROOTFS" -type f | wc -l)
	log "      $n files copied"

	log "[5/5] skeleton, and a check that the interpreter imports the app's stack"
	make_skeleton
	chroot "$ROOTFS" /usr/bin/python3 -B -c \
		'import fastapi, starlette, pydantic, uvicorn, anyio, h11, ssl, json, asyncio
import uvicorn.protocols.http.h11_impl, uvicorn.loops.asyncio, uvicorn.lifespan.on' ||
		die "the copied rootfs cannot import the app's packages"
}

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
