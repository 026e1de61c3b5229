#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Invalidation under load: how long from a topology change to the last stale
# flow gone, while the flows are carrying traffic, and how many one change
# removes.  The in-process figure without traffic is bench_setup's
# "topology change"; this one is the daemon's own, with a worker forwarding
# at full rate on the other core and the change arriving by SIGHUP.
#
#   tools/bench/bench_invalidate.sh [--flows N] [--runs R]
#
# kairod: a pcap port replaying N one-frame flows without end (net_pcap
# infinite_rx) into a bridge whose other port is net_null.  Once the N
# flows are installed, the topology file is rewritten with a third, unbound
# port added to the bridge (the bridge's port set changed: every flow
# through it is stale) and SIGHUP sent.  Reported, per run:
#   removed     flows the change removed (topo_last_invalidated)
#   change_us   from the simulation thread taking the new snapshot to the
#               last stale flow removed (topo_last_change_us)
#   seen_ms     from SIGHUP to kairoctl seeing the new version (file read,
#               parse, hand-over, invalidation, plus the polling interval)
#   refill_ms   from SIGHUP until the cache holds N flows again
# It is a benchmark, not a test: nothing is asserted beyond the counts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
KAIROD="$BUILD/kairod"
KAIROCTL="$BUILD/kairoctl"
PY=/usr/bin/python3
FLOWS=100000
RUNS=3

while [ $# -gt 0 ]; do
	case "$1" in
	--flows) FLOWS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	*) echo "usage: $0 [--flows N] [--runs R]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench_invalidate.sh: run as root" >&2; exit 1; }
[ -x "$KAIROD" ] && [ -x "$KAIROCTL" ] || { echo "build first: deploy/build.sh" >&2; exit 1; }

WORK=$(mktemp -d /tmp/kairo-inval.XXXXXX)
[ -n "${KEEP:-}" ] && echo "work dir $WORK"
PID=""
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

"$PY" "$ROOT/tools/bench/gen_pcap.py" --flows "$FLOWS" --out "$WORK/flows.pcap"
topology() { # $1: extra port or nothing
	local extra=""
	[ -n "$1" ] && extra=", {\"id\": \"$1\"}"
	cat >"$WORK/topology.json" <<-EOF
		{"bridges": [{"id": "br0", "ports": [{"id": "p-in"}, {"id": "p-out"}$extra]}],
		 "bindings": [{"port": "p-in", "interface": "in"}, {"port": "p-out", "interface": "out"}]}
	EOF
}
cat >"$WORK/kairod.json" <<-EOF
	{"host": "bench", "topology_file": "topology.json", "workers": 1,
	 "mbufs": $((FLOWS + 65536)),
	 "flow_cache": {"capacity": $((FLOWS * 2)), "idle_timeout_ms": 0},
	 "slow_path": {"global_bucket": 4096, "tunnel_bucket": 4096, "upcall_ring_size": 8192},
	 "control": {"socket": "$WORK/ctl.sock"},
	 "ports": [
	  {"name": "in", "device": "net_pcap0,rx_pcap=$WORK/flows.pcap,infinite_rx=1", "role": "uplink"},
	  {"name": "out", "device": "net_null0,no-rx=1"}]}
EOF
topology ""

ctl() { "$KAIROCTL" --socket "$WORK/ctl.sock" --json "$@"; }
now_ms() { date +%s%3N; }
field() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$KAIROD" -l 0-1 --no-huge --no-shconf -m 3072 --no-pci --file-prefix "kinval$$" \
	--log-level 'pmd.*:error' -- --config "$WORK/kairod.json" >"$WORK/kairod.log" 2>&1 &
PID=$!
for _ in $(seq 300); do
	grep -q "kairod: ready" "$WORK/kairod.log" && break
	kill -0 "$PID" 2>/dev/null || { cat "$WORK/kairod.log"; exit 1; }
	sleep 0.1
done

wait_flows() { # until the cache holds $FLOWS flows; prints ms waited
	local t0 n
	t0=$(now_ms)
	for _ in $(seq 6000); do
		n=$(ctl show datapath | field 'd["flows"]')
		[ "$n" -ge "$FLOWS" ] && { echo $(($(now_ms) - t0)); return; }
		sleep 0.01
	done
	echo "flows never reached $FLOWS (at $n)" >&2
	exit 1
}

echo "kairod forwarding $FLOWS flows (pcap infinite_rx -> bridge -> null); waiting for the cache"
wait_flows >/dev/null
printf '%-4s %10s %12s %10s %11s %14s\n' run removed change_us seen_ms refill_ms "flows/s removed"
for run in $(seq "$RUNS"); do
	version=$(ctl show datapath | field 'd["slow_path"]["topo_version"]')
	topology "p-spare$run"
	t0=$(now_ms)
	kill -HUP "$PID"
	while [ "$(ctl show datapath | field 'd["slow_path"]["topo_version"]')" -le "$version" ]; do
		sleep 0.005
	done
	seen=$(($(now_ms) - t0))
	refill=$(wait_flows)
	refill=$((refill + seen))
	read -r removed change_us < <(ctl show datapath |
		field '"%d %d" % (d["slow_path"]["topo_last_invalidated"], d["slow_path"]["topo_last_change_us"])')
	printf '%-4s %10s %12s %10s %11s %14s\n' "$run" "$removed" "$change_us" "$seen" "$refill" \
		"$(( change_us > 0 ? removed * 1000000 / change_us : 0 ))"
done
ctl show lcores | field '"worker busy: %.0f%% of its cycles" % (100.0 * d[0]["busy_cycles"] / max(1, d[0]["busy_cycles"] + d[0]["idle_cycles"]))'
