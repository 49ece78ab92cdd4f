#!/usr/bin/env bash
# tests/fuzz/run.sh — builds the fuzzers (clang, -Dfuzz=true) and runs each for a
# short while on its seed corpus (tests/fuzz/corpus/<fuzzer>/), as CI does.
#
#   tests/fuzz/run.sh [--seconds N] [--build-dir DIR] [FUZZER...]
#
# Prints one line per fuzzer: executions per second, edges covered (libFuzzer's
# "cov"), corpus size, and OK or the crash it found (the input is kept under
# $HUSK_FUZZ_ARTIFACTS, default /tmp/husk-fuzz-artifacts, to add to the corpus as a
# regression case once fixed). New inputs go to a scratch directory, never into the
# repository. Ends with "N passed, N failed"; exit 1 when a fuzzer crashed.
set -Eeuo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECONDS_EACH=${HUSK_FUZZ_SECONDS:-25}
BUILD=${HUSK_FUZZ_BUILD_DIR:-$REPO/build-fuzz}
ARTIFACTS=${HUSK_FUZZ_ARTIFACTS:-/tmp/husk-fuzz-artifacts}
FUZZERS=()

while (($#)); do
	case $1 in
	--seconds) SECONDS_EACH=$2; shift 2 ;;
	--build-dir) BUILD=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0 ;;
	-*) echo "tests/fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
	*) FUZZERS+=("$1"); shift ;;
	esac
done

build() {
	if [[ ! -f $BUILD/build.ninja ]]; then
		CC=clang meson setup "$BUILD" "$REPO" -Dfuzz=true -Dbuildtype=debugoptimized >/dev/null
	fi
	ninja -C "$BUILD" >/dev/null
}

# run_one NAME: prints "NAME execs/s edges corpus OK|CRASH"; returns 1 on a crash
run_one() {
	local name=$1 bin=$BUILD/tests/fuzz/$1 work log rc=0
	work=$(mktemp -d /tmp/husk-fuzz-XXXXXX)
	log=$work/log
	mkdir -p "$work/corpus" "$ARTIFACTS"
	local args=(-max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10
		-rss_limit_mb=2048 -artifact_prefix="$ARTIFACTS/$name-" "$work/corpus")
	[[ -d $REPO/tests/fuzz/corpus/$name ]] && args+=("$REPO/tests/fuzz/corpus/$name")
	[[ -f $REPO/tests/fuzz/$name.dict ]] && args=(-dict="$REPO/tests/fuzz/$name.dict" "${args[@]}")
	# leaks of the libraries, not husk's (lsan.supp says which and why); libseccomp has
	# no frame pointers, so its stacks need the slow unwinder to match them
	local asan=${ASAN_OPTIONS:-}
	[[ $name != fuzz_seccomp_profile ]] || asan=fast_unwind_on_malloc=0${asan:+:$asan}
	(cd "$work" && ASAN_OPTIONS=$asan LSAN_OPTIONS=suppressions=$REPO/tests/fuzz/lsan.supp \
		"$bin" "${args[@]}") >"$log" 2>&1 || rc=$?
	local eps edges corp
	eps=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$log" | tail -1)
	edges=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{ print $2 }')
	corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | awk '{ print $2 }')
	if ((rc == 0)); then
		printf '%-22s %8s execs/s %6s edges  corpus %-10s OK\n' "$name" "${eps:-?}" "${edges:-?}" "${corp:-?}"
	else
		printf '%-22s %8s execs/s %6s edges  corpus %-10s CRASH (exit %d)\n' "$name" "${eps:-?}" \
			"${edges:-?}" "${corp:-?}" "$rc"
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/    /'
	fi
	rm -rf "$work"
	return $((rc != 0))
}

main() {
	build
	if ((${#FUZZERS[@]} == 0)); then
		local f
		for f in "$REPO"/tests/fuzz/fuzz_*.c; do
			f=${f##*/}
			FUZZERS+=("${f%.c}")
		done
	fi
	local passed=0 failed=0 f
	for f in "${FUZZERS[@]}"; do
		if run_one "$f"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
	done
	echo "$passed passed, $failed failed"
	((failed == 0))
}

main
