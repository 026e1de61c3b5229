#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Forwarding benchmark: kairod's cached fast path against dpdk-testpmd's io
# forwarding, on the same two virtual devices and the same core.
#
#   tools/bench/bench_fwd.sh [--runs N] [--seconds T] [--warmup W] [--cases 1k,128k]
#
# Traffic: a pcap of 64-byte UDP frames, one frame per flow, replayed without
# end by net_pcap (infinite_rx=1) and sent to net_null, which frees it.  No
# NIC, no hugepages: both programs run with --no-huge on lcores 0-1, the
# forwarding loop alone on lcore 1.
#
#   kairod:  pcap port (role uplink) and null port on a two-port bridge.  The
#            destination MAC is never learned, so every flow floods to the
#            only other port: one cached "output:null" flow per 5-tuple.
#   testpmd: io forwarding pcap -> null, no lookup at all: the ceiling.
#
# Each run measures both, in alternating order so drift on the shared VM
# does not always favour the same side.  The figure is the null port's TX
# rate over --seconds after --warmup seconds (long enough for every flow to
# be installed; the run waits longer if they are not).  It is a benchmark,
# not a test: no threshold, the issue's bar is only printed beside the ratio.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH="$ROOT/tools/bench"
KAIROD="$ROOT/build/kairod"
TESTPMD=${TESTPMD:-/usr/bin/dpdk-testpmd}
PY=/usr/bin/python3
CALC=("$PY" "$BENCH/bench_calc.py")

RUNS=5
MEASURE_S=5
WARMUP_S=2
CASES=1k,128k
# Extra time (s) a run may wait for the flow cache to hold every flow.
INSTALL_WAIT_S=30
# Mbufs beyond the frames net_pcap keeps loaded: descriptors, per-lcore caches, bursts in flight.
MBUF_HEADROOM=32768

# Same EAL memory and cores for both programs.  -m must hold the loaded pcap
# (an mbuf per frame) plus, for kairod, a flow cache of twice the flows.
EAL_COMMON=(-l 0-1 --no-huge --no-shconf -m 2048 --no-pci)

WORK=""
PIDS=()
TPMD_FD="" # write end of testpmd's prompt FIFO while it runs
PAUSE_PID=""
BENCH_NAME=bench_fwd
KAIRO_PREFIX="bench_kairo_$$"
TPMD_PREFIX="bench_tpmd_$$"

usage() {
	cat >&2 <<-EOF
		usage: tools/bench/bench_fwd.sh [--runs N] [--seconds T] [--warmup W] [--cases 1k,128k]
		  --runs N     runs per case, each measuring kairod and testpmd (default $RUNS)
		  --seconds T  measured window per program and run (default $MEASURE_S)
		  --warmup W   seconds of traffic before the window (default $WARMUP_S)
		  --cases L    comma-separated flow counts: 1k, 128k, or plain numbers (default $CASES)
	EOF
	exit 2
}

# shellcheck source=tools/bench/bench_lib.sh
. "$ROOT/tools/bench/bench_lib.sh"

write_kairod_config() {
	local dir=$1 pcap=$2 flows=$3
	# Bindings name the config's ports; the bridge has exactly these two.
	cat >"$dir/topology.json" <<-EOF
		{
		  "bridges": [
		    { "id": "6b616972-6f00-4000-8000-0000000000b0", "name": "bench-bridge",
		      "mac_aging_s": 3600,
		      "ports": [ { "id": "6b616972-6f00-4000-8000-0000000000b1" },
		                 { "id": "6b616972-6f00-4000-8000-0000000000b2" } ] }
		  ],
		  "bindings": [
		    { "port": "6b616972-6f00-4000-8000-0000000000b1", "interface": "in" },
		    { "port": "6b616972-6f00-4000-8000-0000000000b2", "interface": "out" }
		  ]
		}
	EOF
	# The pcap port is an uplink so its misses draw on the tunnel bucket, as
	# traffic from other hosts would.  Capacity 2x the flows keeps the cuckoo
	# table well away from full; the timeouts outlast any run.
	cat >"$dir/kairod.json" <<-EOF
		{
		  "host": "bench",
		  "topology_file": "topology.json",
		  "workers": 1,
		  "mbufs": $((flows + MBUF_HEADROOM - 1)),
		  "flow_cache": { "capacity": $((flows * 2 > 1024 ? flows * 2 : 1024)),
		                  "idle_timeout_ms": 3600000 },
		  "ports": [
		    { "name": "in", "device": "net_pcap0,rx_pcap=$pcap,infinite_rx=1", "role": "uplink" },
		    { "name": "out", "device": "net_null0,no-rx=1", "role": "vport" }
		  ]
		}
	EOF
}

# SIGUSR1 makes kairod write --stats-json (by rename, so it is whole once it exists).
kairod_snapshot() {
	local pid=$1 stats=$2 dest=$3 i
	rm -f "$stats"
	kill -USR1 "$pid"
	for ((i = 0; i < 600; i++)); do
		[[ -s $stats ]] && { mv "$stats" "$dest"; return 0; }
		kill -0 "$pid" 2>/dev/null || die "kairod exited while writing its stats"
		sleep 0.1
	done
	die "kairod wrote no stats within 60 s of SIGUSR1"
}

# Sets K_RESULT to "k_mpps=... k_cpp=..." for one kairod run.
run_kairod() {
	local dir=$1 flows=$2 tag=$3
	local out="$WORK/$tag.kairod.out" err="$WORK/$tag.kairod.err" stats="$WORK/stats.json"
	local pid tsc_khz t0 waited=0 have

	# stdout carries the text view, which lists every flow on each SIGUSR1
	# (100+ MB at 128K flows): keep everything but the flow lines.
	"$KAIROD" "${EAL_COMMON[@]}" --file-prefix "$KAIRO_PREFIX" --log-level=lib.eal:debug \
		-- --config "$dir/kairod.json" --stats-json "$stats" \
		> >(grep --line-buffered -vE ' packets:[0-9]+ bytes:[0-9]+ ' >"$out") 2>"$err" &
	pid=$!
	PIDS+=("$pid")
	wait_for_line "$out" '^kairod: ready' "$pid" 120 || start_failed kairod "$out" "$err"

	# The worker's cycle counters are TSC ticks; EAL says at debug level what a tick is.
	tsc_khz=$(grep -ohE 'TSC frequency is ~[0-9]+ KHz' "$err" "$out" | head -n 1 | grep -oE '[0-9]+' || true)
	[[ -n $tsc_khz ]] || start_failed "kairod (no TSC frequency in the EAL log)" "$err"
	TSC_HZ=$((tsc_khz * 1000))

	pause "$WARMUP_S"
	# The window must see cached hits only: wait until every flow is installed.
	while :; do
		t0=$(now)
		kairod_snapshot "$pid" "$stats" "$WORK/$tag.a.json"
		have=$("${CALC[@]}" flows "$WORK/$tag.a.json")
		((have >= flows || waited >= INSTALL_WAIT_S)) && break
		pause 1
		waited=$((waited + 1))
	done
	((have >= flows)) || log "$tag: only $have of $flows flows installed after warm-up; measuring anyway"
	# Count the window from the request, so a slow dump (128K flows) does not lengthen it.
	sleep_rest "$t0" "$MEASURE_S"
	kairod_snapshot "$pid" "$stats" "$WORK/$tag.b.json"
	stop_pid "$pid"

	K_RESULT=$("${CALC[@]}" kairod "$WORK/$tag.a.json" "$WORK/$tag.b.json" --tsc-hz "$TSC_HZ" --port out) ||
		die "$tag: kairod forwarded nothing: $K_RESULT"
	K_RESULT=$(sed -E 's/(^| )/\1k_/g' <<<"$K_RESULT")
}

# One command to testpmd's prompt; a subshell so a dead reader cannot SIGPIPE the script.
testpmd_cmd() {
	(echo "$1" >&"$TPMD_FD") 2>/dev/null || die "testpmd is gone (command \"$1\")"
}

# Sets T_RESULT to "t_mpps=... t_cpp=..." for one testpmd run.
#
# testpmd runs interactively (-i --auto-start) with its prompt read from a
# FIFO, and is asked "show port stats 1" after the warm-up and again
# --seconds later.  The second answer's Tx-pps is the rate between the two,
# from testpmd's own TSC readings: the same kind of window as kairod's.
# (--stats-period is not used: its loop sleeps 1 s and compares against
# EAL's rounded TSC rate, so on this VM it skips periods.)
# testpmd's printf output to a file is block-buffered: the prompt (written
# directly) says forwarding has started, and the answers are read once
# "quit" has made it exit and flush.
run_testpmd() {
	local pcap=$1 flows=$2 tag=$3
	local out="$WORK/$tag.testpmd.out" fifo="$WORK/testpmd.in" pid

	rm -f "$fifo"
	mkfifo "$fifo"
	# --vdev order fixes the port ids: 0 is net_pcap, 1 is net_null.
	"$TESTPMD" "${EAL_COMMON[@]}" --file-prefix "$TPMD_PREFIX" \
		--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev "net_null0,no-rx=1" \
		-- -i --auto-start --forward-mode=io --nb-cores=1 \
		--total-num-mbufs=$((flows + MBUF_HEADROOM)) <"$fifo" >"$out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	exec {TPMD_FD}>"$fifo"
	wait_for_line "$out" '^testpmd> ' "$pid" 120 || start_failed testpmd "$out"

	pause "$WARMUP_S"
	testpmd_cmd "show port stats 1"
	pause "$MEASURE_S"
	testpmd_cmd "show port stats 1"
	testpmd_cmd "quit"
	exec {TPMD_FD}>&-
	TPMD_FD=""
	# A signal now would kill it before its buffered answers reach the file.
	wait_exit "$pid" 30 || log "$tag: testpmd did not quit within 30 s"
	stop_pid "$pid"

	T_RESULT=$("${CALC[@]}" testpmd "$out" --port 1 --tsc-hz "$TSC_HZ") ||
		die "$tag: no Tx-pps from testpmd: $T_RESULT"
	T_RESULT=$(sed -E 's/(^| )/\1t_/g' <<<"$T_RESULT")
}

run_case() {
	local name=$1 flows dir pcap run
	flows=$(case_flows "$name")
	dir="$WORK/$name"
	pcap="$dir/flows.pcap"
	mkdir -p "$dir"

	echo "== case $name: $flows flows, $RUNS runs, ${WARMUP_S} s warm-up + ${MEASURE_S} s measured =="
	"$PY" "$BENCH/gen_pcap.py" --flows "$flows" --out "$pcap"
	write_kairod_config "$dir" "$pcap" "$flows"

	for ((run = 1; run <= RUNS; run++)); do
		# Odd runs start with kairod, even ones with testpmd.  kairod goes
		# first in the first run anyway: testpmd needs its TSC rate.
		if ((run % 2 == 1)); then
			run_kairod "$dir" "$flows" "$name.$run"
			run_testpmd "$pcap" "$flows" "$name.$run"
		else
			run_testpmd "$pcap" "$flows" "$name.$run"
			run_kairod "$dir" "$flows" "$name.$run"
		fi
		echo "case=$name run=$run flows_wanted=$flows $K_RESULT $T_RESULT" >>"$WORK/results"
		"${CALC[@]}" row "$WORK/results"
		# Snapshots (40 MB each at 128K flows) and logs are done with: keep only the results.
		rm -f "$WORK/$name.$run".*
	done
	"${CALC[@]}" summary "$WORK/results" --case "$name"
	echo
}

main() {
	local name
	parse_args "$@"
	export LC_ALL=C
	ensure_tools
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	WORK=$(mktemp -d /tmp/kairo-bench.XXXXXX)
	TSC_HZ=0

	echo "kairod $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')," \
		"DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?'), $(nproc) CPUs"
	IFS=, read -ra names <<<"$CASES"
	for name in "${names[@]}"; do
		run_case "$name"
	done
}

main "$@"
