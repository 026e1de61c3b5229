#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Arithmetic for bench_fwd.sh, kept out of bash.

    bench_calc.py flows SNAP                          -> installed flow count
    bench_calc.py kairod SNAP_A SNAP_B --tsc-hz HZ --port NAME
    bench_calc.py testpmd LOG --port ID --tsc-hz HZ
    bench_calc.py row RESULTS                         -> the last run, one line
    bench_calc.py summary RESULTS --case NAME

kairod and testpmd print one line of key=value pairs for bench_fwd.sh to
append to its results file; summary reads that file back.
"""
import argparse
import json
import re
import statistics
import sys

BAR, GOAL = 0.35, 0.5  # the bar and goal for kairod/testpmd


def load(path):
    with open(path) as f:
        return json.load(f)


def cmd_flows(args):
    print(load(args.snap)["flows"])


def cmd_kairod(args):
    """Rate from two datapath views.

    The window is measured by the worker itself: busy_cycles + idle_cycles
    grows by the TSC ticks of every loop pass, so its delta is the time
    between the two reads, and the port counters are read in the same dump a
    few microseconds later.  That keeps the (slow, flow-count dependent) JSON
    dump out of the interval, where a wall clock taken by the script would not.
    """
    a, b = load(args.snap_a), load(args.snap_b)
    port_a = next(p for p in a["ports"] if p["name"] == args.port)
    port_b = next(p for p in b["ports"] if p["name"] == args.port)
    lc_a, lc_b = a["lcores"][0], b["lcores"][0]
    pkts = port_b["tx_packets"] - port_a["tx_packets"]
    busy = lc_b["busy_cycles"] - lc_a["busy_cycles"]
    cycles = busy + lc_b["idle_cycles"] - lc_a["idle_cycles"]
    if pkts <= 0 or cycles <= 0:
        print(f"error=no-packets pkts={pkts} cycles={cycles}")
        return 1
    fields = {
        "mpps": pkts * args.tsc_hz / cycles / 1e6,
        "cpp": cycles / pkts,
        "busy_cpp": busy / pkts,
        "window_s": cycles / args.tsc_hz,
        "flows": b["flows"],
        "hits": b["hits"],
        "misses": b["misses"],
        "lost": b["lost"],
        "window_misses": b["misses"] - a["misses"],
        "window_drops": sum(b["drops"].values()) - sum(a["drops"].values()),
    }
    print(" ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in fields.items()))
    return 0


def cmd_testpmd(args):
    """Tx-pps of the last "show port stats" block for the given port.

    testpmd computes it from its own TSC readings at the two displays, the
    same clock kairod's figure comes from.
    """
    block = None
    pps = None
    head = re.compile(r"NIC statistics for port (\d+)")
    with open(args.log, errors="replace") as f:
        for line in f:
            m = head.search(line)
            if m:
                block = int(m.group(1))
                continue
            m = re.search(r"Tx-pps:\s+(\d+)", line)
            if m and block == args.port:
                pps = int(m.group(1))
    if not pps:
        print("error=no-tx-pps")
        return 1
    print(f"mpps={pps / 1e6:.6g} cpp={args.tsc_hz / pps:.6g}")
    return 0


def stats_line(label, values, fmt="{:.2f}"):
    return (f"{label:<28} median {fmt.format(statistics.median(values))}"
            f"  min {fmt.format(min(values))}  max {fmt.format(max(values))}")


def read_rows(path):
    with open(path) as f:
        return [dict(item.split("=", 1) for item in line.split()) for line in f if line.strip()]


def cmd_row(args):
    r = read_rows(args.results)[-1]
    ratio = float(r["k_mpps"]) / float(r["t_mpps"])
    print(f"  run {r['run']}: kairod {float(r['k_mpps']):6.2f} Mpps"
          f" ({float(r['k_cpp']):5.1f} cyc/pkt, busy {float(r['k_busy_cpp']):5.1f})"
          f"  testpmd {float(r['t_mpps']):6.2f} Mpps ({float(r['t_cpp']):5.1f} cyc/pkt)"
          f"  ratio {ratio:.3f} (bar {BAR}, goal {GOAL})"
          f"  [kairod window {float(r['k_window_s']):.2f} s, misses in it {r['k_window_misses']},"
          f" flows {r['k_flows']}]")


def cmd_summary(args):
    rows = [r for r in read_rows(args.results) if r.get("case") == args.case]
    if not rows:
        print(f"no results for case {args.case}")
        return 1
    num = lambda key: [float(r[key]) for r in rows]  # noqa: E731
    ratios = [float(r["k_mpps"]) / float(r["t_mpps"]) for r in rows]
    last = rows[-1]
    print(f"summary {args.case} ({last['flows_wanted']} flows, {len(rows)} runs):")
    print("  " + stats_line("kairod   Mpps", num("k_mpps")))
    print("  " + stats_line("testpmd  Mpps", num("t_mpps")))
    print("  " + stats_line("ratio kairod/testpmd", ratios, "{:.3f}")
          + f"   (bar {BAR}, goal {GOAL} of testpmd)")
    print("  " + stats_line("kairod   cycles/packet", num("k_cpp"), "{:.1f}"))
    print("  " + stats_line("kairod   busy cycles/packet", num("k_busy_cpp"), "{:.1f}"))
    print("  " + stats_line("testpmd  cycles/packet", num("t_cpp"), "{:.1f}"))
    print(f"  flow cache (last kairod snapshot): flows {last['k_flows']}  hits {last['k_hits']}"
          f"  misses {last['k_misses']}  lost {last['k_lost']}"
          f"  (misses inside the window: {last['k_window_misses']},"
          f" drops: {last['k_window_drops']})")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("flows")
    p.add_argument("snap")
    p.set_defaults(fn=cmd_flows)
    p = sub.add_parser("kairod")
    p.add_argument("snap_a")
    p.add_argument("snap_b")
    p.add_argument("--tsc-hz", type=float, required=True)
    p.add_argument("--port", required=True, help="config name of the output port")
    p.set_defaults(fn=cmd_kairod)
    p = sub.add_parser("testpmd")
    p.add_argument("log")
    p.add_argument("--port", type=int, required=True, help="testpmd port id of the output port")
    p.add_argument("--tsc-hz", type=float, required=True)
    p.set_defaults(fn=cmd_testpmd)
    p = sub.add_parser("row")
    p.add_argument("results")
    p.set_defaults(fn=cmd_row)
    p = sub.add_parser("summary")
    p.add_argument("results")
    p.add_argument("--case", required=True)
    p.set_defaults(fn=cmd_summary)
    args = ap.parse_args()
    return args.fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
