#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Overlay benchmark: kairod's VXLAN decapsulation and encapsulation on one
# worker lcore against dpdk-testpmd's io forwarding on the same pcap and
# devices, alternating in the same run (the method of bench_fwd.sh).
#
#   tools/bench/bench_overlay.sh [--runs N] [--seconds T] [--warmup W]
#                                [--cases decap:1k,decap:128k,encap:1k,encap:128k]
#
#   decap:N  a pcap of VXLAN packets from host-b (192.168.50.2) to this host,
#            VNI 1 (the key of the local port), N distinct inner flows of
#            64-byte frames, replayed without end into the underlay uplink;
#            kairod checks the outer headers, strips them and sends the inner
#            frame to net_null by its key: no lookup, no simulation.
#   encap:N  a pcap of N 64-byte frames, one flow each, into a local port of a
#            bridge whose other port is bound on host-b; every flow is cached
#            as one VXLAN tunnel output to net_null, the underlay uplink (its
#            next hop a static neighbour, so no ARP is needed).
#   testpmd: io forwarding of the same pcap to net_null: the ceiling.
#
# The figure is the null port's TX rate over --seconds after --warmup.  It is
# a benchmark, not a test: the issue's goal (0.33 of testpmd) is printed
# beside the ratio.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH="$ROOT/tools/bench"
KAIROD=${KAIROD:-$ROOT/build/kairod}
TESTPMD=${TESTPMD:-/usr/bin/dpdk-testpmd}
PY=/usr/bin/python3
CALC=("$PY" "$BENCH/bench_calc.py")

RUNS=5
MEASURE_S=5
WARMUP_S=2
CASES=decap:1k,decap:128k,encap:1k,encap:128k
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
BENCH_NAME=bench_overlay
KAIRO_PREFIX="bench_okairo_$$"
TPMD_PREFIX="bench_otpmd_$$"

usage() {
	cat >&2 <<-EOF
		usage: tools/bench/bench_overlay.sh [--runs N] [--seconds T] [--warmup W] [--cases LIST]
		  --runs N     runs per case, each measuring kairod and testpmd (default $RUNS)
		  --seconds T  measured window per program and run (default $MEASURE_S)
		  --warmup W   seconds of traffic before the window (default $WARMUP_S)
		  --cases L    comma-separated decap:N / encap:N, N = 1k, 128k or a number (default $CASES)
	EOF
	exit 2
}

# shellcheck source=tools/bench/bench_lib.sh
. "$ROOT/tools/bench/bench_lib.sh"

# The topology both cases share: bridge b1, port p1 (key 1) here, p2 on host-b.
write_topology() {
	local dir=$1 local_if=$2
	cat >"$dir/topology.json" <<-EOF
		{
		  "bridges": [ { "id": "b1", "name": "bench-bridge", "mac_aging_s": 3600,
		                 "ports": [ { "id": "p1" }, { "id": "p2" } ] } ],
		  "hosts": [ { "id": "host-a" }, { "id": "host-b" } ],
		  "tunnel_zones": [ { "id": "tz", "type": "vxlan",
		                      "members": [ { "host": "host-a", "address": "192.168.50.1" },
		                                   { "host": "host-b", "address": "192.168.50.2" } ] } ],
		  "bindings": [ { "port": "p1", "host": "host-a", "interface": "$local_if" },
		                { "port": "p2", "host": "host-b", "interface": "vm2" } ]
		}
	EOF
}

# decap: the pcap is the underlay uplink, net_null is the VM.  encap: the other way round.
write_kairod_config() {
	local dir=$1 pcap=$2 flows=$3 mode=$4 in_role up_if
	if [[ $mode == decap ]]; then
		write_topology "$dir" out
		in_role=uplink
		up_if=in
	else
		write_topology "$dir" in
		in_role=vport
		up_if=out
	fi
	cat >"$dir/kairod.json" <<-EOF
		{
		  "host": "bench", "host_id": "host-a",
		  "topology_file": "topology.json",
		  "workers": 1,
		  "mbufs": $((flows + MBUF_HEADROOM - 1)),
		  "flow_cache": { "capacity": $((flows * 2 > 1024 ? flows * 2 : 1024)),
		                  "idle_timeout_ms": 3600000 },
		  "underlay": { "interface": "$up_if", "address": "192.168.50.1/24", "mtu": 1500,
		                "neighbours": [ { "address": "192.168.50.2", "mac": "02:00:00:00:50:02" } ] },
		  "ports": [
		    { "name": "in", "device": "net_pcap0,rx_pcap=$pcap,infinite_rx=1",
		      "role": "$in_role" },
		    { "name": "out", "device": "net_null0,no-rx=1",
		      "role": "$([[ $mode == decap ]] && echo vport || echo uplink)" }
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

# bench_calc.py prints bench_fwd's bar and goal; the overlay's goal is 0.33 of testpmd.
goal() {
	sed -E 's/\(bar [0-9.]+, goal [0-9.]+/(goal 0.33/'
}

run_case() {
	local name=$1 mode count flows dir pcap run wanted
	mode=${name%%:*}
	count=${name#*:}
	[[ $mode == decap || $mode == encap ]] || die "case \"$name\" is not decap:N or encap:N"
	flows=$(case_flows "$count")
	dir="$WORK/${name/:/-}"
	pcap="$dir/flows.pcap"
	mkdir -p "$dir"

	echo "== case $name: $flows inner flows, $RUNS runs, ${WARMUP_S} s warm-up + ${MEASURE_S} s measured =="
	if [[ $mode == decap ]]; then
		"$PY" "$BENCH/gen_overlay_pcap.py" --flows "$flows" --vni 1 --out "$pcap"
		wanted=0 # delivered by key: no flow is looked up
	else
		"$PY" "$BENCH/gen_pcap.py" --flows "$flows" --out "$pcap"
		wanted=$flows
	fi
	write_kairod_config "$dir" "$pcap" "$flows" "$mode"

	for ((run = 1; run <= RUNS; run++)); do
		if ((run % 2 == 1)); then
			run_kairod "$dir" "$wanted" "$mode.$count.$run"
			run_testpmd "$pcap" "$flows" "$mode.$count.$run"
		else
			run_testpmd "$pcap" "$flows" "$mode.$count.$run"
			run_kairod "$dir" "$wanted" "$mode.$count.$run"
		fi
		echo "case=$name run=$run flows_wanted=$wanted $K_RESULT $T_RESULT" >>"$WORK/results"
		"${CALC[@]}" row "$WORK/results" | goal
		rm -f "$WORK/$mode.$count.$run".*
	done
	"${CALC[@]}" summary "$WORK/results" --case "$name" | goal
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
