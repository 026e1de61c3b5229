#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Helpers of bench_zk_load.sh: a ZooKeeper server, a large topology in it, the change.

  bench_zk_topology.py serve WORKDIR          start ZooKeeper, print its port, run until stdin closes
  bench_zk_topology.py write PORT FILE B P    B bridges of P ports into ZooKeeper and into FILE
  bench_zk_topology.py times CTL SOCK N zk PORT
  bench_zk_topology.py times CTL SOCK N file FILE PID
        N changes (br0 gets a spare port), each timed from the ZooKeeper write (or the file
        write and SIGHUP) to kairoctl seeing the new version

The topology: br0 with the two bound ports the traffic uses (p-in, p-out), and B bridges
bulk0..bulkB-1 of P unbound ports each, so B*P ports besides br0's.  One node per bridge, as
nsdb/README.md lays out.
"""
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "tests" / "nsdb"))
from zk_server import ZkServer  # noqa: E402

ROOT = "/kairo"
HOST = "bench"


def topology(n_bridges, n_ports):
    bridges = [{"id": "br0", "ports": [{"id": "p-in"}, {"id": "p-out"}]}]
    for b in range(n_bridges):
        bridges.append({"id": "bulk%d" % b, "name": "bulk%d" % b,
                        "ports": [{"id": "bulk%d-p%d" % (b, p)} for p in range(n_ports)]})
    return {"bridges": bridges,
            "bindings": [{"port": "p-in", "interface": "in"},
                         {"port": "p-out", "interface": "out"}]}


def client(port):
    from kazoo.client import KazooClient

    zk = KazooClient(hosts="127.0.0.1:%s" % port, timeout=30)
    zk.start(timeout=30)
    return zk


def write(port, path, n_bridges, n_ports):
    topo = topology(int(n_bridges), int(n_ports))
    Path(path).write_text(json.dumps(topo))
    zk = client(port)
    zk.ensure_path(ROOT + "/topology/bridges")
    zk.ensure_path("%s/hosts/%s/bindings" % (ROOT, HOST))
    # Transactions of 100 nodes: well under ZooKeeper's 1 MiB request limit.
    nodes = [("%s/topology/bridges/%s" % (ROOT, b["id"]), b) for b in topo["bridges"]]
    nodes += [("%s/hosts/%s/bindings/%s" % (ROOT, HOST, b["port"]), b) for b in topo["bindings"]]
    for i in range(0, len(nodes), 100):
        tx = zk.transaction()
        for p, obj in nodes[i:i + 100]:
            tx.create(p, json.dumps(obj).encode())
        tx.commit()
    zk.stop()
    print("%d ports in %d nodes" % (sum(len(b["ports"]) for b in topo["bridges"]), len(nodes)))


def br0(n):
    return {"id": "br0", "ports": [{"id": "p-in"}, {"id": "p-out"}, {"id": "p-spare-%d" % n}]}


def version(ctl):
    out = subprocess.run([ctl[0], "--socket", ctl[1], "--json", "show", "datapath"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["slow_path"]


def times(ctl_bin, sock, runs, mode, where, pid=None):
    """Each change: write br0, poll the daemon until it runs the new version."""
    import os
    import signal

    zk = client(where) if mode == "zk" else None
    doc = None if zk else json.loads(Path(where).read_text())
    seen = []
    print("%-4s %10s %12s %10s" % ("run", "removed", "change_us", "seen_ms"))
    for n in range(int(runs)):
        v = version((ctl_bin, sock))["topo_version"]
        t0 = time.monotonic()
        if zk:
            zk.set(ROOT + "/topology/bridges/br0", json.dumps(br0(n)).encode())
        else:
            doc["bridges"][0] = br0(n)
            Path(where + ".tmp").write_text(json.dumps(doc))
            os.rename(where + ".tmp", where)
            os.kill(int(pid), signal.SIGHUP)
        while True:
            sp = version((ctl_bin, sock))
            if sp["topo_version"] > v:
                break
        ms = (time.monotonic() - t0) * 1000
        seen.append(ms)
        print("%-4d %10d %12d %10.1f" % (n + 1, sp["topo_last_invalidated"],
                                         sp["topo_last_change_us"], ms))
        time.sleep(1.0)  # let the cache fill again
    if zk:
        zk.stop()
    print("%s: change -> new version seen: median %.1f ms (min %.1f, max %.1f)"
          % ("zookeeper write" if zk else "file write + SIGHUP", statistics.median(seen),
             min(seen), max(seen)))


def serve(workdir):
    with ZkServer(workdir) as server:
        print(server.port, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(sys.argv[2])
    elif cmd == "write":
        write(*sys.argv[2:6])
    elif cmd == "times":
        times(*sys.argv[2:])
    else:
        sys.exit(__doc__)
