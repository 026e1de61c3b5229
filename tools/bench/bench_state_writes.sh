#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# State write-behind benchmark: the SETs per second nsdb/redis_state.c has
# Redis acknowledge, against redis-benchmark's pipelined SETs on the same
# Redis, side by side in one run.
#
#   tools/bench/bench_state_writes.sh [--runs N] [--records N] [--nat-percent P]
#                                     [--clients C] [--value-size D] [--timeout-ms M]
#                                     [--like-for-like]
#
# One redis-server on a free loopback port, started here without
# persistence (--save "" --appendonly no), serves both sides:
#
#   kairo            bench_state_writes (tools/bench/bench_state_writes.c):
#                    the rings, the store thread, and --records writes of new
#                    tuples, --nat-percent of them NAT bindings (two SETs:
#                    both keys) and the rest connections (one SET), enqueued
#                    as fast as the ring takes them, timed until Redis has
#                    acknowledged every SET.
#   redis-benchmark  -t set -n <the same SET count> -P 256 (RS_BATCH, the
#                    records the store thread pipelines per round) -r 1000000
#                    -d D -q --csv.  D is the mean key + value size of the
#                    kairo SETs less redis-benchmark's 16-byte key, so both
#                    send as many bytes per SET (about 200).  Its SETs have no
#                    PX; it runs its default 50 connections unless --clients.
#   like-for-like    (--like-for-like) redis-benchmark again, shaped as the
#                    kairo side: one connection, pipelines of as many SETs as
#                    the store thread sends per round (256 records), keys and
#                    values of kairo's mean sizes, nearly all distinct, and PX:
#                    what Redis itself allows a client that writes what kairo
#                    writes.
#
# The database is emptied before each side.  Runs alternate which side goes
# first, and the figure is the ratio kairo SETs/s / redis-benchmark SETs/s of
# each run: on a noisy two-core guest the absolute rates drift, the ratio of
# two measurements a second apart much less.  Beside the rates: the CPU
# seconds per SET of the store thread and of redis-server, which tell which
# side waits for the other.  A benchmark, not a test: no threshold.
# Build first: deploy/build.sh (BUILD_DIR selects the build, default build/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
BIN="$BUILD/tools/bench/bench_state_writes"
PY=/usr/bin/python3

RUNS=3
RECORDS=1000000
NAT_PERCENT=50
CLIENTS=""     # redis-benchmark's own default (50)
VALUE_SIZE=""  # from the plan
TIMEOUT_MS=200  # kairod's redis.timeout_ms
LIKE_FOR_LIKE=0
# The TTL kairo writes (kairod's redis.state_ttl_s default), and like-for-like's PX.
TTL_S=120
# The records nsdb/redis_state.c takes per round (RS_BATCH): redis-benchmark's pipeline depth.
PIPELINE=256
# redis-benchmark -r: its key space ("key:" and 12 digits, 16 bytes).
KEYSPACE=1000000
BENCH_KEY_BYTES=16
# Like-for-like's key space: kairo's keys are all distinct, and so are nearly all of these.
# (Redis spends more per SET on a larger keyspace: bigger tables, their rehash, cache misses.)
LIKE_KEYSPACE=1000000000

WORK=""
PIDS=()
PAUSE_PID=""
BENCH_NAME=bench_state_writes
EAL_PREFIX="bench_state_$$"
REDIS_PID=""
REDIS_PORT=""

usage() {
	cat >&2 <<-EOF
		usage: tools/bench/bench_state_writes.sh [--runs N] [--records N] [--nat-percent P]
		                                         [--clients C] [--value-size D] [--timeout-ms M]
		                                         [--like-for-like]
		  --runs N         runs, each measuring kairo and redis-benchmark (default $RUNS)
		  --records N      writes per kairo run (default $RECORDS)
		  --nat-percent P  share of NAT bindings among them, two SETs each (default $NAT_PERCENT)
		  --clients C      redis-benchmark connections (default: its own, 50)
		  --value-size D   redis-benchmark -d (default: kairo's mean key + value bytes - $BENCH_KEY_BYTES)
		  --timeout-ms M   the store thread's reply timeout (default $TIMEOUT_MS, kairod's);
		                   a reply later than that disconnects, and fails the run
		  --like-for-like  also run redis-benchmark shaped as kairo: 1 connection, its
		                   pipeline depth, key and value sizes, PX (a third column)
	EOF
	exit 2
}

# shellcheck source=tools/bench/bench_lib.sh
. "$ROOT/tools/bench/bench_lib.sh"

parse_state_args() {
	while [[ $# -gt 0 ]]; do
		case $1 in
		--runs) RUNS=${2:?}; shift 2 ;;
		--records) RECORDS=${2:?}; shift 2 ;;
		--nat-percent) NAT_PERCENT=${2:?}; shift 2 ;;
		--clients) CLIENTS=${2:?}; shift 2 ;;
		--value-size) VALUE_SIZE=${2:?}; shift 2 ;;
		--timeout-ms) TIMEOUT_MS=${2:?}; shift 2 ;;
		--like-for-like) LIKE_FOR_LIKE=1; shift ;;
		-h | --help) usage ;;
		*) echo "$BENCH_NAME: unknown argument $1" >&2; usage ;;
		esac
	done
	[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
	[[ $RECORDS =~ ^[1-9][0-9]*$ ]] || die "--records must be a positive integer"
	if ! [[ $NAT_PERCENT =~ ^[0-9]+$ ]] || ((NAT_PERCENT > 100)); then
		die "--nat-percent must be 0 .. 100"
	fi
	[[ -z $CLIENTS || $CLIENTS =~ ^[1-9][0-9]*$ ]] || die "--clients must be a positive integer"
	[[ -z $VALUE_SIZE || $VALUE_SIZE =~ ^[1-9][0-9]*$ ]] || die "--value-size must be a positive integer"
	[[ $TIMEOUT_MS =~ ^[1-9][0-9]*$ ]] || die "--timeout-ms must be a positive integer"
}

ensure_state_tools() {
	local t
	for t in redis-server redis-benchmark redis-cli; do
		command -v "$t" >/dev/null || die "$t not found (apt install redis-server redis-tools)"
	done
	[[ -x $PY ]] || die "$PY not found"
	[[ -x $BIN ]] || die "$BIN not built (run deploy/build.sh; BUILD_DIR=$BUILD)"
}

cleanup_state() {
	[[ -n $PAUSE_PID ]] && kill "$PAUSE_PID" 2>/dev/null
	local pid
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	[[ -n $WORK ]] && rm -rf "$WORK"
	# --no-shconf still leaves an empty runtime directory per file prefix.
	rm -rf "/var/run/dpdk/$EAL_PREFIX"
}

# count copies of one character (none for a count below 1).
repeat() {
	local n=$2
	((n > 0)) || return 0
	head -c "$n" /dev/zero | tr '\0' "$1"
}

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_redis() {
	local i
	REDIS_PORT=$(free_port)
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
		--dir "$WORK" --logfile "$WORK/redis.log" --daemonize no >/dev/null 2>&1 &
	REDIS_PID=$!
	PIDS+=("$REDIS_PID")
	for ((i = 0; i < 100; i++)); do
		[[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && return 0
		kill -0 "$REDIS_PID" 2>/dev/null || break
		sleep 0.1
	done
	start_failed redis-server "$WORK/redis.log"
}

# CPU seconds (user + system) redis-server has used so far.
redis_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' \
		"/proc/$REDIS_PID/stat"
}

flush_redis() {
	[[ $(redis-cli -p "$REDIS_PORT" flushall) == OK ]] || die "FLUSHALL refused"
}

# Sets K_RESULT to "k_sets_per_s=... k_records_per_s=... k_store_cpu_s=... k_server_cpu_s=...".
run_kairo() {
	local tag=$1 out="$WORK/$1.kairo.out" cpu0 cpu1 line
	flush_redis
	cpu0=$(redis_cpu)
	"${KAIRO_CMD[@]}" >"$out" 2>&1 ||
		{ tail -n 15 "$out" >&2; die "$tag: bench_state_writes failed"; }
	cpu1=$(redis_cpu)
	line=$(grep -m1 '^result ' "$out") || die "$tag: no result line from bench_state_writes"
	K_RESULT="$(sed -E 's/^result //; s/(^| )/\1k_/g' <<<"$line") k_server_cpu_s=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b - a }')"
}

# Sets B_RESULT to "P_sets_per_s=... P_client_cpu_s=... P_seconds=... P_server_cpu_s=..." for
# the redis-benchmark command in the array named by $2, P the prefix $3.
run_redis_benchmark() {
	local tag=$1 prefix=$3 out="$WORK/$1.$3.csv" times="$WORK/$1.$3.time" cpu0 cpu1 rps
	local -n cmd=$2
	flush_redis
	cpu0=$(redis_cpu)
	TIMEFORMAT="%U %S %R"
	{ time "${cmd[@]}" >"$out" 2>&1; } 2>"$times" ||
		{ cat "$out" >&2; die "$tag: redis-benchmark failed"; }
	cpu1=$(redis_cpu)
	# The rate of the last CSV row; a custom command's name holds quotes and commas.
	rps=$("$PY" -c 'import csv, sys; print(list(csv.reader(open(sys.argv[1])))[-1][1])' "$out" 2>/dev/null) ||
		rps=""
	if ! [[ $rps =~ ^[0-9.]+$ ]]; then
		cat "$out" >&2
		die "$tag: no rate from redis-benchmark"
	fi
	B_RESULT=$(awk -v p="$prefix" -v rps="$rps" -v a="$cpu0" -v b="$cpu1" \
		'{ printf "%s_sets_per_s=%s %s_client_cpu_s=%.3f %s_seconds=%.3f %s_server_cpu_s=%.3f", p, rps, p, $1 + $2, p, $3, p, b - a }' "$times")
}

# One line per run, and the summary: medians over the runs.
report() {
	"$PY" - "$WORK/results" "$1" <<-'EOF'
		import statistics, sys

		rows = [dict(kv.split("=", 1) for kv in line.split())
		        for line in open(sys.argv[1]) if line.strip()]
		f = lambda r, k: float(r[k])  # noqa: E731
		ratio = lambda r: f(r, "k_sets_per_s") / f(r, "b_sets_per_s")  # noqa: E731
		us_per_set = lambda r, k, sets: f(r, k) / sets * 1e6  # noqa: E731
		if sys.argv[2] == "row":
		    r = rows[-1]
		    sets = f(r, "k_sets")
		    print(f"  run {r['run']}: kairo {f(r, 'k_records_per_s'):>9,.0f} records/s"
		          f" {f(r, 'k_sets_per_s'):>9,.0f} SETs/s"
		          f" (CPU/SET: store thread {us_per_set(r, 'k_store_cpu_s', sets):.2f} us,"
		          f" redis-server {us_per_set(r, 'k_server_cpu_s', sets):.2f} us;"
		          f" {sets / f(r, 'k_batches'):.0f} SETs/pipeline)"
		          f"  redis-benchmark {f(r, 'b_sets_per_s'):>9,.0f} SETs/s"
		          f" (CPU/SET: client {us_per_set(r, 'b_client_cpu_s', sets):.2f} us,"
		          f" redis-server {us_per_set(r, 'b_server_cpu_s', sets):.2f} us)"
		          f"  ratio {ratio(r):.3f}", end="")
		    if "l_sets_per_s" in r:
		        print(f"  like-for-like {f(r, 'l_sets_per_s'):>9,.0f} SETs/s"
		              f" (redis-server {us_per_set(r, 'l_server_cpu_s', sets):.2f} us)"
		              f"  ratio {f(r, 'k_sets_per_s') / f(r, 'l_sets_per_s'):.3f}", end="")
		    print()
		    sys.exit(0)

		def line(label, values, fmt):
		    return (f"  {label:<36} median {fmt.format(statistics.median(values))}"
		            f"  min {fmt.format(min(values))}  max {fmt.format(max(values))}")

		sets = f(rows[0], "k_sets")
		print(f"summary ({rows[0]['k_records']} records = {sets:.0f} SETs, {len(rows)} runs):")
		print(line("kairo records/s", [f(r, "k_records_per_s") for r in rows], "{:,.0f}"))
		print(line("kairo SETs/s", [f(r, "k_sets_per_s") for r in rows], "{:,.0f}"))
		print(line("redis-benchmark SETs/s", [f(r, "b_sets_per_s") for r in rows], "{:,.0f}"))
		print(line("ratio kairo/redis-benchmark", [ratio(r) for r in rows], "{:.3f}"))
		like = [r for r in rows if "l_sets_per_s" in r]
		if like:
		    print(line("like-for-like SETs/s", [f(r, "l_sets_per_s") for r in like], "{:,.0f}"))
		    print(line("ratio kairo/like-for-like",
		               [f(r, "k_sets_per_s") / f(r, "l_sets_per_s") for r in like], "{:.3f}"))
		    print(line("like-for-like redis-server us/SET",
		               [us_per_set(r, "l_server_cpu_s", sets) for r in like], "{:.2f}"))
		print(line("kairo store thread us CPU/SET",
		           [us_per_set(r, "k_store_cpu_s", sets) for r in rows], "{:.2f}"))
		print(line("kairo redis-server us CPU/SET",
		           [us_per_set(r, "k_server_cpu_s", sets) for r in rows], "{:.2f}"))
		print(line("benchmark redis-server us CPU/SET",
		           [us_per_set(r, "b_server_cpu_s", sets) for r in rows], "{:.2f}"))
		# Busy share of the window: 1.0 means the side kept a core busy the whole time.
		print(line("kairo: store thread busy share",
		           [f(r, "k_store_cpu_s") / f(r, "k_seconds") for r in rows], "{:.2f}"))
		print(line("kairo: redis-server busy share",
		           [f(r, "k_server_cpu_s") / f(r, "k_seconds") for r in rows], "{:.2f}"))
		print(line("benchmark: redis-server busy share",
		           [f(r, "b_server_cpu_s") / f(r, "b_seconds") for r in rows], "{:.2f}"))
	EOF
}

main() {
	local run plan sets key_bytes value_bytes key_len value_len result
	local -a KAIRO_CMD REDIS_BENCHMARK LIKE_FOR_LIKE_CMD
	parse_state_args "$@"
	export LC_ALL=C
	ensure_state_tools
	trap cleanup_state EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	WORK=$(mktemp -d /tmp/kairo-bench-state.XXXXXX)

	plan=$("$BIN" --plan --records "$RECORDS" --nat-percent "$NAT_PERCENT") || die "--plan failed"
	plan=$(grep -m1 '^plan records=' <<<"$plan")
	sets=$(grep -oE ' sets=[0-9]+' <<<"$plan" | cut -d= -f2)
	key_bytes=$(grep -oE ' key_bytes=[0-9.]+' <<<"$plan" | cut -d= -f2)
	value_bytes=$(grep -oE ' value_bytes=[0-9.]+' <<<"$plan" | cut -d= -f2)
	[[ -n $VALUE_SIZE ]] || VALUE_SIZE=$(awk -v k="$key_bytes" -v v="$value_bytes" -v b="$BENCH_KEY_BYTES" \
		'BEGIN { d = int(k + v - b + 0.5); print (d > 0 ? d : 1) }')
	start_redis
	REDIS_BENCHMARK=(redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t set -n "$sets" -P "$PIPELINE"
		-r "$KEYSPACE" -d "$VALUE_SIZE")
	[[ -n $CLIENTS ]] && REDIS_BENCHMARK+=(-c "$CLIENTS")
	REDIS_BENCHMARK+=(-q --csv)
	# Keys of kairo's mean length ending in redis-benchmark's 12 random digits; PX as written.
	key_len=$(awk -v k="$key_bytes" 'BEGIN { printf "%d", k + 0.5 }')
	value_len=$(awk -v v="$value_bytes" 'BEGIN { printf "%d", v + 0.5 }')
	LIKE_FOR_LIKE_CMD=(redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -n "$sets" -c 1
		-P $((PIPELINE * sets / RECORDS)) -r "$LIKE_KEYSPACE" -q --csv
		SET "kairo:bench:$(repeat k $((key_len - 24)))__rand_int__" "$(repeat v "$value_len")"
		PX $((TTL_S * 1000)))

	KAIRO_CMD=("$BIN" --no-huge --no-shconf -m 256 --no-pci --file-prefix "$EAL_PREFIX"
		--lcores "0@(0-$(($(nproc) - 1)))" --log-level 'lib.*:error'
		-- --port "$REDIS_PORT" --records "$RECORDS" --nat-percent "$NAT_PERCENT"
		--timeout-ms "$TIMEOUT_MS" --ttl-s "$TTL_S")
	echo "kairo $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')," \
		"DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?')," \
		"hiredis $(pkg-config --modversion hiredis 2>/dev/null || echo '?')," \
		"$(redis-server --version | grep -oE 'v=[0-9.]+' | sed 's/v=/redis-server /'), $(nproc) CPUs"
	echo "== $RECORDS records ($NAT_PERCENT% NAT) = $sets SETs; mean key $key_bytes B + value $value_bytes B;" \
		"$RUNS runs =="
	echo "   kairo:           ${KAIRO_CMD[*]#$ROOT/}"
	echo "   redis-benchmark: ${REDIS_BENCHMARK[*]}"
	((LIKE_FOR_LIKE)) &&
		echo "   like-for-like:   ${LIKE_FOR_LIKE_CMD[*]:0:15} SET <${key_len}-byte key> <${value_len}-byte value> PX $((TTL_S * 1000))"
	for ((run = 1; run <= RUNS; run++)); do
		# Odd runs start with kairo, even ones with redis-benchmark.
		if ((run % 2 == 1)); then
			run_kairo "$run"
			run_redis_benchmark "$run" REDIS_BENCHMARK b
			result="$K_RESULT $B_RESULT"
		else
			run_redis_benchmark "$run" REDIS_BENCHMARK b
			result=$B_RESULT
			run_kairo "$run"
			result="$K_RESULT $result"
		fi
		if ((LIKE_FOR_LIKE)); then
			run_redis_benchmark "$run" LIKE_FOR_LIKE_CMD l
			result="$result $B_RESULT"
		fi
		echo "run=$run $result" >>"$WORK/results"
		report row
	done
	report summary
}

main "$@"
