# SPDX-License-Identifier: Apache-2.0
"""Soak: kairod under new flows and cached traffic, a topology change every second, and its
ZooKeeper and Redis restarted now and then; run by tools/soak.sh MINUTES (not part of the suite).

    vm1 10.1.0.11 (masqueraded: a new UDP flow every 10 ms) --+
                                                              bridge1 - r1 - bridge2 -- ext
    vm2 10.1.0.12 (floating IP: ping every 10 ms, cached)   --+

The topology is read from a ZooKeeper of its own; NAT bindings are written behind to a Redis of
its own.  Every second a node of the topology changes (a bridge no traffic uses: the reload and
invalidation path runs, the traffic's flows stay).  Every RESTART_S ZooKeeper or Redis (in turn)
is killed and started again.  At the end it prints kairod's RSS at start and end, whether it
ever died, the counters (hits + misses + parse drops = packets received), the pings lost and
the flows set up, and exits 1 if kairod died or the counters do not add up.
"""
import json
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "nsdb"), str(ROOT / "tests" / "netns")]

from kairo_harness import Kairod  # noqa: E402
from redis_server import RedisServer  # noqa: E402
from test_nat_netns import HOSTS, hosts_setup, sh, topology  # noqa: E402
from zk_server import ZkServer, put_topology  # noqa: E402

RESTART_S = 60
# kazoo says every reconnect while ZooKeeper restarts: the soak reports what matters.
logging.getLogger("kazoo").setLevel(logging.ERROR)
NEW_FLOWS = """
import socket, time, sys
end = time.monotonic() + float(sys.argv[1])
port, sent = 1024, 0
while time.monotonic() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("0.0.0.0", port))
        s.sendto(b"soak", ("198.51.100.2", 9))
        sent += 1
    except OSError:
        pass
    s.close()
    port = 1024 if port >= 65000 else port + 1
    time.sleep(0.01)
print(sent, flush=True)
"""


def rss_kib(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def parse_drop_names():
    """The drop reasons of the parser's sections in pipeline/drop_reason.h."""
    names, in_parse = set(), False
    for line in (ROOT / "pipeline" / "drop_reason.h").read_text().splitlines():
        if "/*" in line and "*/" in line and "X(" not in line:
            in_parse = "parse:" in line
        m = re.search(r'X\(\w+, "(\w+)"', line)
        if m and in_parse:
            names.add(m.group(1))
    return names


def dummy_bridge(i):
    return {"id": "soak-idle", "name": "idle-%d" % i, "ports": [{"id": "soak-idle-p1"}]}


def main(minutes):
    work = Path("/tmp/kairo-soak-%d" % int(time.time()))
    work.mkdir(parents=True)
    names = {r: "ks%s" % r for r in HOSTS}
    zk = ZkServer(work / "zk").start()
    redis = RedisServer(work / "redis").start()
    zc = zk.client()
    topo = topology(names)
    topo["bridges"].append(dummy_bridge(0))
    put_topology(zc, topo)
    ports = [{"name": names[r], "device": "net_tap%d,iface=%s" % (i, names[r])}
             for i, r in enumerate(HOSTS)]
    kd = Kairod(work / "kd", ports, None,
                extra_config={"zookeeper_hosts": zk.hosts, "host_id": "test-host",
                              "redis": redis.config(state_ttl_s=30)})
    kd.start(timeout=60)
    procs, died, restarts = [], False, []
    try:
        hosts_setup(names)
        seconds = minutes * 60
        rss_start = rss_kib(kd.proc.pid)
        pinger = subprocess.Popen(["ip", "netns", "exec", names["vm2"], "ping", "-q", "-i", "0.01",
                                   "-w", str(int(seconds)), "198.51.100.2"],
                                  stdout=subprocess.PIPE, text=True)
        flows = subprocess.Popen(["ip", "netns", "exec", names["vm1"], "/usr/bin/python3", "-c",
                                  NEW_FLOWS, str(seconds)], stdout=subprocess.PIPE, text=True)
        procs = [pinger, flows]
        start, change, next_restart, which = time.monotonic(), 0, RESTART_S, 0
        while time.monotonic() - start < seconds:
            time.sleep(1)
            if kd.proc.poll() is not None:
                died = True
                break
            change += 1
            try:
                zc.set("/kairo/topology/bridges/soak-idle",
                       json.dumps(dummy_bridge(change)).encode())
            except Exception as e:  # ZooKeeper restarting: the next second tries again
                print("  topology change %d not written: %s" % (change, e.__class__.__name__))
            if time.monotonic() - start >= next_restart:
                server = (zk, redis)[which % 2]
                server.kill()
                time.sleep(2)
                server.start()
                restarts.append("%s at %ds" % (("zookeeper", "redis")[which % 2],
                                               time.monotonic() - start))
                which += 1
                next_restart += RESTART_S
        rss_end = rss_kib(kd.proc.pid) if not died else 0
        ping_out, _ = pinger.communicate(timeout=60)
        sent, _ = flows.communicate(timeout=60)
        stats = kd.stats() if not died else None
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        for n in names.values():
            sh("ip", "netns", "del", n, check=False)
        try:
            kd.stop()
        except Exception as e:
            print("kairod stop: %s" % e)
            died = True
        zc.stop()
        zk.kill()
        redis.stop()

    print("soak: %g min, %d topology changes, restarts: %s" % (minutes, change,
                                                             ", ".join(restarts) or "none"))
    if died or stats is None:
        print("kairod DIED (log: %s)" % kd.log_path)
        print("0 passed, 1 failed")
        return 1
    parse = sum(n for r, n in stats["drops"].items() if r in parse_drop_names())
    rx = sum(p["rx_packets"] for p in stats["ports"])
    looked = stats["hits"] + stats["misses"]
    loss = [l for l in ping_out.splitlines() if "packet loss" in l]
    print("kairod RSS: %d KiB at start, %d KiB at the end (%+d KiB)"
          % (rss_start, rss_end, rss_end - rss_start))
    print("crashes: 0")
    print("counters: rx %d = hits %d + misses %d + parse drops %d: %s"
          % (rx, stats["hits"], stats["misses"], parse,
             "adds up" if rx == looked + parse else "DOES NOT ADD UP"))
    print("cached traffic (ping every 10 ms): %s" % (loss[0].strip() if loss else ping_out))
    print("new flows sent: %s, NAT bindings made: %d, topology version %d"
          % (sent.strip(), stats["slow_path"]["nat_created"], stats["slow_path"]["topo_version"]))
    ok = rx == looked + parse
    print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 30))
