#!/usr/bin/env bash
# scripts/test.sh — every husk test, in one command (CI runs exactly this).
#
#   sudo scripts/test.sh [--no-install] [--no-vm] [--hostile-input] [--build-dir DIR] [BATS_FILE...]
#
# 1. installs the Debian/Ubuntu packages that are missing (apt-get update first),
# 2. builds husk with Meson and Ninja,
# 3. runs the unit tests (meson test), shellcheck on the shell scripts, every
#    tests/integration/*.bats (or the BATS_FILEs given) with bats --tap, the OCI
#    runtime-tools suite (tests/oci/run.sh, one result per test file; not when
#    BATS_FILEs are given), the engines (tests/engines/*.bats: docker, podman,
#    containerd on husk, and again on cgroup2 (HUSK_ENGINE_CGROUP=v2) where the
#    host is not pure cgroup2; not when BATS_FILEs are given), and tests/vm/run.sh
#    (cgroup v1/v2 under qemu, and oci.bats in the v2 guest); on a full run (no BATS_FILE given, or
#    --hostile-input) also the fuzzers (tests/fuzz/run.sh) and the unit tests,
#    core, process, security, hostile, lifecycle, oci and oci_ns_path.bats against an ASan+UBSan husk (HUSK_HOSTILE=0
#    skips both),
# 4. checks that nothing of husk is left on the host (one more test),
# 5. prints a summary with each suite's duration and ends with one line
#    "N passed, N failed" (", N skipped" when some were skipped).
#
# Exit status: 0 when nothing failed, 1 otherwise, 2 for a usage error.
# Environment: HUSK_BUILD_DIR (default build), BATS_TEST_TIMEOUT (seconds per bats
# test, default 180), HUSK_SUITE_TIMEOUT (seconds per bats file, default 1800),
# HUSK_VM_TIMEOUT_TOTAL (seconds for the VM suite, default 2400), HUSK_OCI_TIMEOUT
# (seconds per OCI test file, default 60), HUSK_OCI_TIMEOUT_TOTAL (default 1200),
# HUSK_FUZZ_SECONDS (per fuzzer, default 20), HUSK_ASAN_BATS (bats files for the
# ASan husk, default core, process, security, hostile, lifecycle and oci).
set -Eeuo pipefail

PROG=scripts/test.sh
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO PROG

PACKAGES=(
	meson ninja-build pkg-config gcc clang libclang-rt-14-dev
	libseccomp-dev libcap-dev libmnl-dev libjson-c-dev
	libarchive-dev libcurl4-openssl-dev libssl-dev libisal-dev zlib1g-dev jq
	bats busybox-static curl iproute2 nftables shellcheck
	python3 python3-fastapi python3-uvicorn
	qemu-system-x86 cpio debootstrap kmod
	util-linux bsdutils procps coreutils findutils gawk strace
	golang-go make
	docker.io containerd podman iptables
	uidmap slirp4netns passt
	skopeo buildah docker-registry
)

INSTALL=1
VM=1
HOSTILE=0
BUILD_DIR=${HUSK_BUILD_DIR:-build}
BATS_FILES=()

PASSED=0
FAILED=0
SKIPPED=0
SUMMARY=()
LOG_DIR=

usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }
log() { printf '\n=== %s\n' "$*"; }
warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# record SUITE PASSED FAILED SKIPPED START [NOTE]
record() {
	PASSED=$((PASSED + $2))
	FAILED=$((FAILED + $3))
	SKIPPED=$((SKIPPED + $4))
	SUMMARY+=("$(printf '%-22s %4d passed %4d failed %4d skipped  %9s  %s' \
		"$1" "$2" "$3" "$4" "$(since "$5")" "${6:-}")")
	printf -- '--- %s\n' "${SUMMARY[-1]}"
}

trap 'warn "internal error at line $LINENO: $BASH_COMMAND"' ERR
# husk's cache of compiled seccomp filters (linux/security/seccomp/cache.h): the
# engines' containers fill it; a run that found none leaves none
SECCOMP_CACHE_BEFORE=0
[[ -d /var/cache/husk/seccomp ]] && SECCOMP_CACHE_BEFORE=1
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	[[ -n $LOG_DIR ]] && rm -rf "$LOG_DIR"
	if ((!SECCOMP_CACHE_BEFORE)); then
		rm -rf /var/cache/husk/seccomp
		rmdir /var/cache/husk 2>/dev/null || true
	fi
	return 0
}
trap on_exit EXIT

# --- 1. packages -------------------------------------------------------------------
install_packages() {
	local missing=() p
	if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
		warn "not a Debian/Ubuntu host: install by hand: ${PACKAGES[*]}"
		return 0
	fi
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if ((${#missing[@]} == 0)); then
		echo "all ${#PACKAGES[@]} packages present"
		return 0
	fi
	echo "installing: ${missing[*]}"
	apt-get update -q
	# no daemon started by a package (docker.io's dockerd would change the host's
	# iptables for the whole run): the engine tests start their own
	local policy=/usr/sbin/policy-rc.d made=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		{ ((made)) && rm -f "$policy"; return 1; }
	((made)) && rm -f "$policy"
	return 0
}

# The tests use bats >= 1.5 (run --separate-stderr, run -N). Debian 12 has 1.8;
# Ubuntu 22.04 has 1.2: then bats-core's release is fetched once into a cache.
BATS=bats
ensure_bats() {
	local v cache=/var/cache/husk-test/bats-core-1.10.0
	v=$(bats --version 2>/dev/null | awk '{ print $2 }')
	if [[ -n $v ]] && printf '1.5.0\n%s\n' "$v" | sort -V -C; then
		echo "bats $v"
		return 0
	fi
	if [[ ! -x $cache/bin/bats ]]; then
		echo "bats ${v:-missing} is older than 1.5: fetching bats-core 1.10.0 into $cache"
		mkdir -p "$cache"
		curl -fsSL https://github.com/bats-core/bats-core/archive/refs/tags/v1.10.0.tar.gz |
			tar -xz -C "$cache" --strip-components=1
	fi
	BATS=$cache/bin/bats
	echo "bats $("$BATS" --version)"
}

# --- 2. build ----------------------------------------------------------------------
build() {
	if [[ ! -f $BUILD_DIR/build.ninja ]]; then
		meson setup "$BUILD_DIR"
	fi
	ninja -C "$BUILD_DIR"
}

# --- 3a. unit tests ----------------------------------------------------------------
run_unit() {
	local start out p=0 f=0 s=0 cases
	start=$(now)
	log "unit tests (meson test)"
	out=$LOG_DIR/unit.log
	meson test -C "$BUILD_DIR" --print-errorlogs 2>&1 | tee "$out" || true
	# meson's summary: "Ok: N", "Fail: N", "Skipped: N", "Timeout: N", "Unexpected Pass: N"
	p=$(awk '/^Ok:/ { print $2 }' "$out")
	f=$(awk '/^(Fail|Timeout|Unexpected Pass):/ { n += $NF } END { print n + 0 }' "$out")
	s=$(awk '/^Skipped:/ { print $2 }' "$out")
	if [[ -z $p ]]; then
		record "unit (meson test)" 0 1 0 "$start" "meson test printed no summary"
		return
	fi
	# each test binary ends with "N passed, N failed" for its own checks
	cases=$(awk '/^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 } END { if (NR) printf "%d checks passed, %d failed", p, f }' \
		"$BUILD_DIR/meson-logs/testlog.txt" 2>/dev/null || true)
	record "unit (meson test)" "$p" "$f" "${s:-0}" "$start" "$cases"
}

# --- 3b. shellcheck ----------------------------------------------------------------
run_shellcheck() {
	local start f p=0 n=0 files=()
	start=$(now)
	log "shellcheck"
	for f in scripts/*.sh scripts/lib/*.sh run-fastapi.sh .ci/run tests/vm/*.sh tests/oci/*.sh tests/fuzz/*.sh tests/integration/*.bash tests/engines/*.bash bench/*.sh bench/lib/*.sh; do
		[[ -f $f ]] && files+=("$f")
	done
	for f in "${files[@]}"; do
		if shellcheck -x -s bash "$f"; then
			echo "ok $f"
			p=$((p + 1))
		else
			echo "not ok $f"
			n=$((n + 1))
		fi
	done
	record "shellcheck" "$p" "$n" 0 "$start"
}

# --- 3c. bats ----------------------------------------------------------------------
run_bats_file() {
	local file=$1 start out rc=0 plan p f s name
	name=$(basename "$file")${2:-}
	start=$(now)
	log "bats $file"
	out=$LOG_DIR/${name// /_}.tap
	timeout -k 30 "${HUSK_SUITE_TIMEOUT:-1800}" "$BATS" --tap "$file" 2>&1 | tee "$out" || rc=$?
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -n1)
	p=$(grep -Ec '^ok [0-9]+' "$out" || true)
	s=$(grep -Ec '^ok [0-9]+ .*# skip' "$out" || true)
	f=$(grep -Ec '^not ok [0-9]+' "$out" || true)
	p=$((p - s))
	local note=
	if [[ -n $plan ]] && ((p + s + f < plan)); then
		note="only $((p + s + f)) of $plan tests reported; the rest count as failed"
		f=$((plan - p - s))
	elif ((rc != 0 && f == 0)); then
		note="bats exited $rc without a failed test"
		f=$((f + 1))
	fi
	((rc == 124 || rc == 137)) && note="timed out after ${HUSK_SUITE_TIMEOUT:-1800} s; $note"
	record "$name" "$p" "$f" "$s" "$start" "$note"
}

# --- 3d. the OCI runtime-tools suite ------------------------------------------------
# tests/oci/run.sh against husk: one pass/fail per test file; a file that
# tests/oci/KNOWN_FAILURES.md lists with its checked cause counts as skipped.
run_oci() {
	local start out rc=0 p f s probe note=''
	start=$(now)
	log "OCI runtime-tools suite (tests/oci/run.sh)"
	probe=$("$HUSK" create 2>&1 || true)
	if [[ $probe == *"unknown command"* ]]; then
		record "oci (runtime-tools)" 0 0 1 "$start" "SKIPPED: this husk has no OCI face (husk create)"
		return
	fi
	out=$LOG_DIR/oci.tap
	timeout -k 30 "${HUSK_OCI_TIMEOUT_TOTAL:-1200}" bash tests/oci/run.sh --runtime "$HUSK" \
		--known tests/oci/KNOWN_FAILURES.md 2>&1 | tee "$out" || rc=$?
	p=$(grep -Ec '^ok [0-9]+ - ' "$out" || true)
	s=$(grep -Ec '^not ok [0-9]+ - .*# TODO' "$out" || true)
	f=$(($(grep -Ec '^not ok [0-9]+ - ' "$out" || true) - s))
	if ! grep -q '^oci: ' "$out"; then
		f=$((f + 1))
		note="run.sh ended without its summary (exit $rc)"
	fi
	record "oci (runtime-tools)" "$p" "$f" "$s" "$start" "$note"
}

# --- 3e. the engines ---------------------------------------------------------------
# tests/engines/*.bats: docker, podman and containerd on husk's OCI face, each file
# with its own daemon in a scratch namespace (skipped while husk has no create).
# Where the host's /sys/fs/cgroup is not cgroup2 (this CI host is hybrid), each file
# runs a second time with cgroup2 alone at /sys/fs/cgroup in the engine's mount
# namespace (HUSK_ENGINE_CGROUP=v2, engines.bash): the engines and husk on the
# cgroup2 paths of today's Debian and Ubuntu hosts.
run_engines() {
	local f start
	for f in tests/engines/*.bats; do
		[[ -f $f ]] || continue
		if ! "$HUSK" create --help >/dev/null 2>&1; then
			start=$(now)
			record "$(basename "$f")" 0 0 1 "$start" "SKIPPED: this husk has no OCI face (husk create)"
			continue
		fi
		run_bats_file "$f"
		if [[ $(stat -f -c %T /sys/fs/cgroup) != cgroup2fs ]] && grep -qw cgroup2 /proc/filesystems; then
			HUSK_ENGINE_CGROUP=v2 run_bats_file "$f" " (cgroup2)"
		fi
	done
}

# --- 3f. VM ------------------------------------------------------------------------
run_vm() {
	local start out rc=0 last p f s=0
	start=$(now)
	log "VM tests (tests/vm/run.sh)"
	out=$LOG_DIR/vm.log
	# oci.bats also runs in the v2 VM: the OCI face on a pure cgroup2 host, which this
	# hybrid CI host is not
	timeout -k 30 "${HUSK_VM_TIMEOUT_TOTAL:-2400}" bash tests/vm/run.sh \
		--bats tests/integration/oci.bats --bats-mode v2 "$HUSK" 2>&1 | tee "$out" || rc=$?
	last=$(grep -E '^vm: ' "$out" | tail -n1 || true)
	if ((rc == 77)); then
		printf '\n%s\n' "*****************************************************************" \
			"*** VM TESTS SKIPPED (exit 77): cgroup v1/v2 under qemu NOT tested ***" \
			"*** $last" \
			"*****************************************************************"
		record "vm (qemu)" 0 0 1 "$start" "SKIPPED: ${last#vm: }"
		return
	fi
	if [[ $last =~ ^vm:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
		p=${BASH_REMATCH[1]}
		f=${BASH_REMATCH[2]}
		s=${BASH_REMATCH[4]:-0}
		if ((rc != 0 && f == 0)); then
			f=1
			record "vm (qemu)" "$p" "$f" "$s" "$start" "run.sh exited $rc"
			return
		fi
		record "vm (qemu)" "$p" "$f" "$s" "$start"
	else
		record "vm (qemu)" 0 1 0 "$start" "no 'vm: N passed, N failed' line (exit $rc)"
	fi
}

# --- 3e. hostile input: fuzzers, and husk built with ASan+UBSan ---------------------
# Each fuzzer's line (execs/s, edges) goes into the summary.
run_fuzz() {
	local start t0 out line
	t0=$(now)
	log "fuzzers (tests/fuzz/run.sh, ${HUSK_FUZZ_SECONDS:-20} s each)"
	out=$LOG_DIR/fuzz.log
	HUSK_FUZZ_BUILD_DIR=$BUILD_DIR-fuzz bash tests/fuzz/run.sh --seconds "${HUSK_FUZZ_SECONDS:-20}" \
		2>&1 | tee "$out" || true
	while IFS= read -r line; do
		[[ $line =~ ^(fuzz_[a-z_]+)\ +(.*)$ ]] || continue
		start=$(now)
		if [[ $line == *" OK" ]]; then
			record "${BASH_REMATCH[1]}" 1 0 0 "$start" "${BASH_REMATCH[2]}"
		else
			record "${BASH_REMATCH[1]}" 0 1 0 "$start" "${BASH_REMATCH[2]}"
		fi
	done <"$out"
	if grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$out"; then
		record "fuzzers (all)" 0 0 0 "$t0" "build and runs"
	else
		record "fuzzers (all)" 0 1 0 "$t0" "tests/fuzz/run.sh did not finish"
	fi
}

# The unit tests, core, process, security, hostile, lifecycle, oci and oci_ns_path.bats (HUSK_ASAN_BATS) against
# BUILD-asan/husk: a sanitizer
# report fails the test that triggered it (halt_on_error; leaks are not counted:
# husk exits right after a failed setup by design).
run_asan() {
	local start dir=$BUILD_DIR-asan f
	start=$(now)
	log "ASan+UBSan build ($dir)"
	if ! { [[ -f $dir/build.ninja ]] ||
		meson setup "$dir" -Db_sanitize=address,undefined -Db_lundef=false \
			-Dbuildtype=debugoptimized; } || ! ninja -C "$dir"; then
		record "asan build" 0 1 0 "$start" "meson/ninja failed"
		return
	fi
	record "asan build" 0 0 0 "$start" "ok"
	export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:halt_on_error=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	start=$(now)
	if meson test -C "$dir" --print-errorlogs >"$LOG_DIR/asan-unit.log" 2>&1; then
		record "asan unit" "$(awk '/^Ok:/ { print $2 }' "$LOG_DIR/asan-unit.log")" 0 0 "$start"
	else
		tail -30 "$LOG_DIR/asan-unit.log"
		record "asan unit" 0 1 0 "$start" "meson test failed under ASan+UBSan"
	fi
	local saved=$HUSK
	HUSK=$dir/husk
	for f in ${HUSK_ASAN_BATS:-tests/integration/core.bats tests/integration/process.bats tests/integration/security.bats tests/integration/hostile.bats tests/integration/lifecycle.bats tests/integration/oci.bats tests/integration/oci_ns_path.bats}; do
		run_bats_file "$f"
		SUMMARY[-1]="asan ${SUMMARY[-1]}"
	done
	HUSK=$saved
	unset ASAN_OPTIONS UBSAN_OPTIONS
}

# --- 4. leftovers ------------------------------------------------------------------
# rootless.bats: the user-mode network helpers (slirp4netns, pasta), the user
# namespace holders (husk-userns, not zombies), the test user and its /etc/subuid
# lines; a user's husk state under /tmp/husk-UID
userns_leftovers() {
	ps -eo pid=,stat=,comm= | awk '$3 == "slirp4netns" || $3 == "pasta" || $3 == "pasta.avx2" ||
		($3 == "husk-userns" && $2 !~ /^Z/) { print "process " $1 " (" $3 ")" }'
	grep -h '^hkt-rl-' /etc/passwd /etc/subuid /etc/subgid 2>/dev/null | sed 's/^/user /' || true
	find /tmp -maxdepth 1 \( -name 'husk-[0-9]*' -o -name 'hkt-rootless.*' -o -name 'hkt-userns.*' -o -name 'hkt-tun.count' \) -printf 'state %p\n' 2>/dev/null || true
}

leftovers() {
	local p
	find /sys/fs/cgroup -maxdepth 3 -name '*husk*' -printf 'cgroup %p\n' 2>/dev/null
	awk '{ for (i = 7; i < NF && $i != "-"; i++) ;
		if ($4 ~ /husk/ || $5 ~ /husk/ || $(i + 2) ~ /husk/) print "mount " $5 }' /proc/self/mountinfo
	ip -o link show type veth 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "veth " $2 }'
	nft list tables 2>/dev/null | grep -i husk | sed 's/^/nft /' || true
	[[ -d /run/husk ]] && { find /run/husk -mindepth 1 -maxdepth 1 -printf 'state %p\n' 2>/dev/null || true; }
	# containers' writable layers in the default store (engine/layer_dir.h)
	[[ -d /var/lib/husk/containers ]] && { find /var/lib/husk/containers -mindepth 1 -maxdepth 1 -printf 'layer %p\n' 2>/dev/null || true; }
	# husk's FORWARD accepts (linux/net/forward_filter.c); the engine tests' cgroups
	iptables -w -S FORWARD 2>/dev/null | grep -e '--comment husk' | sed 's/^/iptables /' || true
	find /sys/fs/cgroup -maxdepth 6 -type d -name 'hkt-eng-*' -printf 'cgroup %p\n' 2>/dev/null
	# the OCI suite's state root and the cgroups its tests name (tests/oci/run.sh)
	find /run -maxdepth 1 -name 'husk-oci-*' -printf 'state %p\n' 2>/dev/null
	find /sys/fs/cgroup -maxdepth 2 \( -name cgrouptest -o -name testdir \) -printf 'cgroup %p\n' 2>/dev/null
	# published-port eBPF programs on a cgroup2 root (tests/tools/cgroup-bpf)
	if [[ -x $BUILD_DIR/tests/tools/cgroup-bpf ]]; then
		for p in /sys/fs/cgroup /sys/fs/cgroup/unified; do
			[[ $(stat -f -c %T "$p" 2>/dev/null) == cgroup2fs ]] || continue
			"$BUILD_DIR/tests/tools/cgroup-bpf" "$p" | awk -v r="$p" '$2 == "husk_ports" { print "bpf " r " " $0 }'
		done
		# and the maps the shared redirect reads (husk_ports, husk_revnat)
		"$BUILD_DIR/tests/tools/cgroup-bpf" --maps | sed 's/^/bpf /'
	fi
	userns_leftovers
	# (a process that exits between the glob and grep's open makes grep say 2)
	{ grep -ls ':/husk/' /proc/[0-9]*/cgroup 2>/dev/null || true; } | while IFS= read -r p; do
		p=${p#/proc/}
		p=${p%%/*}
		echo "process $p ($(cat "/proc/$p/comm" 2>/dev/null)) in a husk cgroup"
	done
	return 0
}

check_leftovers() {
	local start left deadline line
	start=$(now)
	log "leftover check (cgroups, mounts, veths, nftables, eBPF programs, /run/husk, processes)"
	deadline=$((SECONDS + 5))
	while left=$(leftovers) && [[ -n $left ]] && ((SECONDS < deadline)); do
		sleep 0.5
	done
	if [[ -z $left ]]; then
		echo "nothing left"
		record "leftovers" 1 0 0 "$start"
	else
		echo "husk left these behind:"
		while IFS= read -r line; do echo "  $line"; done <<<"$left"
		record "leftovers" 0 1 0 "$start" "$(wc -l <<<"$left") objects left"
	fi
}

main() {
	while (($#)); do
		case $1 in
		--no-install) INSTALL=0; shift ;;
		--no-vm) VM=0; shift ;;
		--hostile-input) HOSTILE=1; shift ;;
		--build-dir) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; BUILD_DIR=$2; shift 2 ;;
		--build-dir=*) BUILD_DIR=${1#*=}; shift ;;
		-h | --help) usage; exit 0 ;;
		-*) usage >&2; exit 2 ;;
		*) BATS_FILES+=("$1"); shift ;;
		esac
	done
	cd "$REPO"
	if [[ $EUID -ne 0 ]]; then
		warn "run me as root (containers need it): sudo $PROG"
		exit 2
	fi
	LOG_DIR=$(mktemp -d /tmp/husk-test.XXXXXX)
	local t0 start
	t0=$(now)

	start=$(now)
	if ((INSTALL)); then
		log "packages"
		install_packages
	fi
	ensure_bats
	record "packages" 0 0 0 "$start" "ok"
	[[ $BUILD_DIR == /* ]] || BUILD_DIR=$REPO/$BUILD_DIR
	HUSK=$BUILD_DIR/husk
	export HUSK CI="${CI:-}" BATS_TEST_TIMEOUT="${BATS_TEST_TIMEOUT:-180}" \
		HUSK_LEFTOVER_STRICT="${HUSK_LEFTOVER_STRICT:-1}"

	log "build ($BUILD_DIR)"
	start=$(now)
	if build; then
		record "build" 0 0 0 "$start" "ok"
	else
		record "build" 0 1 0 "$start" "meson/ninja failed: nothing else can run"
		finish "$t0"
	fi

	local before line
	before=$(leftovers)
	if [[ -n $before ]]; then
		warn "husk objects exist BEFORE the tests (the final leftover check will count them):"
		while IFS= read -r line; do echo "  $line"; done <<<"$before" >&2
	fi

	run_unit
	run_shellcheck
	local all=0
	if ((${#BATS_FILES[@]} == 0)); then
		BATS_FILES=(tests/integration/*.bats)
		all=1
		[[ ${HUSK_HOSTILE:-1} == 0 ]] || HOSTILE=1
	fi
	local f
	for f in "${BATS_FILES[@]}"; do
		[[ -f $f ]] && run_bats_file "$f"
	done
	((all)) && [[ -f tests/oci/run.sh ]] && run_oci
	((all)) && run_engines
	if ((HOSTILE)); then
		run_fuzz
		run_asan
	fi
	if ((VM)) && [[ -f tests/vm/run.sh ]]; then
		run_vm
	else
		echo "*** VM tests not run (--no-vm or no tests/vm/run.sh) ***"
	fi
	check_leftovers
	finish "$t0"
}

finish() {
	log "summary (total $(since "$1"))"
	printf '%s\n' "${SUMMARY[@]}"
	echo
	if ((SKIPPED)); then
		echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	else
		echo "$PASSED passed, $FAILED failed"
	fi
	((FAILED == 0)) || exit 1
	exit 0
}

main "$@"
