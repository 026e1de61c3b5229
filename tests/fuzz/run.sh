#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan+UBSan, a build directory of their own) and run each
# for SECONDS on a copy of its seed corpus.  One line per harness, then "N passed, N failed".
# Exits 1 if the build fails or any harness crashed, timed out or broke an invariant; the input
# that did it is kept and its path printed.
#
#   tests/fuzz/run.sh SECONDS [HARNESS...]        e.g. tests/fuzz/run.sh 20, run.sh 600 packet
#   tests/fuzz/run.sh --junit FILE SECONDS ...    also write the results as junit XML
#
# KAIRO_FUZZ_BUILD (default build-fuzz/) is the build directory; its fuzz-work/HARNESS/ holds
# each run's corpus copy (seeds plus what the run found), log and crash inputs.  The seeds in
# tests/fuzz/corpus/ are never written.  Extra libFuzzer flags: KAIRO_FUZZ_FLAGS.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ALL=(packet config topology ctl_request state_keys state_image)
HARNESSES=("${ALL[@]}")

junit=
if [ "${1:-}" = "--junit" ]; then
	junit=$2
	shift 2
fi
seconds=${1:-}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
	echo "usage: tests/fuzz/run.sh [--junit FILE] SECONDS [HARNESS...] (${ALL[*]})" >&2
	exit 2
fi
shift
[ "$#" -gt 0 ] && HARNESSES=("$@")
build=${KAIRO_FUZZ_BUILD:-$root/build-fuzz}

passed=0
failed=0
cases=()   # junit testcases, one per harness (and the build when it fails)

xml_escape() {
	sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'
}

# A junit testcase: NAME SECONDS [FAILURE-MESSAGE, FILE-WITH-DETAILS].
add_case() {
	local name=$1 time=$2 msg=${3:-} details=${4:-}
	local c="<testcase classname=\"fuzz\" name=\"$name\" time=\"$time\">"
	if [ -n "$msg" ]; then
		c+="<failure message=\"$(printf '%s' "$msg" | xml_escape)\">"
		# Printable ASCII only: a log may quote an input's bytes, which XML cannot hold.
		[ -n "$details" ] && c+=$(tail -n 60 "$details" | tr -cd '\11\12\40-\176' | xml_escape)
		c+="</failure>"
	fi
	cases+=("$c</testcase>")
}

finish() {
	if [ -n "$junit" ]; then
		{
			echo '<?xml version="1.0" encoding="utf-8"?>'
			echo "<testsuites><testsuite name=\"fuzz\" tests=\"$((passed + failed))\"" \
				"errors=\"0\" failures=\"$failed\" skipped=\"0\">"
			printf '%s\n' "${cases[@]}"
			echo "</testsuite></testsuites>"
		} > "$junit"
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}

# The fuzz build: its own directory, clang, -Dfuzz=true (meson.build adds the sanitizers and
# the coverage hooks); debugoptimized so that stacks read well and asserts stay in.  Only the
# harnesses are built, not kairod and the tests.  Without -Werror: the gcc builds hold the code
# to that, and a warning only clang gives (an unused static function) is not a fuzzing failure;
# they are counted in the build log.
targets=()
for h in "${HARNESSES[@]}"; do
	if [ ! -d "$root/tests/fuzz/corpus/$h" ]; then
		echo "tests/fuzz/run.sh: no harness \"$h\" (${ALL[*]})" >&2
		exit 2
	fi
	targets+=("tests/fuzz/fuzz_$h")
done
mkdir -p "$build"
buildlog="$build/fuzz-build.log"
echo "== fuzz build ($build)"
if { [ -f "$build/build.ninja" ] ||
	CC=clang meson setup "$build" "$root" -Dfuzz=true -Dbuildtype=debugoptimized; } \
		> "$buildlog" 2>&1 &&
	ninja -C "$build" -j "${KAIRO_BUILD_JOBS:-2}" "${targets[@]}" >> "$buildlog" 2>&1; then
	:
else
	tail -n 40 "$buildlog" >&2
	echo "fuzz build failed (whole log: $buildlog)" >&2
	failed=$((failed + 1))
	add_case build 0 "the fuzz build failed" "$buildlog"
	finish
fi
warnings=$(grep -c 'warning:' "$buildlog")
[ "$warnings" -eq 0 ] || echo "fuzz build: $warnings compiler warnings (clang's; see $buildlog)"

# Every report aborts (libFuzzer keeps the input); leaks are checked too: the harnesses free
# what each input made, and EAL's memory is still referenced at exit.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

for h in "${HARNESSES[@]}"; do
	work="$build/fuzz-work/$h"
	rm -rf "$work"
	mkdir -p "$work/corpus"
	cp "$root/tests/fuzz/corpus/$h"/* "$work/corpus/"
	start=$(date +%s)
	# -timeout: an input that takes 25 s is a hang, kept as timeout-* (every input takes well
	# under a millisecond); -rss_limit_mb: a leak or a runaway allocation is a failure too.
	# shellcheck disable=SC2086
	"$build/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/" ${KAIRO_FUZZ_FLAGS:-} \
		"$work/corpus" > "$work/log" 2>&1
	rc=$?
	elapsed=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$work/log" | tail -n 1)
	artifact=$(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null |
		head -n 1)
	# A timeout is replayed once: on this shared two-core machine the whole process can stall
	# for seconds.  One that runs through on its own was the machine, not a hang: said, and
	# the run counts for what it was.
	note=
	case $artifact in */timeout-*)
		if "$build/tests/fuzz/fuzz_$h" -timeout=25 "$artifact" > "$work/replay.log" 2>&1; then
			note=" (a timeout that did not reproduce: $artifact)"
			artifact=
			rc=0
		fi
	esac
	if [ "$rc" -eq 0 ] && [ -z "$artifact" ] && [ -n "$execs" ]; then
		result=ok
		passed=$((passed + 1))
		add_case "$h" "$elapsed"
	else
		result="FAILED (exit $rc)${artifact:+, input: $artifact}"
		failed=$((failed + 1))
		add_case "$h" "$elapsed" "fuzz_$h: $result" "$work/log"
		grep -m 1 -A 30 -E '^==[0-9]+==ERROR|runtime error|invariant broken|deadly signal' \
			"$work/log" >&2
		echo "fuzz_$h: whole log in $work/log" >&2
	fi
	printf 'fuzz %-12s %12s execs  %8s exec/s  %-30s %s\n' "$h" "${execs:-0}" "${rate:-0}" \
		"${cov:-no coverage line}" "$result$note"
done
finish
