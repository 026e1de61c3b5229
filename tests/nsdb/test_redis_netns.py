# SPDX-License-Identifier: Apache-2.0
"""A stateful port group across two hosts sharing one Redis, with real kernels at both ends.

    vm (10.8.1.11) -tap- kairod A -tap- [xa 10.9.0.2]  outside  [xb 10.9.1.2] -tap- kairod B
                           \\____________ veth underlay (VXLAN) ______________________/

Router r1 has an uplink on each host (r1-xa on A, r1-xb on B), both in the stateful port group
"uplinks".  What the VM sends out is masqueraded to 203.0.113.10 and leaves by A; the outside
routes 203.0.113.0/24 back through B.  So every answer arrives at a host that did not make the
connection: B finds the binding in Redis (written by A before the VM's packet left), turns the
answer back to the VM and tunnels it to A.  Then Redis is killed while traffic runs, and
started again empty.  Last, the same two hosts read the topology from one ZooKeeper (Redis
named by the central configuration there) and take one change to it together.
"""
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from kairo_harness import Capture
from redis_server import RedisServer
from test_zookeeper import version
from zk_server import ZkServer, java_available, put_topology

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "netns"))
from test_overlay_netns import (NsKairod, netns_add, ping, ping_until, sh,  # noqa: E402
                                tcp_exchange, vm_setup)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

TAG = "%d" % (os.getpid() % 1000)
PUBLIC = "203.0.113.10"


def nat_chains(public):
    """Masquerade what leaves by r1-xa to public; turn back what comes in to public."""
    return [
        {"id": "pre", "rules": [{"pos": 1, "type": "rev_snat", "dst": public,
                                 "action": "accept"}]},
        {"id": "post", "rules": [{"pos": 1, "type": "snat", "out-ports": "r1-xa",
                                  "action": "accept", "target": public + ":10000-10999"}]},
    ]


def topology(vm, xa, xb):
    return {
        "bridges": [{"id": "bridge1", "ports": [{"id": "b1-vm"},
                                                {"id": "b1-r", "peer": "r1p1"}]}],
        "routers": [{"id": "r1", "inbound_filter": "pre", "outbound_filter": "post",
                     "ports": [
                         {"id": "r1p1", "address": "10.8.1.1", "network": "10.8.1.0/24"},
                         {"id": "r1-xa", "address": "10.9.0.1", "network": "10.9.0.0/24"},
                         {"id": "r1-xb", "address": "10.9.1.1", "network": "10.9.1.0/24"}],
                     "routes": [{"dst": "0.0.0.0/0", "gateway": "10.9.0.2", "port": "r1-xa"}]}],
        "chains": nat_chains(PUBLIC),
        "port_groups": [{"id": "uplinks", "stateful": True, "ports": ["r1-xa", "r1-xb"]}],
        "hosts": [{"id": "host-a"}, {"id": "host-b"}],
        "tunnel_zones": [{"id": "tz", "type": "vxlan", "members": [
            {"host": "host-a", "address": "192.168.62.1"},
            {"host": "host-b", "address": "192.168.62.2"}]}],
        "bindings": [{"port": "b1-vm", "host": "host-a", "interface": vm},
                     {"port": "r1-xa", "host": "host-a", "interface": xa},
                     {"port": "r1-xb", "host": "host-b", "interface": xb}],
    }


def redis_config(srv, **kw):
    # A parked packet waits up to 500 ms for Redis, not 50: the tests share two cores with
    # everything else (sanitizer builds among them), and a slow answer would drop the packet.
    return srv.config(state_ttl_s=30, wait_ms=500, **kw)


@contextlib.contextmanager
def two_host_setup(tmp_path, store, topo, taps):
    """Hosts A and B (namespaces) with kairods on taps[host] and one underlay, sharing Redis.

    store "file": each kairod reads the same topology file and has its redis section locally.
    store "zookeeper": the topology is written to one ZooKeeper, each host's bindings under
    its own host node, and Redis is named by the central configuration; the local config
    holds only what midolman.conf would: the ZooKeeper hosts, the host id, the interfaces.
    Namespaces the test adds to h.extra_ns go first at the end.
    """
    ha, hb = "krsa" + TAG, "krsb" + TAG
    ua, ub = "krua" + TAG, "krub" + TAG
    netns_add(ha)
    netns_add(hb)
    # Each host reaches Redis (and ZooKeeper) over a management link of its own: its loopback
    # is its own.  The links' /30s are the run's own (a second run at once must not route
    # this one's connections).
    mgmt = {}
    for i, ns in enumerate((ha, hb)):
        root_if, ns_if = "krm%d%s" % (i, TAG), "krn%d%s" % (i, TAG)
        root_addr, ns_addr = ("172.31.%d.%d" % (int(TAG) % 256, 4 * i + k) for k in (1, 2))
        sh("ip", "link", "del", root_if, check=False)
        sh("ip", "link", "add", root_if, "type", "veth", "peer", "name", ns_if)
        sh("ip", "link", "set", ns_if, "netns", ns)
        sh("ip", "addr", "add", root_addr + "/30", "dev", root_if)
        sh("ip", "link", "set", root_if, "up")
        sh("ip", "-n", ns, "addr", "add", ns_addr + "/30", "dev", ns_if)
        sh("ip", "-n", ns, "link", "set", ns_if, "up")
        mgmt[ns] = (root_addr, root_if)
    srv = RedisServer(tmp_path / "redis",
                      bind=["127.0.0.1"] + [a for a, _ in mgmt.values()]).start()
    zk = zkc = None
    sh("ip", "link", "add", ua, "type", "veth", "peer", "name", ub)
    sh("ip", "link", "set", ua, "netns", ha)
    sh("ip", "link", "set", ub, "netns", hb)
    sh("ip", "-n", ha, "link", "set", ua, "up")
    sh("ip", "-n", hb, "link", "set", ub, "up")
    kds = []
    h = SimpleNamespace(ha=ha, hb=hb, redis=srv, zk=None, extra_ns=[])
    try:
        if store == "zookeeper":
            zk = ZkServer(tmp_path / "zk", address="0.0.0.0").start()
            h.zk = zkc = zk.client()
            put_topology(zkc, topo)
            central = {"redis": {k: v for k, v in redis_config(srv).items() if k != "host"}}
            zkc.create("/kairo/config/default", json.dumps(central).encode(), makepath=True)
        for ns, host, addr, uplink in ((ha, "host-a", "192.168.62.1", ua),
                                       (hb, "host-b", "192.168.62.2", ub)):
            ports = [{"name": t, "device": "net_tap%d,iface=%s" % (i, t)}
                     for i, t in enumerate(taps[host])]
            ports.append({"name": "up", "device": "net_af_packet0,iface=%s" % uplink,
                          "role": "uplink"})
            config = {"host_id": host,
                      "underlay": {"interface": "up", "address": addr + "/24", "mtu": 1500}}
            if zk is None:
                config["redis"] = redis_config(srv, host=mgmt[ns][0])
            else:
                # This host's override of the central configuration: its way to Redis.
                zkc.create("/kairo/config/hosts/" + host,
                           json.dumps({"redis": {"host": mgmt[ns][0]}}).encode(),
                           makepath=True)
                config["zookeeper_hosts"] = zk.hosts_at(mgmt[ns][0])
            kd = NsKairod(ns, tmp_path / host, ports, topo if zk is None else None,
                          extra_config=config)
            kd.start(timeout=60)
            kds.append(kd)
        h.a, h.b = kds
        yield h
    finally:
        for ns in h.extra_ns:
            sh("ip", "netns", "del", ns, check=False)
        for kd in kds:
            try:
                kd.stop()
            except Exception as e:  # the rest is cleaned up whatever a daemon did
                print("kairod stop: %s" % e)
        sh("ip", "netns", "del", ha, check=False)
        sh("ip", "netns", "del", hb, check=False)
        for _, root_if in mgmt.values():
            sh("ip", "link", "del", root_if, check=False)
        srv.stop()
        if zkc is not None:
            zkc.stop()
            zkc.close()
        if zk is not None:
            zk.kill()


@contextlib.contextmanager
def nat_hosts(tmp_path, store):
    """The VM behind A, masqueraded out by A; the outside answering through B."""
    vm, xa, xb = "krvm" + TAG, "krxa" + TAG, "krxb" + TAG
    with two_host_setup(tmp_path, store, topology(vm, xa, xb),
                        {"host-a": (vm, xa), "host-b": (xb,)}) as h:
        h.vmns, h.out, h.xa = "krsv" + TAG, "krso" + TAG, xa
        h.extra_ns += [h.vmns, h.out]
        vm_setup(h.vmns, vm, "10.8.1.11/24", 1450, "10.8.1.1", from_ns=h.ha)
        # The outside: one leg towards each host; answers to the public addresses go by B.
        vm_setup(h.out, xa, "10.9.0.2/24", 1500, from_ns=h.ha)
        sh("ip", "-n", h.hb, "link", "set", xb, "netns", h.out)
        sh("ip", "-n", h.out, "addr", "add", "10.9.1.2/24", "dev", xb)
        sh("ip", "-n", h.out, "link", "set", xb, "up")
        sh("ip", "-n", h.out, "route", "add", "203.0.113.0/24", "via", "10.9.1.1", "dev", xb)
        for k in ("all", "default", xa, xb):
            sh("ip", "netns", "exec", h.out, "sysctl", "-qw",
               "net.ipv4.conf.%s.rp_filter=0" % k)
        yield h


@pytest.fixture
def two_hosts(tmp_path):
    with nat_hosts(tmp_path, "file") as h:
        yield h.a, h.b, h.redis, h.vmns, h.out


@pytest.fixture
def two_hosts_zk(tmp_path):
    if not java_available():
        pytest.skip("needs Debian's zookeeper and java")
    with nat_hosts(tmp_path, "zookeeper") as h:
        yield h


def capture_src(ns, iface, count, seconds):
    """ICMP on iface in ns, captured from the moment this returns: the sources seen."""
    return Capture(iface, ["-c", str(count), "-a", "duration:%d" % seconds, "-f", "icmp",
                           "-T", "fields", "-e", "ip.src", "-e", "ip.dst"], ns=ns)


def test_answers_arriving_at_the_other_host_find_the_binding_in_redis(two_hosts):
    kda, kdb, srv, vmns, out = two_hosts
    r = ping_until(vmns, "10.9.0.2")
    assert r.returncode == 0, r.stdout + r.stderr
    r = ping(vmns, "10.9.0.2", count=5)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
    sa, sb = kda.ctl("show", "state"), kdb.ctl("show", "state")
    # A made the binding and wrote it before the first packet left; B found it in Redis.
    assert sa["connected"] and sb["connected"]
    assert sa["simulation"]["parked"] >= 1          # the first packet waited for the write
    assert sb["found"] >= 1 and sb["simulation"]["imported"] >= 1
    statsb = kdb.stats()
    assert statsb["slow_path"]["nat_reversed"] >= 1
    assert statsb["slow_path"]["nat_created"] == 0  # B never translated anything itself
    # Nor asked who 10.8.1.11 is: A had resolved the VM (its ARP for the gateway taught it).
    assert statsb["slow_path"]["arp_requests"] == 0
    assert sb["simulation"]["arps_imported"] >= 1
    keys = srv.client().keys("kairo:nat:r1:snat_rev:icmp/10.9.0.2/*")
    assert keys and json.loads(srv.client().get(keys[0]))["host"] == "host-a"


def test_a_tcp_connection_answered_through_the_other_host(two_hosts):
    kda, kdb, srv, vmns, out = two_hosts
    assert ping_until(vmns, "10.9.0.2").returncode == 0
    # SYN and data leave by A; SYN-ACK and every answer come back through B.
    got = tcp_exchange(out, "10.9.0.2", vmns, 256 * 1024)
    import hashlib
    want = hashlib.sha256(bytes(range(256)) * 1024).hexdigest()
    assert got == "%d %s" % (256 * 1024, want)
    keys = srv.client().keys("kairo:nat:r1:snat_rev:tcp/10.9.0.2/5001/%s/*" % PUBLIC)
    assert len(keys) == 1
    assert kdb.ctl("show", "state")["simulation"]["imported"] >= 2  # ping's and TCP's


def test_redis_lost_and_back_empty_mid_traffic(two_hosts):
    kda, kdb, srv, vmns, out = two_hosts
    assert ping_until(vmns, "10.9.0.2").returncode == 0
    # One ping session of 40 packets, 0.1 s apart; Redis is killed during it and comes back.
    pinger = subprocess.Popen(["ip", "netns", "exec", vmns, "ping", "-c", "40", "-i", "0.1",
                               "-W", "2", "10.9.0.2"], stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    srv.kill()
    kda.wait_for(lambda s: not s["state"]["connected"], what="A sees Redis gone")
    time.sleep(1.0)
    srv.start()  # empty: no persistence
    kda.wait_for(lambda s: s["state"]["connected"] and s["state"]["connects"] >= 2,
                 timeout=15, what="A reconnected")
    kdb.wait_for(lambda s: s["state"]["connected"] and s["state"]["connects"] >= 2,
                 timeout=15, what="B reconnected")
    stdout, _ = pinger.communicate(timeout=30)
    # Established flows never needed Redis: nothing lost.
    assert " 0% packet loss" in stdout, stdout
    logs = (kda.log_path.read_text(), kdb.log_path.read_text())
    for log in logs:
        assert "DISCONNECT" in log and "resynchronising" in log
    # Back empty, it was given the live state again: the binding and A's block.
    r = srv.client()
    kda.wait_for(lambda s: r.keys("kairo:nat:r1:snat_rev:icmp/10.9.0.2/*") != [], timeout=15,
                 what="the live binding written again")
    blocks = r.keys("kairo:snat:r1:%s:*" % PUBLIC)
    assert blocks and all(r.get(b) == "host-a" for b in blocks)
    # And a new connection works again end to end (lookups at B find it).
    r2 = ping(vmns, "10.9.0.2", count=3)
    assert r2.returncode == 0, r2.stdout


# ---- the same two hosts on one ZooKeeper and one Redis ----

def test_two_hosts_sharing_one_zookeeper_and_one_redis(two_hosts_zk):
    h = two_hosts_zk
    # Both hosts registered in the one ZooKeeper, each alive in a session of its own.
    owners = set()
    for host in ("host-a", "host-b"):
        record = json.loads(h.zk.get("/kairo/hosts/" + host)[0])
        assert "up" in [i["name"] for i in record["interfaces"]]
        owners.add(h.zk.get("/kairo/hosts/%s/alive" % host)[1].ephemeralOwner)
    assert len(owners) == 2 and 0 not in owners
    # The central configuration named Redis (each host by its own way there).
    assert h.a.ctl("show", "state")["connected"] and h.b.ctl("show", "state")["connected"]
    # A connection masqueraded on A is answered through B, which finds A's binding in Redis.
    assert ping_until(h.vmns, "10.9.0.2").returncode == 0
    r = ping(h.vmns, "10.9.0.2", count=3)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
    sb = h.b.ctl("show", "state")
    assert sb["found"] >= 1 and sb["simulation"]["imported"] >= 1
    assert h.b.stats()["slow_path"]["nat_created"] == 0
    keys = h.redis.client().keys("kairo:nat:r1:snat_rev:icmp/10.9.0.2/*/%s/*" % PUBLIC)
    assert keys and json.loads(h.redis.client().get(keys[0]))["host"] == "host-a"

    # One change through ZooKeeper, both chains in one transaction: masquerade to another
    # address.  Both hosts take it; A's new connections leave with the new address and B,
    # which only ever sees answers, turns them back with the binding A wrote.
    public2 = "203.0.113.20"
    before = (version(h.a), version(h.b))
    imported = sb["simulation"]["imported"]
    t = h.zk.transaction()
    for chain in nat_chains(public2):
        t.set_data("/kairo/topology/chains/" + chain["id"], json.dumps(chain).encode())
    results = t.commit()
    assert not any(isinstance(x, Exception) for x in results), results
    h.a.wait_for(lambda s: s["slow_path"]["topo_version"] > before[0], what="A took the change")
    h.b.wait_for(lambda s: s["slow_path"]["topo_version"] > before[1], what="B took the change")
    # One echo at a time until the capture has three: on a loaded machine the first ones may
    # pass before tshark's filter reads the interface, though it already said it captures.
    cap = capture_src(h.out, h.xa, 3, 180)
    deadline = time.monotonic() + 120
    while cap.proc.poll() is None and time.monotonic() < deadline:
        r = ping(h.vmns, "10.9.0.2", count=1)
        assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
    if cap.proc.poll() is None:
        cap.proc.terminate()
    seen, _ = cap.communicate(timeout=60)
    assert {line.split()[0] for line in seen.split("\n") if line} == {public2}, seen
    assert h.b.ctl("show", "state")["simulation"]["imported"] > imported
    assert h.redis.client().keys("kairo:nat:r1:snat_rev:icmp/10.9.0.2/*/%s/*" % public2)
    assert h.b.stats()["slow_path"]["nat_created"] == 0


# ---- a bridge across both hosts: MACs learned on one host are found by the other ----

def mac_of(ns, ifname):
    return json.loads(sh("ip", "-j", "-n", ns, "link", "show", ifname).stdout)[0]["address"]


@pytest.fixture
def bridged_hosts(tmp_path):
    """VM a1 behind A; VMs b1 and b2 behind B; all three on one bridge."""
    a1, b1, b2 = "krba" + TAG, "krbb" + TAG, "krbc" + TAG
    topo = {
        "bridges": [{"id": "bridge1", "ports": [{"id": "p-a1"}, {"id": "p-b1"},
                                                {"id": "p-b2"}]}],
        "hosts": [{"id": "host-a"}, {"id": "host-b"}],
        "tunnel_zones": [{"id": "tz", "type": "vxlan", "members": [
            {"host": "host-a", "address": "192.168.62.1"},
            {"host": "host-b", "address": "192.168.62.2"}]}],
        "bindings": [{"port": "p-a1", "host": "host-a", "interface": a1},
                     {"port": "p-b1", "host": "host-b", "interface": b1},
                     {"port": "p-b2", "host": "host-b", "interface": b2}],
    }
    with two_host_setup(tmp_path, "file", topo, {"host-a": (a1,), "host-b": (b1, b2)}) as h:
        h.vms = {}
        for name, tap, addr, host_ns in (("a1", a1, "10.8.5.1/24", h.ha),
                                          ("b1", b1, "10.8.5.2/24", h.hb),
                                          ("b2", b2, "10.8.5.3/24", h.hb)):
            ns = "krv" + name + TAG
            h.extra_ns.append(ns)
            vm_setup(ns, tap, addr, 1450, from_ns=host_ns)
            h.vms[name] = (ns, tap, mac_of(ns, tap))
        yield h


def test_a_mac_learned_on_one_host_is_found_by_the_other_not_flooded(bridged_hosts):
    h = bridged_hosts
    (a1_ns, _, a1_mac), (_, _, b1_mac), (b2_ns, b2_tap, b2_mac) = (
        h.vms["a1"], h.vms["b1"], h.vms["b2"])
    # b2 listens for any unicast frame not meant for it: a flood would bring it some.
    cap = Capture(b2_tap, ["-a", "duration:12", "-f", "not broadcast and not multicast and "
                           "not ether dst %s" % b2_mac, "-T", "fields", "-e", "eth.src",
                           "-e", "eth.dst"], ns=b2_ns)
    # a1 asks who has b1 (a broadcast, learned at A and written before it leaves); b1 answers
    # a1's MAC at B, which was never told it locally: B finds it in Redis.  Then each side
    # sends to the other's MAC without a flood.
    r = ping(a1_ns, "10.8.5.2", count=5)
    seen, _ = cap.communicate(timeout=30)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
    assert seen.strip() == "", "b2 was sent frames for others:\n" + seen
    rc = h.redis.client()
    assert json.loads(rc.get("kairo:mac:bridge1:" + a1_mac)) == {"host": "host-a",
                                                                "port": "p-a1"}
    assert json.loads(rc.get("kairo:mac:bridge1:" + b1_mac)) == {"host": "host-b",
                                                                "port": "p-b1"}
    sa, sb = h.a.ctl("show", "state"), h.b.ctl("show", "state")
    assert sb["simulation"]["macs_imported"] >= 1 and sa["simulation"]["macs_imported"] >= 1
    # B's flows towards a1 go to A alone, to a1's port (tunnel key 1: port p-a1), never
    # to A's flood key.
    flows_b = [f for f in h.b.ctl("dump", "flows")["flows"]
               if "eth_dst=" + a1_mac.upper() in f["match"]]
    assert flows_b and all(f["actions"] == "tunnel(vxlan,192.168.62.1,key=1)"
                           for f in flows_b), flows_b
