#!/usr/bin/env bash
# tests/oci/run.sh — the OCI runtime-tools conformance suite against a runtime.
#
#   tests/oci/run.sh [--runtime PATH] [--timeout S] [--crun-ns] [--known FILE]
#                    [--logs DIR] [--verdicts FILE] [--build-only] [TEST...]
#
# Builds the pinned opencontainers/runtime-tools (../shared/oci/, commit 260e151,
# vendored, Go 1.19, offline) into a cache directory once, then runs its validation
# test files (all 58, or the TESTs named, e.g. `create hooks_stdin`) one after the
# other against the runtime, and prints one TAP line per file. A file passes when it
# printed at least one `ok` and no `not ok` (the suite's own rule, shared/oci/README.md).
#
#   --runtime PATH  the runtime under test (default $RUNTIME, else build/husk)
#   --timeout S     seconds per test file before it is killed (default 60)
#   --crun-ns       run each file in a private mount namespace where
#                   /sys/fs/cgroup/unified/cgroup.controllers reads empty: crun
#                   refuses a hybrid host otherwise (used for the baseline)
#   --known FILE    failures listed in FILE (a Markdown table whose first cell is
#                   `name`) are reported `not ok ... # TODO` and counted apart
#   --logs DIR      keep each file's output in DIR/NAME.tap (default: a temp dir,
#                   removed at the end; the first `not ok` is printed either way)
#   --verdicts FILE write "NAME pass|fail" lines to FILE
#   --build-only    build the suite and exit
#
# The runtime is called through a wrapper that adds `--root DIR` (a private state
# root under /run, removed at the end), so the tests never see or touch another
# user's containers. The bundles go to a private TMPDIR. After each file, whatever
# it left is removed: containers in the root (`delete --force`, then their
# processes), processes whose root is in a bundle, mounts under the work dirs, and
# the cgroups the suite names (cgrouptest, testdir/..., a container id). Those names
# are fixed, so runs on one host take turns (an flock on CACHE/.run.lock).
#
# Environment: RUNTIME, HUSK_OCI_CACHE (default /var/cache/husk-test/runtime-tools),
# HUSK_OCI_TARBALL (default ../shared/oci/runtime-tools-260e151.tar.gz beside the repo),
# HUSK_OCI_TIMEOUT.
# Last line: "oci: N passed, N failed[, N known failures] of N files (RUNTIME)".
# Exit status: 0 when no file failed outside the known ones, 1 otherwise, 2 usage.
set -Eeuo pipefail

PROG=tests/oci/run.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${HUSK_OCI_CACHE:-/var/cache/husk-test/runtime-tools}
TARBALL=${HUSK_OCI_TARBALL:-$REPO/../shared/oci/runtime-tools-260e151.tar.gz}
TIMEOUT=${HUSK_OCI_TIMEOUT:-60}
RUNTIME_BIN=${RUNTIME:-$REPO/build/husk}
CRUN_NS=0
KNOWN_FILE=
LOGS=
VERDICTS=
BUILD_ONLY=0
TESTS=()
WORK=
ROOT=
UUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

die() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	exit 2
}
usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }

# --- the suite, built once into the cache -------------------------------------------
suite_built() {
	[[ -x $CACHE/runtimetest ]] || return 1
	local n
	n=$(find "$CACHE/validation" -mindepth 2 -maxdepth 2 -name '*.t' -type f -perm -u+x 2>/dev/null | wc -l)
	((n == 58))
}

build_suite() {
	suite_built && return 0
	[[ -f $TARBALL ]] || die "no $TARBALL (the pinned runtime-tools, see ../shared/oci/README.md)"
	command -v go >/dev/null || die "go is missing (apt-get install golang-go)"
	command -v make >/dev/null || die "make is missing (apt-get install make)"
	echo "# building runtime-tools into $CACHE (once; ~1 min on 2 cores)" >&2
	rm -rf "$CACHE"
	mkdir -p "$CACHE"
	tar -C "$CACHE" -xzf "$TARBALL"
	# offline: the dependencies are vendored; a private GOCACHE keeps $HOME clean
	GOFLAGS=-mod=vendor GOPROXY=off GOCACHE=$CACHE/.gocache GOPATH=$CACHE/.gopath \
		make -C "$CACHE" runtimetest validation-executables >"$CACHE/build.log" 2>&1 || {
		tail -n 20 "$CACHE/build.log" >&2
		die "building runtime-tools failed (log: $CACHE/build.log)"
	}
	suite_built || die "the build left fewer than 58 test files in $CACHE/validation"
}

all_tests() {
	find "$CACHE/validation" -mindepth 2 -maxdepth 2 -name '*.t' -printf '%f\n' | sed 's/\.t$//' | sort
}

# known_failures FILE — the `name` in the first cell of each table row
known_failures() {
	[[ -n $KNOWN_FILE ]] || return 0
	# shellcheck disable=SC2016 # backquotes in Markdown, not an expansion
	sed -n 's/^| *`\([a-z_]*\)` *|.*/\1/p' "$KNOWN_FILE"
}

# --- clean-up between files ----------------------------------------------------------
# pids_rooted_in DIR... — processes whose root or cwd lies under one of the DIRs
pids_rooted_in() {
	local p r c d
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		c=$(readlink "$p/cwd" 2>/dev/null) || c=
		for d in "$@"; do
			if [[ $r == "$d"/* || $c == "$d"/* ]]; then
				echo "${p#/proc/}"
				break
			fi
		done
	done
}

kill_rooted_in() {
	local pids i
	for ((i = 0; i < 20; i++)); do
		mapfile -t pids < <(pids_rooted_in "$@")
		((${#pids[@]})) || return 0
		kill -KILL "${pids[@]}" 2>/dev/null || true
		sleep 0.1
	done
	echo "# processes still running in $*: ${pids[*]}" >&2
}

# the cgroups a test file may leave: the suite's fixed paths and container ids
remove_cgroups() {
	local d i pids
	while IFS= read -r d; do
		[[ -d $d ]] || continue
		for ((i = 0; i < 20; i++)); do
			mapfile -t pids <"$d/cgroup.procs" 2>/dev/null || pids=()
			((${#pids[@]})) || break
			kill -KILL "${pids[@]}" 2>/dev/null || true
			sleep 0.1
		done
		rmdir "$d" 2>/dev/null || echo "# could not remove cgroup $d" >&2
	done < <(find /sys/fs/cgroup -mindepth 1 -maxdepth 5 -type d -regextype posix-extended \
		\( -name cgrouptest -o -name testdir -o -regex ".*/$UUID_RE" \) -prune -printf '%p\n' 2>/dev/null |
		xargs -r -I{} find {} -depth -type d 2>/dev/null)
	# a relative cgroupsPath lives under husk/: once its cgrouptest is gone, an empty
	# husk/ parent would be left (rmdir fails while anything else uses it)
	for d in /sys/fs/cgroup/*/husk /sys/fs/cgroup/husk; do
		if [[ -d $d ]]; then rmdir "$d" 2>/dev/null || true; fi
	done
}

umount_under() {
	local d m
	for d in "$@"; do
		# deepest first; mountinfo's field 5 is the mount point (octal escapes kept)
		awk -v d="$d" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
			while IFS= read -r m; do umount -l "$(printf '%b' "$m")" 2>/dev/null || true; done
	done
}

clean_after() {
	local id
	if [[ -d $ROOT ]]; then
		for id in "$ROOT"/*; do
			[[ -e $id ]] || continue
			timeout -k 2 10 "$WORK/runtime" delete --force "${id##*/}" >/dev/null 2>&1 || true
		done
	fi
	kill_rooted_in "$WORK/tmp"
	remove_cgroups
	umount_under "$WORK/tmp" "$ROOT"
	rm -rf "${ROOT:?}"/* "$WORK/tmp" 2>/dev/null || true
	mkdir -m 1777 "$WORK/tmp"
}

cleanup() {
	[[ -n $WORK ]] || return 0
	clean_after
	umount_under "$WORK" "$ROOT"
	rm -rf "$ROOT" "$WORK"
}

# --- one test file -------------------------------------------------------------------
# run_file NAME LOG — run validation/NAME/NAME.t; its status is timeout's
run_file() {
	local name=$1 log=$2 t=validation/$1/$1.t
	local env=(env TMPDIR="$WORK/tmp" RUNTIME="$WORK/runtime")
	if ((CRUN_NS)); then
		# shellcheck disable=SC2016 # expanded by the inner bash
		(cd "$CACHE" && timeout -k 5 "$TIMEOUT" unshare --mount --propagation private -- bash -c \
			'mount --bind "$0" /sys/fs/cgroup/unified/cgroup.controllers && exec "$@"' \
			"$WORK/empty" "${env[@]}" "$t") >"$log" 2>&1 </dev/null
	else
		(cd "$CACHE" && timeout -k 5 "$TIMEOUT" "${env[@]}" "$t") >"$log" 2>&1 </dev/null
	fi
}

# verdict LOG RC — "pass" or "fail: why"
verdict() {
	local log=$1 rc=$2 first
	first=$(grep -m1 -E '^not ok [0-9]+' "$log" || true)
	if ((rc == 124 || rc == 137)); then
		echo "fail: timed out after $TIMEOUT s${first:+; $first}"
	elif [[ -n $first ]]; then
		echo "fail: $first"
	elif grep -q -E '^ok [0-9]+' "$log"; then
		if grep -q -E '^ok [0-9]+ .*# (skip|SKIP)' "$log" && ! grep -q -E '^ok [0-9]+( -|$)' "$log"; then
			echo "pass (skipped by the suite: $(grep -m1 -E '^ok [0-9]+ .*# (skip|SKIP)' "$log" | sed 's/^ok [0-9]* *//'))"
		else
			echo pass
		fi
	else
		echo "fail: no TAP result (exit $rc): $(grep -v -E '^(TAP version|1\.\.)' "$log" | head -n1 | cut -c1-200)"
	fi
}

main() {
	while (($#)); do
		case $1 in
		--runtime) RUNTIME_BIN=${2:?}; shift 2 ;;
		--timeout) TIMEOUT=${2:?}; shift 2 ;;
		--crun-ns) CRUN_NS=1; shift ;;
		--known) KNOWN_FILE=${2:?}; shift 2 ;;
		--logs) LOGS=${2:?}; shift 2 ;;
		--verdicts) VERDICTS=${2:?}; shift 2 ;;
		--build-only) BUILD_ONLY=1; shift ;;
		-h | --help) usage; exit 0 ;;
		-*) usage >&2; exit 2 ;;
		*) TESTS+=("$1"); shift ;;
		esac
	done
	[[ $EUID -eq 0 ]] || die "run me as root (the runtime under test needs it)"
	[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "bad --timeout '$TIMEOUT'"
	build_suite
	((BUILD_ONLY)) && { echo "# runtime-tools built in $CACHE"; exit 0; }
	RUNTIME_BIN=$(command -v "$RUNTIME_BIN") || die "no runtime '$RUNTIME_BIN'"
	[[ -z $KNOWN_FILE || -f $KNOWN_FILE ]] || die "no $KNOWN_FILE"
	((${#TESTS[@]})) || mapfile -t TESTS < <(all_tests)

	# the suite's cgroup paths are fixed (/cgrouptest, testdir/...): one run at a time
	exec 9>"$CACHE/.run.lock"
	if ! flock -n 9; then
		echo "# waiting for another tests/oci/run.sh on this host" >&2
		flock 9
	fi
	WORK=$(mktemp -d /tmp/husk-oci.XXXXXX)
	ROOT=/run/husk-oci-$$
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	mkdir -p "$WORK/tmp" "$ROOT"
	# as /tmp: a container whose root is a mapped user must reach its bundle
	chmod 0755 "$WORK"
	chmod 1777 "$WORK/tmp"
	: >"$WORK/empty"
	printf '#!/bin/sh\nexec %q --root %q "$@"\n' "$RUNTIME_BIN" "$ROOT" >"$WORK/runtime"
	chmod 0755 "$WORK/runtime"
	[[ -n $LOGS ]] || LOGS=$WORK/logs
	mkdir -p "$LOGS"
	[[ -z $VERDICTS ]] || : >"$VERDICTS"

	local known name n=0 pass=0 fail=0 kfail=0 rc v t0 secs
	known=" $(known_failures | tr '\n' ' ') "
	echo "TAP version 13"
	echo "# runtime $RUNTIME_BIN ($("$RUNTIME_BIN" --version 2>/dev/null | head -n1 || true)), suite $CACHE"
	for name in "${TESTS[@]}"; do
		[[ -x $CACHE/validation/$name/$name.t ]] || die "no test file validation/$name/$name.t"
		n=$((n + 1))
		t0=$SECONDS
		rc=0
		run_file "$name" "$LOGS/$name.tap" || rc=$?
		secs=$((SECONDS - t0))
		clean_after
		v=$(verdict "$LOGS/$name.tap" "$rc")
		if [[ $v == pass* ]]; then
			pass=$((pass + 1))
			echo "ok $n - $name (${secs} s)${v#pass}"
			[[ $known != *" $name "* ]] || echo "# $name passes but is listed in $KNOWN_FILE"
		elif [[ $known == *" $name "* ]]; then
			kfail=$((kfail + 1))
			echo "not ok $n - $name (${secs} s) # TODO known failure: ${v#fail: }"
		else
			fail=$((fail + 1))
			echo "not ok $n - $name (${secs} s): ${v#fail: }"
		fi
		[[ -z $VERDICTS ]] || printf '%s %s\n' "$name" "${v%%[: (]*}" >>"$VERDICTS"
	done
	echo "1..$n"
	printf 'oci: %d passed, %d failed%s of %d files (%s)\n' "$pass" "$fail" \
		"$( ((kfail)) && printf ', %d known failures' "$kfail")" "$n" "${RUNTIME_BIN##*/}"
	((fail == 0))
}

main "$@"
