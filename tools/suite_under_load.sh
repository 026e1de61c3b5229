#!/usr/bin/env bash
# The whole test suite (tests/run.sh) RUNS times in a row (default 3) with `stress-ng --cpu 2`
# beside it, as the machine's other work would be: no test may depend on timing or on being
# alone on the machine.  Stops at the first run that fails.  Prints each run's summary and
# ends with one line "under load: N of RUNS runs passed".
#
#   tools/suite_under_load.sh [RUNS] [-- pytest arguments]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "tools/suite_under_load.sh: run as root" >&2; exit 1; }
runs=${1:-3}
shift || true
[ "${1:-}" = "--" ] && shift
"$root/deploy/install-deps.sh" >/dev/null
logdir=$(mktemp -d /tmp/kairo-under-load.XXXXXX)
passed=0
for i in $(seq 1 "$runs"); do
	stress-ng --cpu 2 --quiet &
	hog=$!
	start=$(date +%s)
	"$root/tests/run.sh" "$@" >"$logdir/run$i.log" 2>&1
	rc=$?
	kill "$hog" 2>/dev/null
	wait "$hog" 2>/dev/null
	echo "run $i: $(tail -n 1 "$logdir/run$i.log") ($(( $(date +%s) - start )) s, log $logdir/run$i.log)"
	[ "$rc" -eq 0 ] || break
	passed=$((passed + 1))
done
echo "under load: $passed of $runs runs passed"
[ "$passed" -eq "$runs" ]
