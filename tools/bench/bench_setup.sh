#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Flow set-up benchmark (issue 3): new flows per second through one
# simulation thread, bridge-only and routed, beside the cache-hit rate of
# the same run, invalidation cost and expiry rate.  See the top comment of
# bench_setup.c for what each figure measures and why it runs in-process.
#
#   tools/bench/bench_setup.sh [--runs N] [--flows 100k,1m] [--topologies bridge,routed]
#                              [--lcore C] [--out FILE]
#
# Runs the program N times (each run prints its own table) and prints, per
# measure and case, the median over the runs and the min-max spread.  The
# runs' JSON lines are kept in --out (default: a temporary file, removed).
# Build first: deploy/build.sh (BUILD_DIR selects the build, default build/).
# It is a benchmark, not a test: no threshold; a run fails only if a flow
# was not installed, a lookup missed or a removal removed the wrong count.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
BIN="$BUILD/tools/bench/bench_setup"

RUNS=3
FLOWS=100k,1m
TOPOLOGIES=bridge,routed
LCORE=1
OUT=""

usage() {
	cat >&2 <<-EOF
		usage: tools/bench/bench_setup.sh [--runs N] [--flows L] [--topologies L] [--lcore C] [--out FILE]
		  --runs N        runs of the program (default $RUNS)
		  --flows L       comma-separated flow counts, k/m suffixes (default $FLOWS)
		  --topologies L  bridge, routed or both (default $TOPOLOGIES)
		  --lcore C       CPU the simulation runs on (default $LCORE)
		  --out FILE      keep the runs' JSON lines there
	EOF
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=${2:?}; shift 2 ;;
	--flows) FLOWS=${2:?}; shift 2 ;;
	--topologies) TOPOLOGIES=${2:?}; shift 2 ;;
	--lcore) LCORE=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || usage
if [ ! -x "$BIN" ]; then
	echo "bench_setup.sh: $BIN not built (run deploy/build.sh)" >&2
	exit 1
fi

RESULTS=$(mktemp /tmp/bench_setup.XXXXXX)
trap 'rm -f "$RESULTS"' EXIT

echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
	git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || echo ' (working tree differs)'),"\
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
for run in $(seq 1 "$RUNS"); do
	echo "== run $run/$RUNS"
	log=$("$BIN" --flows "$FLOWS" --topologies "$TOPOLOGIES" --lcore "$LCORE") || {
		echo "$log"
		echo "bench_setup.sh: run $run failed" >&2
		exit 1
	}
	echo "$log" | sed '$d'
	echo "$log" | tail -n 1 >>"$RESULTS"
done
[ -n "$OUT" ] && cp "$RESULTS" "$OUT"

/usr/bin/python3 - "$RESULTS" <<-'EOF'
	import json, statistics, sys

	runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
	cases = [(c["topology"], c["flows"]) for c in runs[0]["cases"]]
	ovs, goal = runs[0]["ovs_dpdk_setup_per_s"], runs[0]["goal_setup_per_s"]
	rows = [
	    ("set-up, flows/s", "setup_per_s", 1, "{:,.0f}"),
	    ("set-up, cycles/flow", "setup_cycles", 1, "{:.0f}"),
	    ("hits, lookups/s", "hit_per_s", 1, "{:,.0f}"),
	    ("set-up rate / hit rate", "setup_to_hit", 1, "{:.4f}"),
	    ("1-flow MAC tag, us", "inval_one_us", 1, "{:.2f}"),
	    ("port tag (all flows), ms", "inval_all_us", 1e-3, "{:.1f}"),
	    ("port tag, flows/s", "inval_all_per_s", 1, "{:,.0f}"),
	    ("topology change, ms", "topo_change_us", 1e-3, "{:.1f}"),
	    ("expiry, flows/s", "expire_per_s", 1, "{:,.0f}"),
	    ("expiry median step, us", "expire_median_step_us", 1, "{:.0f}"),
	    ("expiry worst step, us", "expire_worst_step_us", 1, "{:.0f}"),
	    ("step on the empty cache, us", "expire_empty_step_us", 1, "{:.0f}"),
	]
	print("\n%d run(s): median (min-max)" % len(runs))
	for topo, flows in cases:
	    got = [c for r in runs for c in r["cases"] if (c["topology"], c["flows"]) == (topo, flows)]
	    print("\n%s, %d flows (%d tags): %s" % (topo, flows, got[0]["tags"], got[0]["actions"]))
	    for label, key, scale, fmt in rows:
	        v = [c[key] * scale for c in got]
	        print("  %-26s %16s  (%s-%s)" % (label, fmt.format(statistics.median(v)),
	                                         fmt.format(min(v)), fmt.format(max(v))))
	        if key == "setup_per_s":
	            m = statistics.median(v)
	            print("  %-26s %16s  %s" % ("", "x %.1f OVS-DPDK" % (m / ovs),
	                                        "(%.2f of the %.0f M/s goal)" % (m / goal, goal / 1e6)))
	print("\nJSON (medians): " + json.dumps({
	    "bench": "flow_setup", "runs": len(runs), "cases": [
	        dict({"topology": t, "flows": f}, **{
	            k: round(statistics.median(c[k] for r in runs for c in r["cases"]
	                                       if (c["topology"], c["flows"]) == (t, f)), 4)
	            for _, k, _, _ in rows})
	        for t, f in cases]}))
EOF
