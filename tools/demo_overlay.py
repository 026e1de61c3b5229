# SPDX-License-Identifier: Apache-2.0
"""The multi-host demo's body, run by tools/demo-overlay.sh (which installs, builds and cleans
up after it): ZooKeeper and Redis of its own, two kairod hosts in network namespaces joined by
a VXLAN underlay, a router with masquerade and a floating IP, VMs that ping and move a file
over HTTP across the hosts, both hosts' views and how one flow was decided (flow explain).

    root namespace: ZooKeeper, Redis (reached by each host over a management veth)

    host-a (netns): vm1 10.8.1.11 ─tap─┐                  ┌─tap─ vm2 10.8.1.21 (netns)
                    ext 198.51.100.2 ─tap─ kairod A ══VXLAN══ kairod B    host-b (netns)
                                  192.168.63.1      192.168.63.2

    bridge1 10.8.1.0/24 (vm1, vm2, r1) ── r1 ── bridge2 198.51.100.0/24 (ext)
    r1: vm1 leaves masqueraded to 198.51.100.1; vm2 has the floating IP 198.51.100.12

It reuses the tests' helpers (tests/kairo_harness.py, tests/nsdb/zk_server.py,
tests/nsdb/redis_server.py, tests/netns/test_overlay_netns.py): the demo is what the
two-host tests do, with the output for a person.  Every name carries DEMO_TAG, so
demo-overlay.sh's trap can remove what a killed run left.
"""
import argparse
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for sub in ("tests", "tests/nsdb", "tests/netns"):
    sys.path.insert(0, str(ROOT / sub))

from redis_server import RedisServer  # noqa: E402
from test_overlay_netns import NsKairod, netns_add, ping, ping_until, sh, vm_setup  # noqa: E402
from zk_server import ZkServer, put_topology  # noqa: E402

TAG = os.environ.get("DEMO_TAG", str(os.getpid() % 1000))
HOSTS = ("host-a", "host-b")
NS = {"host-a": "kdha" + TAG, "host-b": "kdhb" + TAG,
      "vm1": "kdv1" + TAG, "vm2": "kdv2" + TAG, "ext": "kdex" + TAG}
TAP = {"vm1": "kdt1" + TAG, "vm2": "kdt2" + TAG, "ext": "kdtx" + TAG}
UNDERLAY = {"host-a": ("kdua" + TAG, "192.168.63.1"), "host-b": ("kdub" + TAG, "192.168.63.2")}
# Management links root <-> host namespace: a /30 each, of this run's own.
MGMT = {h: ("kdm%d%s" % (i, TAG), "kdn%d%s" % (i, TAG),
            "172.30.%d.%d" % (int(TAG) % 256, 4 * i + 1),
            "172.30.%d.%d" % (int(TAG) % 256, 4 * i + 2))
        for i, h in enumerate(HOSTS)}
ROUTER_OUT, FIP, EXT = "198.51.100.1", "198.51.100.12", "198.51.100.2"


def say(text):
    print("== " + text, flush=True)


def topology():
    """The virtual topology, written to ZooKeeper one node per object."""
    pre = {"id": "pre", "rules": [
        {"pos": 1, "type": "dnat", "dst": FIP, "action": "accept", "target": "10.8.1.21"},
        {"pos": 2, "type": "rev_snat", "dst": ROUTER_OUT, "action": "accept"}]}
    post = {"id": "post", "rules": [
        {"pos": 1, "type": "snat", "src": "10.8.1.21", "action": "accept", "target": FIP},
        {"pos": 2, "type": "snat", "out-ports": "r1p2", "action": "accept",
         "target": ROUTER_OUT + ":20000-30000"}]}
    return {
        "bridges": [
            {"id": "bridge1", "name": "tenant", "ports": [
                {"id": "b1-vm1"}, {"id": "b1-vm2"}, {"id": "b1-r", "peer": "r1p1"}]},
            {"id": "bridge2", "name": "outside", "ports": [
                {"id": "b2-ext"}, {"id": "b2-r", "peer": "r1p2"}]},
        ],
        "routers": [{"id": "r1", "name": "edge", "inbound_filter": "pre",
                     "outbound_filter": "post", "ports": [
                         {"id": "r1p1", "address": "10.8.1.1", "network": "10.8.1.0/24"},
                         {"id": "r1p2", "address": ROUTER_OUT, "network": "198.51.100.0/24"}]}],
        "chains": [pre, post],
        "hosts": [{"id": "host-a", "name": "host-a"}, {"id": "host-b", "name": "host-b"}],
        "tunnel_zones": [{"id": "tz", "name": "underlay", "type": "vxlan", "members": [
            {"host": h, "address": UNDERLAY[h][1]} for h in HOSTS]}],
        "bindings": [{"port": "b1-vm1", "host": "host-a", "interface": TAP["vm1"]},
                     {"port": "b2-ext", "host": "host-a", "interface": TAP["ext"]},
                     {"port": "b1-vm2", "host": "host-b", "interface": TAP["vm2"]}],
    }


def in_ns(ns, *cmd, timeout=120):
    return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True,
                          timeout=timeout)


def show_ping(r):
    """ping's summary lines: what was sent, what came back."""
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    print("\n".join(lines[-2:]) if r.returncode == 0 else r.stdout + r.stderr, flush=True)
    return r.returncode == 0


def file_over_http(work, size):
    """vm2 (host-b) serves a file with python3 -m http.server; vm1 (host-a) fetches it."""
    d = work / "www"
    d.mkdir(parents=True, exist_ok=True)
    (d / "blob").write_bytes(os.urandom(size))
    sent = hashlib.sha256((d / "blob").read_bytes()).hexdigest()
    srv = subprocess.Popen(["ip", "netns", "exec", NS["vm2"], "/usr/bin/python3", "-m",
                            "http.server", "--bind", "10.8.1.21", "--directory", str(d), "8000"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        got = d / "received"
        for _ in range(50):  # until the server listens
            r = in_ns(NS["vm1"], "curl", "-sS", "--max-time", "60", "-o", str(got),
                      "http://10.8.1.21:8000/blob")
            if r.returncode != 7:  # 7: connection refused, not listening yet
                break
            time.sleep(0.1)
        if r.returncode != 0:
            print("curl failed: " + r.stderr, flush=True)
            return False
        received = hashlib.sha256(got.read_bytes()).hexdigest()
    finally:
        srv.kill()
        srv.wait()
    print("sha256 served by vm2:   %s (%d bytes)" % (sent, size))
    print("sha256 received by vm1: %s (%d bytes)" % (received, got.stat().st_size))
    print("file checksum %s" % ("matches" if sent == received else "DIFFERS"), flush=True)
    return sent == received


def views(kds, short):
    for host, kd in zip(HOSTS, kds):
        say("%s: kairoctl list host" % host)
        print(kd.ctl("list", "host", as_json=False), end="", flush=True)
        say("%s: kairoctl show datapath" % host)
        text = kd.ctl("show", "datapath", as_json=False)
        print("\n".join(text.splitlines()[:12 if short else None]), flush=True)
        say("%s: kairoctl dump flows --ip-protocol 1 (ICMP)" % host)
        print(kd.ctl("dump", "flows", "--ip-protocol", "1", as_json=False), end="", flush=True)
        say("%s: kairoctl show tunnels" % host)
        print(kd.ctl("show", "tunnels", as_json=False), end="", flush=True)
    # How host-a decided the floating IP's flow: bridge, router (dnat), bridge, the tunnel.
    say("host-a: kairoctl flow explain --ip-dst %s --ip-protocol 1 --limit 1" % FIP)
    print(kds[0].ctl("flow", "explain", "--ip-dst", FIP, "--ip-protocol", "1", "--limit", "1",
                     as_json=False), end="", flush=True)


def run(work, short):
    ok = True
    zk = redis = zkc = None
    kds = []
    try:
        for h in HOSTS:
            netns_add(NS[h])
            root_if, ns_if, root_addr, ns_addr = MGMT[h]
            sh("ip", "link", "del", root_if, check=False)
            sh("ip", "link", "add", root_if, "type", "veth", "peer", "name", ns_if)
            sh("ip", "link", "set", ns_if, "netns", NS[h])
            sh("ip", "addr", "add", root_addr + "/30", "dev", root_if)
            sh("ip", "link", "set", root_if, "up")
            sh("ip", "-n", NS[h], "addr", "add", ns_addr + "/30", "dev", ns_if)
            sh("ip", "-n", NS[h], "link", "set", ns_if, "up")
        (ua, _), (ub, _) = UNDERLAY["host-a"], UNDERLAY["host-b"]
        sh("ip", "link", "add", ua, "type", "veth", "peer", "name", ub)
        for h in HOSTS:
            sh("ip", "link", "set", UNDERLAY[h][0], "netns", NS[h])
            sh("ip", "-n", NS[h], "link", "set", UNDERLAY[h][0], "up")

        say("ZooKeeper and Redis on ports of their own (not the system services)")
        zk = ZkServer(work / "zk", address="0.0.0.0").start(timeout=90)
        redis = RedisServer(work / "redis",
                            bind=["127.0.0.1"] + [MGMT[h][2] for h in HOSTS]).start()
        print("zookeeper :%d  redis :%d" % (zk.port, redis.port), flush=True)
        zkc = zk.client()
        put_topology(zkc, topology())
        # The central configuration: Redis for every host, each host's way there.
        zkc.create("/kairo/config/default", json.dumps({"redis": {
            "port": redis.port, "state_ttl_s": 60, "wait_ms": 1000}}).encode(), makepath=True)
        for h in HOSTS:
            zkc.create("/kairo/config/hosts/" + h,
                       json.dumps({"redis": {"host": MGMT[h][2]}}).encode(), makepath=True)

        for h in HOSTS:
            vms = ("vm1", "ext") if h == "host-a" else ("vm2",)
            ports = [{"name": TAP[v], "device": "net_tap%d,iface=%s" % (i, TAP[v])}
                     for i, v in enumerate(vms)]
            ports.append({"name": "up", "device": "net_af_packet0,iface=" + UNDERLAY[h][0],
                          "role": "uplink"})
            say("starting kairod %s in netns %s" % (h, NS[h]))
            kd = NsKairod(NS[h], work / h, ports, None, extra_config={
                "host": h, "host_id": h, "zookeeper_hosts": zk.hosts_at(MGMT[h][2]),
                "underlay": {"interface": "up", "address": UNDERLAY[h][1] + "/24",
                             "mtu": 1500}})
            kd.start(timeout=90)
            kds.append(kd)
        mtu = kds[0].ctl("show", "tunnels")["vport_mtu_vxlan"]
        vm_setup(NS["vm1"], TAP["vm1"], "10.8.1.11/24", mtu, "10.8.1.1", from_ns=NS["host-a"])
        vm_setup(NS["vm2"], TAP["vm2"], "10.8.1.21/24", mtu, "10.8.1.1", from_ns=NS["host-b"])
        vm_setup(NS["ext"], TAP["ext"], EXT + "/24", 1500, from_ns=NS["host-a"])
        # The outside reaches the floating IP by the router, as an upstream router would.
        sh("ip", "-n", NS["ext"], "route", "add", FIP + "/32", "via", ROUTER_OUT)

        count = "3" if short else "5"
        say("vm1 (host-a, 10.8.1.11) pings vm2 (host-b, 10.8.1.21) across the VXLAN underlay")
        ping_until(NS["vm1"], "10.8.1.21")
        ok &= show_ping(ping(NS["vm1"], "10.8.1.21", count=count))
        say("vm1 moves a file over TCP: HTTP from vm2 (host-b) with curl")
        ok &= file_over_http(work, (256 if short else 4096) * 1024)
        say("vm1 pings the outside (%s): masqueraded to %s" % (EXT, ROUTER_OUT))
        ping_until(NS["vm1"], EXT)
        ok &= show_ping(ping(NS["vm1"], EXT, count=count))
        say("the outside pings vm2's floating IP %s (vm2 is on host-b)" % FIP)
        ping_until(NS["ext"], FIP)
        ok &= show_ping(ping(NS["ext"], FIP, count=count))
        views(kds, short)
        alive = {o["id"]: o["alive"] for o in kds[0].ctl("list", "host")["objects"]}
        print("hosts alive (seen from host-a): %s" % " ".join(
            "%s=%s" % (h, str(alive.get(h)).lower()) for h in HOSTS), flush=True)
        ok &= all(alive.get(h) is True for h in HOSTS)
    finally:
        say("cleaning up")
        for ns in ("vm1", "vm2", "ext"):
            sh("ip", "netns", "del", NS[ns], check=False)
        for kd in kds:
            try:
                kd.stop()
            except Exception as e:  # the rest is removed whatever a daemon did
                print("kairod stop: %s" % e, flush=True)
        for h in HOSTS:
            sh("ip", "netns", "del", NS[h], check=False)
            sh("ip", "link", "del", MGMT[h][0], check=False)
        if zkc is not None:
            zkc.stop()
            zkc.close()
        if redis is not None:
            redis.stop()
        if zk is not None:
            zk.kill()
    print("demo-overlay: %s" % ("ok" if ok else "FAILED"), flush=True)
    return 0 if ok else 1


def main():
    # kazoo says so each time the readiness probe's connection closes: not the demo's news.
    logging.basicConfig(level=logging.ERROR)
    # Stopped by demo-overlay.sh's trap: remove what was made (run's finally), then exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--short", action="store_true", help="fewer pings, a smaller file, "
                    "shorter views (the test suite's mode)")
    ap.add_argument("--workdir", required=True, help="where logs and files go")
    args = ap.parse_args()
    return run(Path(args.workdir), args.short)


if __name__ == "__main__":
    sys.exit(main())
