# SPDX-License-Identifier: Apache-2.0
#
# What the testpmd-comparison benchmarks (bench_fwd.sh, bench_overlay.sh)
# share: arguments, tools, starting and stopping processes, timing.  Sourced,
# not run; the script sets first:
#   BENCH_NAME                 its name in messages
#   KAIRO_PREFIX, TPMD_PREFIX  the EAL file prefixes of its kairod and testpmd
#   RUNS MEASURE_S WARMUP_S CASES, KAIROD TESTPMD PY ROOT, WORK PIDS TPMD_FD PAUSE_PID
# and defines usage().

die() {
	echo "$BENCH_NAME: $*" >&2
	exit 1
}

log() {
	echo "$BENCH_NAME: $*" >&2
}

parse_args() {
	while [[ $# -gt 0 ]]; do
		case $1 in
		--runs) RUNS=${2:?}; shift 2 ;;
		--seconds) MEASURE_S=${2:?}; shift 2 ;;
		--warmup) WARMUP_S=${2:?}; shift 2 ;;
		--cases) CASES=${2:?}; shift 2 ;;
		-h | --help) usage ;;
		*) echo "$BENCH_NAME: unknown argument $1" >&2; usage ;;
		esac
	done
	[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
	[[ $MEASURE_S =~ ^[1-9][0-9]*$ ]] || die "--seconds must be a positive integer"
	[[ $WARMUP_S =~ ^[0-9]+$ ]] || die "--warmup must be an integer"
}

# "1k" -> 1024, "128k" -> 131072, a plain number stays as it is.
case_flows() {
	if [[ $1 =~ ^([0-9]+)[kK]$ ]]; then
		echo $((BASH_REMATCH[1] * 1024))
	elif [[ $1 =~ ^[0-9]+$ ]]; then
		echo "$1"
	else
		die "case \"$1\" is not a flow count (1k, 128k, 5000)"
	fi
}

ensure_tools() {
	[[ -x $TESTPMD ]] || die "$TESTPMD not found (apt install dpdk-dev)"
	[[ -x $PY ]] || die "$PY not found"
	if [[ ! -x $KAIROD ]]; then
		log "building kairod"
		[[ -f $ROOT/build/build.ninja ]] || meson setup "$ROOT/build" "$ROOT" >&2
		ninja -C "$ROOT/build" >&2
	fi
	[[ -x $KAIROD ]] || die "no $KAIROD after the build"
}

# Stop one process we started: SIGTERM, then SIGKILL if it will not go.
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid ignored SIGTERM for 15 s, killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# Wait up to timeout_s for pid to exit by itself; 1 if it is still there.
wait_exit() {
	local pid=$1 timeout_s=$2 i
	for ((i = 0; i < timeout_s * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

cleanup() {
	local pid
	# testpmd's prompt blocks in read() on the FIFO and only leaves on EOF,
	# even after SIGTERM: close our end first, and the copy an interrupted
	# pause's sleep inherited.
	if [[ -n $PAUSE_PID ]]; then
		kill "$PAUSE_PID" 2>/dev/null || true
	fi
	if [[ -n $TPMD_FD ]]; then
		exec {TPMD_FD}>&-
	fi
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	[[ -n $WORK ]] && rm -rf "$WORK"
	# --no-shconf still leaves an empty runtime directory per file prefix.
	rm -rf "/var/run/dpdk/$KAIRO_PREFIX" "/var/run/dpdk/$TPMD_PREFIX"
}

# Wait until file has a line matching pattern, while pid lives; 1 on timeout or death.
wait_for_line() {
	local file=$1 pattern=$2 pid=$3 timeout_s=$4 i
	for ((i = 0; i < timeout_s * 10; i++)); do
		grep -qE "$pattern" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

start_failed() {
	local what=$1
	shift
	echo "$BENCH_NAME: $what did not start; last lines of its output:" >&2
	tail -n 15 "$@" >&2 || true
	exit 1
}

# sleep that a trapped signal interrupts (bash runs traps only between commands).
pause() {
	sleep "$1" &
	PAUSE_PID=$!
	wait "$PAUSE_PID"
	PAUSE_PID=""
}

now() {
	echo "$EPOCHREALTIME"
}

# Sleep for what is left of seconds since a start time taken with now().
sleep_rest() {
	local start=$1 seconds=$2 left
	left=$(awk -v s="$start" -v n="$(now)" -v t="$seconds" 'BEGIN { r = t - (n - s); print (r > 0 ? r : 0) }')
	pause "$left"
}
