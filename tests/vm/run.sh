#!/usr/bin/env bash
# tests/vm/run.sh — prove husk's cgroup code on a real kernel, under qemu (TCG).
#
#   tests/vm/run.sh [--mode v2|v1|hybrid|all]... [--bench N] [--bats FILE]...
#                   [--bats-mode MODE]... [--serial] [--log-dir DIR] [--timeout S] [HUSK]
#
# Boots Debian's kernel (linux-image-amd64's real package, unpacked with dpkg -x into
# the cache, never installed) once per cgroup mode, with an initramfs made here:
# busybox, HUSK (default build/husk) and its shared libraries, the kernel modules the
# tests use, a busybox rootfs for the containers with three small static helpers
# (memhog, spin, forker), and the guest scripts guest-init.sh (/init) and
# guest-test.sh. The guest prints "ok N - ..." lines and "N passed, N failed" on the
# serial console; this script reads them, shows the console on any failure and ends
# with its own line "vm: N passed, N failed".
#
# --bats FILE (repeatable) also runs husk's own bats files inside each VM, after the
# guest tests, with bash, bats and the GNU tools they use packed in (slow under TCG:
# give --timeout room); --bats-mode MODE (repeatable) only in those modes' VMs.
# scripts/test.sh runs oci.bats in the v2 VM: the OCI face on a pure cgroup2 host.
#
# Exit status: 0 all passed; 1 a failure, a missing summary or a time-out; 2 usage;
# 77 (with a loud "vm: SKIPPED: ...") when qemu cannot run at all.
#
# Modes (default: all three, booted in parallel):
#   v2      cgroup2 alone at /sys/fs/cgroup (and cgroup_no_v1=all)
#   v1      a tmpfs at /sys/fs/cgroup with memory, cpu,cpuacct, pids, devices and
#           freezer hierarchies (devices: husk refuses to start without it)
#   hybrid  v1 as above plus cgroup2 at /sys/fs/cgroup/unified (like this CI host)
#
# Environment: HUSK_VM_CACHE (default /var/cache/husk-vm), HUSK_VM_PARALLEL (1: boot
# the modes at the same time, the default; 0: one after the other), HUSK_VM_TIMEOUT.
#
# Nothing is left on the host but the cache: the work directory is removed on exit.
set -Eeuo pipefail

PROG=tests/vm/run.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${HUSK_VM_CACHE:-/var/cache/husk-vm}
# per VM: 211 s boot-to-power-off measured at load 17 (the three in parallel; 30 s of
# it before /init); 150 s timed all three out there
TIMEOUT=${HUSK_VM_TIMEOUT:-420}
PARALLEL=${HUSK_VM_PARALLEL:-1}
# modules /init loads (husk check reports them), with what they depend on; built-ins
# are skipped. The netfilter and bridge modules are there too, for the kernel to load
# on demand (busybox modprobe, modules.dep/alias made by busybox depmod), as on a host.
WANT_MODULES=(overlay veth bridge)
# (libcrc32c, which nf_tables needs, asks the crypto API for crc32c: a module too)
ON_DEMAND_DIRS=(kernel/net/netfilter kernel/net/ipv4/netfilter kernel/net/ipv6/netfilter kernel/net/bridge
	kernel/crypto/crc32c_generic.ko kernel/arch/x86/crypto/crc32c-intel.ko)
CACHE_FORMAT=3 # bump when what the cache holds changes

trap 'printf "%s: failed at line %s: %s\n" "$PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

usage() {
	sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
}

log() { printf 'vm: %s\n' "$*" >&2; }
die() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	echo "vm: 0 passed, 1 failed"
	exit 1
}
skip() {
	echo "vm: SKIPPED: $* ***** the VM tests did NOT run; this is not a pass *****"
	exit 77
}

HUSK_ENV=${HUSK:-}
MODES=()
BATS_FILES=()
BATS_MODES=()
BENCH=0
SERIAL=0
LOG_DIR=
HUSK=
while (($#)); do
	case $1 in
	--mode) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; MODES+=("$2"); shift 2 ;;
	--mode=*) MODES+=("${1#*=}"); shift ;;
	--bench) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; BENCH=$2; shift 2 ;;
	--bench=*) BENCH=${1#*=}; shift ;;
	--bats) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; BATS_FILES+=("$2"); shift 2 ;;
	--bats=*) BATS_FILES+=("${1#*=}"); shift ;;
	--bats-mode) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; BATS_MODES+=("$2"); shift 2 ;;
	--bats-mode=*) BATS_MODES+=("${1#*=}"); shift ;;
	--serial) SERIAL=1; shift ;;
	--log-dir) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; LOG_DIR=$2; shift 2 ;;
	--log-dir=*) LOG_DIR=${1#*=}; shift ;;
	--timeout) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; TIMEOUT=$2; shift 2 ;;
	--timeout=*) TIMEOUT=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) [[ -z $HUSK ]] || { usage >&2; exit 2; }; HUSK=$1; shift ;;
	esac
done
((${#MODES[@]})) || MODES=(all)
if [[ ${MODES[*]} == *all* ]]; then MODES=(v2 v1 hybrid); fi
for m in "${MODES[@]}"; do
	[[ $m == v2 || $m == v1 || $m == hybrid ]] || { echo "$PROG: unknown mode '$m'" >&2; exit 2; }
done
[[ $BENCH =~ ^[0-9]+$ && $TIMEOUT =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }
# the positional argument, else $HUSK (the bats helpers' variable), else build/husk
HUSK=${HUSK:-${HUSK_ENV:-$REPO/build/husk}}
[[ -x $HUSK ]] || die "husk binary '$HUSK' missing or not executable (build it: meson setup build && ninja -C build)"
HUSK=$(realpath "$HUSK")

# --- packages ---------------------------------------------------------------------
APT_UPDATED=0
apt_update() {
	((APT_UPDATED)) && return 0
	APT_UPDATED=1
	apt-get update -q >&2
}

# ensure_packages PKG...: apt-get install what dpkg does not have yet
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	[[ $EUID -eq 0 ]] || return 1
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		{ apt_update && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
}

if ! command -v qemu-system-x86_64 >/dev/null; then
	ensure_packages qemu-system-x86 || true
fi
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed and apt-get could not install qemu-system-x86"
qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg || skip "qemu-system-x86_64 cannot run here (no TCG accelerator; qemu-system-x86_64 -version says: $(qemu-system-x86_64 -version 2>&1 | head -n1 || true))"
ensure_packages busybox-static cpio gzip gcc libc6-dev || die "cannot install busybox-static cpio gzip gcc libc6-dev"
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || die "$BUSYBOX missing although busybox-static is installed"

# --- the kernel: Debian's, unpacked into the cache ----------------------------------
WORK=$(mktemp -d /tmp/husk-vm.XXXXXX)
cleanup() {
	local f
	# a boot still running (interrupted): its timeout(1) passes the signal to qemu
	for f in "$WORK"/*.pid; do
		[[ -e $f ]] && kill "$(cat "$f")" 2>/dev/null
	done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9 # one run at a time prepares the cache

kernel_package() { # the real package behind the linux-image-amd64 meta-package
	apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}
KPKG=$(kernel_package || true)
if [[ -z $KPKG ]]; then
	apt_update || true
	KPKG=$(kernel_package || true)
fi
cache_ok() { [[ $(cat "$1/ready" 2>/dev/null) == "$CACHE_FORMAT" ]]; }
KDIR=
if [[ -n $KPKG ]] && cache_ok "$CACHE/$KPKG"; then
	KDIR=$CACHE/$KPKG
elif [[ -n $KPKG ]]; then
	log "fetching $KPKG (apt-get download; unpacked with dpkg -x, not installed)"
	dl=$WORK/download
	mkdir -p "$dl"
	if (cd "$dl" && apt-get download "$KPKG" >/dev/null 2>&1) ||
		{ apt_update && (cd "$dl" && apt-get download "$KPKG" >&2); }; then
		rm -rf "${CACHE:?}/$KPKG"
		mkdir -p "$CACHE/$KPKG"
		dpkg -x "$dl"/*.deb "$dl/x"
		krel=$(basename "$(ls -d "$dl"/x/lib/modules/*)")
		cp "$dl"/x/boot/vmlinuz-* "$CACHE/$KPKG/vmlinuz"
		cp "$dl"/x/boot/config-* "$CACHE/$KPKG/config"
		# keep only the modules named above and what they need, not the 400 MB tree
		mdir=$dl/x/lib/modules/$krel
		out=$CACHE/$KPKG/modroot/lib/modules/$krel
		mkdir -p "$out"
		cp "$mdir"/modules.builtin* "$mdir/modules.order" "$out/"
		: >"$out/load.list"
		# the package has no modules.dep (depmod makes it on install): read each
		# module's own "depends=" from its .modinfo section instead
		declare -A kofile=() seen=()
		while read -r rel; do
			n=${rel##*/}
			n=${n%.ko}
			kofile[${n//-/_}]=$rel
		done < <(cd "$mdir" && find kernel -name '*.ko')
		add_module() { # add_module NAME [load]: its dependencies first, then itself
			local name=${1//-/_} load=${2:-} rel d
			tr '-' '_' <"$mdir/modules.builtin" | grep -q "/$name\.ko\$" && return 0
			rel=${kofile[$name]:-}
			[[ -n $rel ]] || { log "kernel module $name: neither built in nor a module"; return 0; }
			if [[ -z ${seen[$name]:-} ]]; then
				seen[$name]=1
				for d in $(tr '\0' '\n' <"$mdir/$rel" | sed -n 's/^depends=//p' | tr ',' ' '); do
					add_module "$d" "$load"
				done
				mkdir -p "$out/$(dirname "$rel")"
				cp "$mdir/$rel" "$out/$rel"
			fi
			if [[ -n $load ]] && ! grep -qx "$rel" "$out/load.list"; then
				# a dependency loaded on demand before may be needed at boot now
				for d in $(tr '\0' '\n' <"$mdir/$rel" | sed -n 's/^depends=//p' | tr ',' ' '); do
					add_module "$d" load
				done
				echo "$rel" >>"$out/load.list"
			fi
		}
		for m in "${WANT_MODULES[@]}"; do add_module "$m" load; done
		while read -r rel; do
			n=${rel##*/}
			add_module "${n%.ko}"
		done < <(cd "$mdir" && find "${ON_DEMAND_DIRS[@]}" -name '*.ko' | sort)
		"$BUSYBOX" depmod -b "$CACHE/$KPKG/modroot" "$krel"
		echo "$krel" >"$CACHE/$KPKG/release"
		rm -rf "$dl"
		echo "$CACHE_FORMAT" >"$CACHE/$KPKG/ready"
	else
		rm -rf "$dl"
	fi
fi
if [[ -z $KDIR && -n $KPKG ]] && cache_ok "$CACHE/$KPKG"; then
	KDIR=$CACHE/$KPKG
fi
if [[ -z $KDIR ]]; then
	# apt could not tell or fetch the current one: an earlier download still proves husk
	for old in "$CACHE"/linux-image-*/; do
		cache_ok "$old" && KDIR=${old%/}
	done
	[[ -n $KDIR ]] || die "cannot get Debian's kernel: apt-get download ${KPKG:-(the package linux-image-amd64 depends on)} failed and $CACHE has none"
	log "using the cached $(basename "$KDIR") (apt could not provide ${KPKG:-the current one})"
fi
flock -u 9
KREL=$(cat "$KDIR/release")

# --- the initramfs ------------------------------------------------------------------

T0=$EPOCHREALTIME
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,proc,sys,dev,run,tmp,etc,lib/modules,var/lib/husk-vm}

# busybox; /init links the other applets (busybox --install -s)
install -m 0755 "$BUSYBOX" "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"

# husk and every shared library it needs, the dynamic loader included
install -m 0755 "$HUSK" "$ROOT/usr/local/bin/husk"
if ldd_out=$(ldd "$HUSK" 2>&1); then
	while read -r lib; do
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$lib" "$ROOT$lib"
	done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out" | sort -u)
elif ! grep -q 'not a dynamic executable' <<<"$ldd_out"; then
	die "ldd $HUSK: $ldd_out"
fi

# a library husk opens with dlopen(3) (ldd cannot see those), with what it needs
while read -r lib; do
	# awk reads ldconfig's whole output: an early exit would SIGPIPE it (141 under pipefail)
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !found { print $NF; found = 1 }')
	[[ -n $path && ! -e $ROOT$path ]] || continue
	while read -r dep; do
		mkdir -p "$ROOT$(dirname "$dep")"
		cp -L "$dep" "$ROOT$dep"
	done < <({ echo "$path"; ldd "$path"; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
done < <(grep -ao 'lib[a-z0-9_]*\.so\.[0-9]*' "$HUSK" | sort -u)

# kernel modules
cp -a "$KDIR/modroot/lib/modules/." "$ROOT/lib/modules/"

# the test tool that lists a cgroup's eBPF programs (tests/tools, built with husk):
# the published-port checks run it, so it is built here when husk's build dir can,
# and its absence stops the run naming it
BUILD_DIR=$(dirname "$HUSK")
tool=$BUILD_DIR/tests/tools/cgroup-bpf
if [[ ! -x $tool && -f $BUILD_DIR/build.ninja ]]; then
	ninja -C "$BUILD_DIR" tests/tools/cgroup-bpf >"$WORK/tool.log" 2>&1 ||
		die "cannot build $tool: $(tail -5 "$WORK/tool.log")"
fi
[[ -x $tool ]] || die "$tool is missing (the published-port checks run it): build it with" \
	"ninja -C $BUILD_DIR tests/tools/cgroup-bpf, or name a husk whose build dir has it"
install -m 0755 "$tool" "$ROOT/usr/local/bin/cgroup-bpf"

# the guest scripts; a marker that must not be visible inside a container
install -m 0755 "$HERE/guest-init.sh" "$ROOT/init"
install -m 0644 "$HERE/guest-test.sh" "$ROOT/guest-test.sh"
echo "the VM's own root" >"$ROOT/husk-vm-guest"
if ((BENCH)); then
	[[ -f $REPO/bench/vm-clone3.sh ]] || die "--bench: $REPO/bench/vm-clone3.sh is missing"
	mkdir -p "$ROOT/bench"
	install -m 0755 "$REPO/bench/vm-clone3.sh" "$ROOT/bench/vm-clone3.sh"
fi

# the containers' rootfs: busybox, the static helpers, a marker
RFS=$ROOT/var/lib/husk-vm/rootfs
if [[ -x $REPO/scripts/build-rootfs.sh ]]; then
	# built once into the cache (the script does nothing for a complete one), copied here
	(
		flock 9
		"$REPO/scripts/build-rootfs.sh" "$CACHE/rootfs-busybox" --method busybox >/dev/null 2>"$WORK/rootfs.log"
	) 9>"$CACHE/.lock" || die "scripts/build-rootfs.sh failed: $(cat "$WORK/rootfs.log")"
	cp -a "$CACHE/rootfs-busybox" "$RFS"
else
	# a minimal one of our own; /init links its applets (chroot ROOTFS busybox --install -s)
	mkdir -p "$RFS"/{bin,sbin,usr/bin,usr/sbin,etc,root,proc,sys,dev,run,tmp}
	chmod 1777 "$RFS/tmp"
	install -m 0755 "$BUSYBOX" "$RFS/bin/busybox"
	ln -s busybox "$RFS/bin/sh"
	touch "$RFS/.husk-vm-links"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$RFS/etc/passwd"
	printf 'root:x:0:\n' >"$RFS/etc/group"
	: >"$RFS/etc/hosts"
	: >"$RFS/etc/resolv.conf"
fi
for helper in memhog spin forker; do
	gcc -static -O2 -Wall -Wextra -o "$RFS/$helper" "$HERE/$helper.c" ||
		die "cannot build the static helper $helper (gcc -static needs libc6-dev)"
done
# in the VM's own PATH: clone3 made to fail (ENOSYS) and a timer for the benchmark
for helper in noclone3 timeit runas; do
	gcc -static -O2 -Wall -Wextra -o "$ROOT/usr/local/bin/$helper" "$HERE/$helper.c" ||
		die "cannot build the static helper $helper"
done
echo "the container's rootfs" >"$RFS/husk-vm-rootfs"

# newuidmap/newgidmap (setuid, with their libraries) and a subuid range for uid 1000:
# 11b's rootless runs map the range through them, in the namespace of husk-userns
if [[ -u /usr/bin/newuidmap && -u /usr/bin/newgidmap ]]; then
	for f in /usr/bin/newuidmap /usr/bin/newgidmap; do
		install -D -m 4755 "$f" "$ROOT$f"
		while IFS= read -r lib; do
			[[ -e $ROOT$lib ]] && continue
			mkdir -p "$ROOT$(dirname "$lib")"
			cp -L "$lib" "$ROOT$lib"
		done < <(ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
	done
	echo "1000:300000:65536" >"$ROOT/etc/subuid"
	echo "1000:300000:65536" >"$ROOT/etc/subgid"
	# newuidmap asks the passwd database who its caller is (--bats copies the host's)
	printf 'root:x:0:0:root:/root:/bin/sh\nhkt-vm:x:1000:1000::/tmp:/bin/sh\n' >"$ROOT/etc/passwd"
	printf 'root:x:0:\nhkt-vm:x:1000:\n' >"$ROOT/etc/group"
fi

# --bats: bash, bats, the GNU tools and husk's sources, so its bats files run inside
pack_bats() {
	local pkgs=(bash coreutils findutils grep sed mawk procps util-linux bsdutils mount jq iproute2 nftables bats diffutils curl)
	local f elfs=() lib
	ensure_packages "${pkgs[@]}" || die "--bats: cannot install ${pkgs[*]}"
	# the packages' programs and bats' own files, /bin and /sbin taken as /usr's (merged
	# /usr); one tar and one ldd for all, not a process per file
	dpkg -L "${pkgs[@]}" | grep -E '^/(usr/)?s?bin/[^/]+$|^/usr/(lib|libexec)/bats-core/.' |
		sed -E 's#^/(s?bin)/#/usr/\1/#' | sort -u | while IFS= read -r f; do
		if [[ -f $f || -L $f ]]; then echo "${f#/}"; fi
	done >"$WORK/bats-files"
	tar -C / -cf - -T "$WORK/bats-files" | tar -C "$ROOT" -xf -
	while IFS= read -r f; do
		if [[ ! -L /$f ]]; then elfs+=("/$f"); fi
	done <"$WORK/bats-files"
	ln -sf mawk "$ROOT/usr/bin/awk"
	ln -sf /usr/bin/bash "$ROOT/bin/bash"
	while IFS= read -r lib; do
		if [[ ! -e $ROOT$lib ]]; then
			mkdir -p "$ROOT$(dirname "$lib")"
			cp -L "$lib" "$ROOT$lib"
		fi
	done < <({ ldd "${elfs[@]}" 2>/dev/null || true; } |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*[^:]$/ { print $1 }' | sort -u)
	# the host's users and groups (some tests compare them with ROOTFS's); no shadow
	cp /etc/passwd /etc/group "$ROOT/etc/"
	# uid 1000 for newuidmap in 11b (rootless), where the host has none
	if [[ -e $ROOT/etc/subuid ]] && ! awk -F: '$3 == 1000 { f = 1 } END { exit !f }' "$ROOT/etc/passwd"; then
		echo 'hkt-vm:x:1000:1000::/tmp:/bin/sh' >>"$ROOT/etc/passwd"
		echo 'hkt-vm:x:1000:' >>"$ROOT/etc/group"
	fi
	# the repository as the bats files expect it, husk in build/, the fixture cache filled
	mkdir -p "$ROOT/husk-src/build" "$ROOT/var/cache/husk-test" "$ROOT/root"
	cp -a "$REPO/tests" "$REPO/scripts" "$ROOT/husk-src/"
	for f in app docs bench run-fastapi.sh; do
		[[ ! -e $REPO/$f ]] || cp -a "$REPO/$f" "$ROOT/husk-src/"
	done
	install -m 0755 "$HUSK" "$ROOT/husk-src/build/husk"
	# the test tools beside it, where helpers.bash looks (HUSK_TOOLS), and their libraries
	mkdir -p "$ROOT/husk-src/build/tests/tools"
	for f in "$BUILD_DIR"/tests/tools/*; do
		if [[ -f $f && -x $f ]]; then
			install -m 0755 "$f" "$ROOT/husk-src/build/tests/tools/"
			while IFS= read -r lib; do
				[[ -e $ROOT$lib ]] || { mkdir -p "$ROOT$(dirname "$lib")" && cp -L "$lib" "$ROOT$lib"; }
			done < <({ ldd "$f" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
		fi
	done
	cp -a "$CACHE/rootfs-busybox" "$ROOT/var/cache/husk-test/busybox"
	# repository-relative names as they are; any other file is copied in beside them
	mkdir -p "$ROOT/husk-src/tests/vm-extra"
	for f in "${BATS_FILES[@]}"; do
		if [[ $f != /* && -f $REPO/$f ]]; then
			echo "$f"
		elif [[ -f $f ]]; then
			cp "$f" "$ROOT/husk-src/tests/vm-extra/"
			echo "tests/vm-extra/${f##*/}"
		else
			die "--bats: no $f"
		fi
	done >"$ROOT/husk-src/bats.list"
	# the modes whose VM runs them (none listed: all)
	printf '%s\n' "${BATS_MODES[@]}" >"$ROOT/husk-src/bats.modes"
}
if ((${#BATS_FILES[@]})); then
	[[ -d $CACHE/rootfs-busybox ]] || die "--bats needs scripts/build-rootfs.sh (for the fixture rootfs)"
	pack_bats
fi
mkdir -p "$RFS/vmt"
chmod 1777 "$RFS/vmt"

INITRD=$WORK/initrd.gz
(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$INITRD"
T1=$EPOCHREALTIME
log "initramfs: $(du -h "$INITRD" | cut -f1) (husk $(du -h "$HUSK" | cut -f1), kernel $KREL), built in $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", b - a }') s"

# --- boot ---------------------------------------------------------------------------
boot() { # boot MODE [again]: serial console in $WORK/MODE.log, exit status in $WORK/MODE.rc
	# unknown NAME=VALUE parameters reach /init as environment variables
	local mode=$1 t0 rc=0
	local append="console=ttyS0 quiet panic=-1 husk_mode=$1 husk_bench=$BENCH HUSK_VM_TEST_TIMEOUT=$((TIMEOUT > 40 ? TIMEOUT - 20 : TIMEOUT))"
	[[ $mode == v2 ]] && append+=" cgroup_no_v1=all"
	t0=$EPOCHREALTIME
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot -nic none \
		-kernel "$KDIR/vmlinuz" -initrd "$INITRD" -append "$append" \
		</dev/null >"$WORK/$mode.log" 2>&1 &
	echo $! >"$WORK/$mode.pid"
	wait $! || rc=$?
	rm -f "$WORK/$mode.pid"
	# a guest that timed out is booted once more, and says so: under TCG on a loaded
	# host a guest has stopped mid-test for the whole time-out (its own 90 s KILL
	# timer around husk never fired); a real hang times out twice
	if [[ $rc == 124 || $rc == 137 ]] && [[ -z ${2:-} ]]; then
		mv "$WORK/$mode.log" "$WORK/$mode.log.timed-out"
		log "[$mode] timed out after $TIMEOUT s at: $(grep -a '^ok [0-9]\|^not ok [0-9]' "$WORK/$mode.log.timed-out" | tail -n1 | tr -d '\r'); booting it once more"
		boot "$mode" again
		return
	fi
	echo "$rc" >"$WORK/$mode.rc"
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }' >"$WORK/$mode.time"
}

TB=$EPOCHREALTIME
if ((PARALLEL)) && ((${#MODES[@]} > 1)); then
	log "booting ${MODES[*]} in parallel (TCG, time-out ${TIMEOUT} s each)"
	for m in "${MODES[@]}"; do boot "$m" & done
	wait
else
	for m in "${MODES[@]}"; do
		log "booting $m (TCG, time-out ${TIMEOUT} s)"
		boot "$m"
	done
fi
TE=$EPOCHREALTIME

# --- results ------------------------------------------------------------------------
PASSED=0
FAILED=0
for m in "${MODES[@]}"; do
	raw=$WORK/$m.log
	# the console as text: no carriage returns, no terminal escapes from the firmware
	sed -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' "$raw" >"$WORK/$m.txt"
	rc=$(cat "$WORK/$m.rc")
	secs=$(cat "$WORK/$m.time")
	p=$(grep -c '^ok [0-9]' "$WORK/$m.txt" || true)
	f=$(grep -c '^not ok [0-9]' "$WORK/$m.txt" || true)
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/$m.txt" | tail -n1 || true)
	problem=
	if [[ $rc == 124 || $rc == 137 ]]; then
		problem="timed out after $TIMEOUT s"
	elif [[ -z $summary ]]; then
		problem="no 'N passed, N failed' line on the console (qemu exit status $rc)"
	elif [[ $summary != "$p passed, $f failed" ]]; then
		problem="the summary '$summary' does not match the $p ok / $f not ok lines"
	elif ((f > 0)); then
		problem="$f test(s) failed"
	elif ((p == 0)); then
		problem="no test ran"
	fi
	if ((${#BATS_FILES[@]})) && { ((${#BATS_MODES[@]} == 0)) || [[ " ${BATS_MODES[*]} " == *" $m "* ]]; }; then
		# husk's bats files ran after the guest tests
		bp=$(grep -cE '^bats: ok [0-9]+ ' "$WORK/$m.txt" || true)
		bs=$(grep -cE '^bats: ok [0-9]+ .*# skip' "$WORK/$m.txt" || true)
		bf=$(grep -cE '^bats: not ok [0-9]+ ' "$WORK/$m.txt" || true)
		bplan=$(sed -n 's/^bats: 1\.\.\([0-9]*\)$/\1/p' "$WORK/$m.txt" | head -n1)
		echo "=== vm [$m]: bats ${BATS_FILES[*]}: $((bp - bs)) passed, $bf failed, $bs skipped of ${bplan:-?} planned"
		grep -E '^bats: not ok|^bats: husk-vm' "$WORK/$m.txt" | sed "s/^/  [$m] /" || true
		p=$((p + bp - bs))
		f=$((f + bf))
		if [[ -z $problem && (-z $bplan || $((bp + bf)) -ne ${bplan:-0}) ]]; then
			problem="bats ran $((bp + bf)) of ${bplan:-?} planned tests"
		elif [[ -z $problem ]] && ((bf > 0)); then
			problem="$bf bats test(s) failed"
		fi
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	if [[ -n $LOG_DIR ]]; then # for vm.bats: the console and a verdict per mode
		mkdir -p "$LOG_DIR"
		cp "$WORK/$m.txt" "$LOG_DIR/vm-$m.log"
		if [[ -n $problem ]]; then
			echo "fail: $problem ($p passed, $f failed, $secs s)"
		else
			echo "pass: $p passed, 0 failed in $secs s"
		fi >"$LOG_DIR/vm-$m.result"
	fi
	if [[ -n $problem ]]; then
		((f > 0)) || FAILED=$((FAILED + 1))
		echo "=== vm [$m]: FAILED: $problem; the serial console ($secs s):"
		cat "$WORK/$m.txt"
		echo "=== end of the $m console"
	else
		echo "=== vm [$m]: $p passed in $secs s (boot to power-off)"
		if ((SERIAL)); then
			cat "$WORK/$m.txt"
		else
			grep -E '^(ok|not ok) [0-9]|^# (cpu|husk-vm|the container)|^husk-vm:|^bench' "$WORK/$m.txt" | sed "s/^/  [$m] /"
		fi
	fi
done
log "boots took $(awk -v a="$TB" -v b="$TE" 'BEGIN { printf "%.1f", b - a }') s in all ($( ((PARALLEL)) && echo parallel || echo sequential))"
echo "vm: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]] || exit 1
