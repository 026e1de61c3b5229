#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The forwarding gap of `kairoctl restart`: how long packets stop while one
# kairod hands its ports and state to the next, seen by the receiver.
#
#   tools/bench/bench_restart.sh [--runs N] [--flows F] [--rate PPS]
#
# Two "VMs" (network namespaces kbra, kbrb) on veth pairs, one bridge in
# kairod, whose ports are the veths' root ends opened with net_af_packet (so
# the interfaces live on across the hand-over).  A sender in kbra sends UDP
# datagrams to kbrb at PPS per second (default 1000: one a millisecond), each
# with its sequence number and send time, its source port turning over F
# flows (default 1); a receiver in kbrb notes every arrival.  Each run sends
# for a second, runs `kairoctl restart` (the harness follows the new pid),
# sends a second more, then reads:
#   gap       the longest time between two datagrams received (ms; the
#             kernel's arrival times)
#   lost      sequence numbers never received
#   send_gap  the longest time between two datagrams sent: the sender is a
#             process too, and on a 2-core machine the new kairod's start-up
#             can keep it off the CPU (then gap > ctl_gap with nothing lost)
#   ctl_gap   what kairod measured: RX off in the old process to workers
#             running in the new one (kairoctl restart's gap_ms)
#   adm_lost  misses the new process lost to upcall admission or a full
#             ring (show datapath "lost"): the first packet of every flow
#             is simulated again after a hand-over (flows are not carried)
# and ends with one line: restart gap: MEDIAN ms (min MIN, max MAX), lost
# MEDIAN packets.  It is a benchmark, not a test: nothing is asserted.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
KAIROD="$BUILD/kairod"
KAIROCTL="$BUILD/kairoctl"
PY=/usr/bin/python3
RUNS=5
FLOWS=1
RATE=1000

while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=$2; shift 2 ;;
	--flows) FLOWS=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--flows F] [--rate PPS]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench_restart: needs root (namespaces)" >&2; exit 1; }
[ -x "$KAIROD" ] || { echo "bench_restart: no $KAIROD (BUILD_DIR?)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/kairo-bench-restart.XXXXXX)
SOCK="$WORK/ctl.sock"
A=kbra B=kbrb
KPID=""

cleanup() {
	[ -n "$KPID" ] && kill "$KPID" 2>/dev/null && wait_gone "$KPID"
	for n in $A $B; do
		ip netns del $n 2>/dev/null || true
		ip link del $n 2>/dev/null || true
	done
	rm -rf "$WORK"
}

# Gone, or a zombie nobody reaped yet (an orphan whose new parent has not waited).
gone() {
	! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null)" = Z ]
}

wait_gone() {
	local i
	for i in $(seq 200); do gone "$1" && return 0; sleep 0.05; done
	kill -9 "$1" 2>/dev/null || true
}
trap cleanup EXIT

# A namespace per VM; kairod gets the root end ($n), the namespace the other one ($n"i").
i=0
for n in $A $B; do
	i=$((i + 1))
	ip netns del $n 2>/dev/null || true
	ip link del $n 2>/dev/null || true
	ip netns add $n
	ip link add $n type veth peer name ${n}i
	ip link set ${n}i netns $n
	ip link set $n up
	ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec $n ethtool -K ${n}i tx off >/dev/null
	ip -n $n addr add 10.66.0.$i/24 dev ${n}i
	ip -n $n link set ${n}i up
	ip -n $n link set lo up
done
# No ARP in the measured window: each side knows the other's MAC.
ip -n $A neigh replace 10.66.0.2 lladdr "$(ip -n $B -br link show ${B}i | awk '{print $3}')" \
	dev ${A}i nud permanent
ip -n $B neigh replace 10.66.0.1 lladdr "$(ip -n $A -br link show ${A}i | awk '{print $3}')" \
	dev ${B}i nud permanent

cat > "$WORK/topology.json" <<EOF
{"bridges": [{"id": "br0", "ports": [{"id": "pa"}, {"id": "pb"}]}],
 "bindings": [{"port": "pa", "interface": "$A"}, {"port": "pb", "interface": "$B"}]}
EOF
cat > "$WORK/kairod.json" <<EOF
{"host": "bench", "topology_file": "topology.json", "workers": 1, "mbufs": 4095,
 "worker_sleep_max_us": 100, "control": {"socket": "$SOCK"},
 "ports": [{"name": "$A", "device": "net_af_packet0,iface=$A"},
           {"name": "$B", "device": "net_af_packet1,iface=$B"}]}
EOF

# After a restart the kairod running is the old one's child, reparented to init when the old
# one exits: it is followed by pid (kill -0), not waited for.
"$KAIROD" -l 0-1 --no-huge --no-shconf -m 512 --no-pci --file-prefix kbr$$ \
	--log-level 'pmd.*:error' -- --config "$WORK/kairod.json" >"$WORK/kairod.log" 2>&1 &
KPID=$!
for _ in $(seq 400); do
	grep -q "kairod: ready" "$WORK/kairod.log" && break
	kill -0 $KPID 2>/dev/null || { cat "$WORK/kairod.log"; exit 1; }
	sleep 0.05
done

# Arrival times are the kernel's (SO_TIMESTAMPNS), not when this process got to read them: a
# receiver kept off the CPU would otherwise see a gap that the network never had.
RECEIVER='
import socket, struct, sys, json, select
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS (Linux)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("0.0.0.0", 5001))
print("ready", flush=True)
got = []
while True:
    r, _, _ = select.select([s, sys.stdin], [], [])
    if s in r:
        d, anc, _, _ = s.recvmsg(64, 64)
        sec, nsec = struct.unpack("qq", anc[0][2][:16])
        got.append((struct.unpack("!Q", d[:8])[0], sec + nsec / 1e9))
    if sys.stdin in r:
        sent = int(sys.stdin.readline())
        break
seqs = set(q for q, _ in got)
gap = max((b[1] - a[1] for a, b in zip(got, got[1:])), default=0.0) * 1000
print(json.dumps({"gap_ms": gap, "lost": sum(1 for q in range(sent) if q not in seqs)}))
'
SENDER='
import socket, struct, sys, time
rate, flows, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for f in range(flows):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 40000 + f))
    socks.append(s)
period, t0, i, last, worst = 1.0 / rate, time.monotonic(), 0, None, 0.0
while True:
    now = time.monotonic()
    if now - t0 >= seconds:
        break
    nxt = t0 + i * period
    if nxt > now:
        time.sleep(nxt - now)
    socks[i % flows].sendto(struct.pack("!Qd", i, time.time()), ("10.66.0.2", 5001))
    sent = time.monotonic()
    worst = max(worst, sent - last) if last is not None else 0.0
    last = sent
    i += 1
print(i, "%.1f" % (worst * 1000), flush=True)
'

ctl() { "$KAIROCTL" --socket "$SOCK" --json "$@"; }
field() { $PY -c "import json,sys; print(json.load(sys.stdin)$1)"; }

GAPS=() LOSTS=()
for run in $(seq "$RUNS"); do
	coproc RX { ip netns exec $B $PY -u -c "$RECEIVER"; }
	read -r line <&"${RX[0]}"
	ip netns exec $A $PY -c "$SENDER" "$RATE" "$FLOWS" 2.5 >"$WORK/sent" &
	SENDER_PID=$!
	sleep 1
	RES=$(ctl restart)
	OLD=$KPID
	KPID=$(echo "$RES" | field '["pid"]')
	CTL_GAP=$(echo "$RES" | field '["gap_ms"]')
	wait_gone "$OLD"
	wait $SENDER_PID
	read -r SENT SEND_GAP <"$WORK/sent"
	echo "$SENT" >&"${RX[1]}"
	read -r out <&"${RX[0]}"
	wait "$RX_PID" 2>/dev/null || true
	GAP=$(echo "$out" | field '["gap_ms"]')
	LOST=$(echo "$out" | field '["lost"]')
	ADM=$(ctl show datapath | field '["lost"]')
	printf 'run %d: gap %.1f ms, lost %d packets (ctl_gap %.1f ms, send_gap %.1f ms, adm_lost %s, %d flows, new pid %s)\n' \
		"$run" "$GAP" "$LOST" "$CTL_GAP" "$SEND_GAP" "$ADM" "$FLOWS" "$KPID"
	GAPS+=("$GAP")
	LOSTS+=("$LOST")
done

$PY - "${#GAPS[@]}" "${GAPS[@]}" "${LOSTS[@]}" <<'EOF'
import statistics, sys
n = int(sys.argv[1])
gaps = [float(x) for x in sys.argv[2:2 + n]]
lost = [int(x) for x in sys.argv[2 + n:2 + 2 * n]]
print("restart gap: %.1f ms (min %.1f, max %.1f), lost %d packets"
      % (statistics.median(gaps), min(gaps), max(gaps), statistics.median(lost)))
EOF
