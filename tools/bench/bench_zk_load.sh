#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The topology from ZooKeeper: how long a large one takes to load, against the same document
# from the embedded file store, and how long a change takes to reach forwarding.
#
#   tools/bench/bench_zk_load.sh [--bridges B] [--ports P] [--runs R] [--flows N]
#
# A ZooKeeper server of its own (Debian's jar, loopback, tests/nsdb/zk_server.py) holds
# br0 (the two bound ports the traffic uses) and B bridges of P ports each (default
# 1000 x 10 = 10 000 ports, one node per bridge); the same document is written to a file.
#
# Load: `kairod --check-config` builds the snapshot once and exits before EAL starts, so its
# wall time is process start, config, store and snapshot.  Alternating file / ZooKeeper,
# R runs each; ZooKeeper's includes the session, host registration and reading every node
# (pipelined), and the store's own check.  The store's log line splits its part.
#
# Change: kairod forwards N one-frame flows without end (net_pcap infinite_rx -> br0 ->
# net_null) on the big topology; br0's node gets a spare port (every flow through br0 is
# stale) R times, timed from the write to kairoctl seeing the new version (polled, a few ms
# per poll), with removed / change_us as bench_invalidate.sh reports them.  Then the same
# with the file store (file rewritten, SIGHUP), in the same run.
# It is a benchmark, not a test: nothing is asserted.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
KAIROD="$BUILD/kairod"
KAIROCTL="$BUILD/kairoctl"
PY=/usr/bin/python3
HELPER="$ROOT/tools/bench/bench_zk_topology.py"
BRIDGES=1000
PORTS=10
RUNS=5
FLOWS=10000

while [ $# -gt 0 ]; do
	case "$1" in
	--bridges) BRIDGES=$2; shift 2 ;;
	--ports) PORTS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--flows) FLOWS=$2; shift 2 ;;
	*) echo "usage: $0 [--bridges B] [--ports P] [--runs R] [--flows N]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench_zk_load.sh: run as root" >&2; exit 1; }
[ -x "$KAIROD" ] && [ -x "$KAIROCTL" ] || { echo "build first: deploy/build.sh" >&2; exit 1; }

WORK=$(mktemp -d /tmp/kairo-zkbench.XXXXXX)
PID=""
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	[ -n "${ZK_PID:-}" ] && { exec {ZK[1]}>&- ; wait "$ZK_PID" 2>/dev/null || true; }
	[ -n "${KEEP:-}" ] && echo "work dir $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

# ZooKeeper runs as long as the helper's stdin stays open.
coproc ZK { "$PY" "$HELPER" serve "$WORK/zk"; }
ZK_PID=$!
read -r ZKPORT <&"${ZK[0]}"
echo "ZooKeeper on 127.0.0.1:$ZKPORT"
"$PY" "$HELPER" write "$ZKPORT" "$WORK/topology.json" "$BRIDGES" "$PORTS"
"$PY" "$ROOT/tools/bench/gen_pcap.py" --flows "$FLOWS" --out "$WORK/flows.pcap"

config() { # $1: file | zk
	local store
	if [ "$1" = zk ]; then
		store="\"zookeeper_hosts\": \"127.0.0.1:$ZKPORT\", \"host_id\": \"bench\""
	else
		store="\"topology_file\": \"topology.json\""
	fi
	cat >"$WORK/kairod-$1.json" <<-EOF2
		{"host": "bench", $store, "workers": 1,
		 "mbufs": $((FLOWS + 65536)),
		 "flow_cache": {"capacity": $((FLOWS * 2)), "idle_timeout_ms": 0},
		 "slow_path": {"global_bucket": 4096, "tunnel_bucket": 4096, "upcall_ring_size": 8192},
		 "control": {"socket": "$WORK/ctl.sock"},
		 "ports": [
		  {"name": "in", "device": "net_pcap0,rx_pcap=$WORK/flows.pcap,infinite_rx=1", "role": "uplink"},
		  {"name": "out", "device": "net_null0,no-rx=1"}]}
	EOF2
}
config file
config zk
EAL=(-l 0-1 --no-huge --no-shconf -m 3072 --no-pci --log-level 'pmd.*:error')
now_us() { date +%s%6N; }

echo
echo "== load: kairod --check-config, $RUNS runs each, alternating"
declare -a T_FILE T_ZK
for run in $(seq "$RUNS"); do
	for mode in file zk; do
		t0=$(now_us)
		"$KAIROD" "${EAL[@]}" --file-prefix "kzb$$" -- --config "$WORK/kairod-$mode.json" \
			--check-config >"$WORK/check-$mode.log" 2>&1
		t=$(($(now_us) - t0))
		if [ "$mode" = file ]; then T_FILE+=("$t"); else T_ZK+=("$t"); fi
	done
	printf 'run %d: file %6d us   zookeeper %6d us   (zookeeper %s)\n' "$run" \
		"${T_FILE[-1]}" "${T_ZK[-1]}" \
		"$(grep -o 'document: .*' "$WORK/check-zk.log" | head -1)"
done
"$PY" - "${T_FILE[*]}" "${T_ZK[*]}" <<'PY'
import statistics, sys
f = [int(x) / 1000 for x in sys.argv[1].split()]
z = [int(x) / 1000 for x in sys.argv[2].split()]
mf, mz = statistics.median(f), statistics.median(z)
print("median: file %.1f ms (%.1f-%.1f), zookeeper %.1f ms (%.1f-%.1f), zookeeper/file %.2f"
      % (mf, min(f), max(f), mz, min(z), max(z), mz / mf))
PY

run_daemon() { # $1: file | zk
	rm -f "$WORK/ctl.sock"
	"$KAIROD" "${EAL[@]}" --file-prefix "kzb$$" -- --config "$WORK/kairod-$1.json" \
		>"$WORK/kairod-$1.log" 2>&1 &
	PID=$!
	for _ in $(seq 600); do
		grep -q "kairod: ready" "$WORK/kairod-$1.log" && break
		kill -0 "$PID" 2>/dev/null || { cat "$WORK/kairod-$1.log"; exit 1; }
		sleep 0.1
	done
	for _ in $(seq 3000); do
		n=$("$KAIROCTL" --socket "$WORK/ctl.sock" --json show datapath |
			"$PY" -c 'import json,sys; print(json.load(sys.stdin)["flows"])')
		[ "$n" -ge "$FLOWS" ] && break
		sleep 0.02
	done
}
stop_daemon() {
	kill -TERM "$PID"
	wait "$PID" || true
	PID=""
}

echo
echo "== change to forwarding: $FLOWS flows through br0, br0 changed $RUNS times"
run_daemon zk
"$PY" "$HELPER" times "$KAIROCTL" "$WORK/ctl.sock" "$RUNS" zk "$ZKPORT"
grep -o 'nsdb: document: .*' "$WORK/kairod-zk.log" | tail -n "$RUNS" | sed 's/^/  /'
stop_daemon
run_daemon file
"$PY" "$HELPER" times "$KAIROCTL" "$WORK/ctl.sock" "$RUNS" file "$WORK/topology.json" "$PID"
stop_daemon
