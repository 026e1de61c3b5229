# SPDX-License-Identifier: Apache-2.0
"""Shared state in Redis (issue 6, nsdb/README.md "Shared state in Redis"), against real
redis-server processes started by the tests on loopback ports of their own.

1. One host: what the simulation creates is written behind, readable, with its TTL: NAT
   bindings under both keys, the SNAT blocks this host holds, learned MACs, ARP entries.
2. Two hosts on one Redis masquerade to the same address and port range under load: every
   port leaves from one host only, from blocks that host holds; with the topology from a file
   each, and from one ZooKeeper both read (Redis named by its central configuration).
3. Credentials and configuration: AUTH, a wrong password, refused settings.
The stateful port group across two hosts, and Redis lost and back mid-traffic, are in
test_redis_netns.py (real kernels at both ends).
"""
import json
import time

import pytest
from scapy.all import IP, UDP, Raw

from kairo_harness import Kairod, run_kairod_once
from redis_server import RedisServer
from zk_server import ZkServer, java_available, put_topology

import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pcap"))
from test_nat_pcap import (EXT, MAC_EXT, MAC_VM1, MAC_VM3, R1P2, ROUTER_OUT, VM1, VM3,  # noqa: E402
                           from_vm, ipv4, topology)
from test_router_pcap import announce  # noqa: E402
from test_rules_pcap import outputs, start  # noqa: E402


@pytest.fixture
def redis_server(tmp_path):
    srv = RedisServer(tmp_path / "redis").start()
    yield srv
    srv.stop()


def masquerade_run(tmp_path, redis_cfg, vm_frames, host="host-a", ports="10000-10999"):
    """kairod with its VMs' frames on a, the outside on b; returns (frames out on b, stats)."""
    inputs = {"a": vm_frames, "b": [announce(MAC_EXT, EXT, R1P2, ROUTER_OUT)]}
    kd = start(tmp_path, inputs, topology(masquerade_ports=ports), host_id=host,
               redis=redis_cfg, slow_path={"vport_bucket": 256})
    with kd:
        kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) >= len(vm_frames) + 1,
                    what="every packet in")
        kd.wait_for(lambda s: s["state"]["simulation"]["parked_now"] == 0 and
                    s["state"]["writes"] >= 1, what="nothing waiting for Redis")
        time.sleep(0.5)
        state = kd.ctl("show", "state")
        final = kd.stop()
    left = [p for p in ipv4(outputs(tmp_path)["b"]) if p.haslayer(UDP)]
    return left, final, state


def test_bindings_blocks_macs_and_arp_entries_are_written_behind_with_ttls(tmp_path, redis_server):
    vm = [from_vm(MAC_VM1, VM1, UDP(sport=2000 + i, dport=7777), tag=b"%d" % i) for i in range(80)]
    left, stats, state = masquerade_run(tmp_path, redis_server.config(state_ttl_s=30), vm)
    assert len(left) == 80
    assert state["connected"] is True and state["write_errors"] == 0
    r = redis_server.client()
    for p in left:
        port = p[UDP].sport
        sent = int(p[Raw].load) + 2000
        # The answer's key: how the other hosts of a stateful group will find the binding.
        rev = "kairo:nat:r1:snat_rev:udp/%s/7777/%s/%d" % (EXT, ROUTER_OUT, port)
        fwd = "kairo:nat:r1:snat_fwd:udp/%s/%d/%s/7777" % (VM1, sent, EXT)
        v = json.loads(r.get(rev))
        assert v == json.loads(r.get(fwd))
        assert v["host"] == "host-a" and v["port"] is True
        assert v["orig"] == "%s:%d" % (VM1, sent) and v["xlat"] == "%s:%d" % (ROUTER_OUT, port)
        assert 0 < r.pttl(rev) <= 30000
        # The port is from a block this host holds.
        assert r.get("kairo:snat:r1:%s:%d" % (ROUTER_OUT, port // 64)) == "host-a"
    blocks = r.keys("kairo:snat:*")
    # 80 connections fit in two blocks of 64: the host leased no more than it needed.
    assert len(blocks) == 2 and state["leases_held"] == 2
    assert 0 < r.pttl(blocks[0]) <= 60000
    assert json.loads(r.get("kairo:mac:bridge1:%s" % MAC_VM1)) == {"host": "host-a",
                                                                  "port": "b1a"}
    assert json.loads(r.get("kairo:arp:r1:%s" % EXT)) == {"host": "host-a", "mac": MAC_EXT}
    assert stats["state"]["simulation"]["writes_lost"] == 0


# ---- 2. two hosts masquerade to one address: their ports never collide ----

def two_host_topology():
    """Router r1 with a VM and an uplink on each host; both VMs masqueraded to one address."""
    return {
        "bridges": [{"id": "bridge1", "ports": [{"id": "b1-va"}, {"id": "b1-vb"},
                                                {"id": "b1r", "peer": "r1p1"}]}],
        "routers": [{
            "id": "r1", "outbound_filter": "post",
            "ports": [
                {"id": "r1p1", "address": "10.0.1.1", "network": "10.0.1.0/24",
                 "mac": "02:00:00:00:01:01"},
                {"id": "r1-xa", "address": ROUTER_OUT, "network": "198.51.100.0/24", "mac": R1P2},
                {"id": "r1-xb", "address": "198.51.101.1", "network": "198.51.101.0/24",
                 "mac": "02:00:00:00:03:01"}],
            # Each host's VMs leave by that host's uplink (routes by source).
            "routes": [{"src": "10.0.1.0/25", "dst": "0.0.0.0/0", "gateway": "198.51.100.2",
                        "port": "r1-xa"},
                       {"src": "10.0.1.128/25", "dst": "0.0.0.0/0", "gateway": "198.51.101.2",
                        "port": "r1-xb"}]}],
        "chains": [{"id": "post", "rules": [{"pos": 1, "type": "snat", "src": "10.0.1.0/24",
                                             "action": "accept",
                                             "target": "203.0.113.10:10000-10999"}]}],
        "hosts": [{"id": "host-a"}, {"id": "host-b"}],
        "tunnel_zones": [{"id": "tz", "type": "vxlan", "members": [
            {"host": "host-a", "address": "192.168.63.1"},
            {"host": "host-b", "address": "192.168.63.2"}]}],
        "bindings": [{"port": "b1-va", "host": "host-a", "interface": "vm"},
                     {"port": "r1-xa", "host": "host-a", "interface": "up"},
                     {"port": "b1-vb", "host": "host-b", "interface": "vm"},
                     {"port": "r1-xb", "host": "host-b", "interface": "up"}],
    }


@pytest.fixture(params=["file", "zookeeper"])
def store(request, tmp_path):
    """Where both hosts' topology comes from: one file each, or one ZooKeeper they share
    (then Redis is named by the central configuration there, as in a deployment)."""
    if request.param == "file":
        yield None
        return
    if not java_available():
        pytest.skip("needs Debian's zookeeper and java")
    with ZkServer(tmp_path / "zk") as zk:
        yield zk


def test_two_hosts_masquerading_to_one_address_never_share_a_port(tmp_path, redis_server,
                                                                  store):
    n = 200
    topo, config = two_host_topology(), {"redis": redis_server.config()}
    if store is not None:
        zkc = store.client()
        put_topology(zkc, topo)
        zkc.create("/kairo/config/default", json.dumps(config).encode(), makepath=True)
        zkc.stop()
        zkc.close()
        topo, config = None, {"zookeeper_hosts": store.hosts}
    hosts = {"host-a": ("10.0.1.2", "02:00:00:00:01:02", "198.51.100.2", R1P2, ROUTER_OUT),
             "host-b": ("10.0.1.200", "02:00:00:00:01:c8", "198.51.101.2",
                        "02:00:00:00:03:01", "198.51.101.1")}
    kds = {}
    try:
        for host, (ip, mac, gw, rmac, rip) in hosts.items():
            d = tmp_path / host
            # The same remote end and source ports on both hosts: only the VM's address differs.
            vm = [from_vm(mac, ip, UDP(sport=2000 + i, dport=7777), dst="192.0.2.99",
                          tag=b"%d" % i) for i in range(n)]
            kd = start(d, {"vm": vm, "up": [announce(MAC_EXT, gw, rmac, rip)]},
                       topo, names=("vm", "up"), host_id=host,
                       slow_path={"vport_bucket": 512, "global_bucket": 1024}, **config)
            kds[host] = kd.start()
        for host, kd in kds.items():
            kd.wait_for(lambda s: s["slow_path"]["nat_created"] >= n and
                        s["state"]["simulation"]["parked_now"] == 0, timeout=20,
                        what="%s: %d bindings" % (host, n))
        states = {h: kd.ctl("show", "state") for h, kd in kds.items()}
    finally:
        for kd in kds.values():
            kd.stop()
    r = redis_server.client()
    used = {}
    for host in hosts:
        left = [p for p in ipv4(outputs(tmp_path / host, ("vm", "up"))["up"]) if p.haslayer(UDP)]
        ports = [p[UDP].sport for p in left]
        assert len(left) == n and len(set(ports)) == n
        assert all(p[IP].src == "203.0.113.10" and 10000 <= x <= 10999
                   for p, x in zip(left, ports))
        # Every port is from a block this host holds in Redis.
        for x in ports:
            assert r.get("kairo:snat:r1:203.0.113.10:%d" % (x // 64)) == host
        used[host] = set(ports)
        assert states[host]["leases_held"] == len({x // 64 for x in ports})
    # The two hosts' translations to one remote end never meet.
    assert not used["host-a"] & used["host-b"]


# ---- 3. TTLs kept while flows live; credentials; refused settings ----

def test_bindings_in_use_are_written_again_before_their_ttl_runs_out(tmp_path, redis_server):
    # A 3 s TTL: written again every second while the flow lives, so it never lapses.
    vm = [from_vm(MAC_VM1, VM1, UDP(sport=2500, dport=7777), tag=b"0")]
    inputs = {"a": vm, "b": [announce(MAC_EXT, EXT, R1P2, ROUTER_OUT)]}
    kd = start(tmp_path, inputs, topology(masquerade_ports="10000-10999"), host_id="host-a",
               redis=redis_server.config(state_ttl_s=3),
               flow_cache={"capacity": 1024, "idle_timeout_ms": 60000})
    r = redis_server.client()
    fwd = "kairo:nat:r1:snat_fwd:udp/%s/2500/%s/7777" % (VM1, EXT)
    with kd:
        kd.wait_for(lambda s: r.exists(fwd), what="the binding written")
        time.sleep(5)   # longer than the TTL
        assert r.exists(fwd) and 0 < r.pttl(fwd) <= 3000
        assert kd.ctl("show", "state")["simulation"]["refreshed"] >= 2


def test_redis_auth_with_the_configured_password(tmp_path):
    srv = RedisServer(tmp_path / "redis", password="s3cret pass").start()
    try:
        vm = [from_vm(MAC_VM1, VM1, UDP(sport=2000 + i, dport=7777), tag=b"%d" % i)
              for i in range(4)]
        left, stats, state = masquerade_run(tmp_path / "good", srv.config(), vm)
        assert len(left) == 4 and state["connected"] and state["writes"] >= 8
        assert len(srv.client().keys("kairo:nat:*")) == 8
    finally:
        srv.stop()


def test_a_wrong_redis_password_is_said_and_forwarding_goes_on_locally(tmp_path):
    srv = RedisServer(tmp_path / "redis", password="right").start()
    try:
        # Plain routing needs no shared state: it goes on.  Masquerade needs a block of
        # ports only Redis can give: those connections are dropped and counted.
        plain = [from_vm(MAC_VM1, VM1, UDP(sport=3000, dport=7777), dst="198.51.100.77",
                         tag=b"plain")]
        topo = topology(masquerade_ports="10000-10999")
        topo["chains"][1]["rules"][2]["dst"] = EXT  # masquerade only what goes to EXT
        vm = [from_vm(MAC_VM1, VM1, UDP(sport=2000, dport=7777), tag=b"nat")]
        inputs = {"a": plain + vm, "b": [announce(MAC_EXT, EXT, R1P2, ROUTER_OUT),
                                         announce("02:00:00:00:02:77", "198.51.100.77", R1P2,
                                                  ROUTER_OUT)]}
        kd = start(tmp_path, inputs, topo, host_id="host-a",
                   redis=srv.config(password="wrong"))
        with kd:
            kd.wait_for(lambda s: s["drops"].get("nat_no_free_port", 0) >= 1,
                        what="the masqueraded connection refused")
            state = kd.ctl("show", "state")
            final = kd.stop()
        assert not state["connected"] and state["connects"] == 0
        assert "AUTH refused" in kd.log_path.read_text()
        left = [p for p in ipv4(outputs(tmp_path)["b"]) if p.haslayer(UDP)]
        assert [bytes(p[Raw].load) for p in left] == [b"plain"]
        assert srv.client().keys("*") == []
        assert final["drops"]["nat_no_free_port"] == 1
    finally:
        srv.stop()


REFUSED = [
    ({"redis": {"prefix": "a:b"}}, "redis.prefix"),
    ({"redis": {"queue": 1000}}, "redis.queue: 1000 is not a power of two"),
    ({"redis": {"port": 70000}}, "redis.port"),
    ({"redis": {"hots": "x"}}, "hots"),
    ({"redis": "127.0.0.1"}, "redis: must be an object"),
    ({"redis": {}, "host_id": "a\"b"}, "host_id"),
    ({"redis": {"sentinels": ["127.0.0.1:26379"]}}, "redis.master: is needed with redis.sentinels"),
    ({"redis": {"master": "m"}}, "redis.master: only with redis.sentinels"),
    ({"redis": {"sentinels": [], "master": "m"}}, "redis.sentinels: must be a list of 1 to 8"),
    ({"redis": {"sentinels": ["127.0.0.1"], "master": "m"}},
     'redis.sentinels: [0]: "127.0.0.1" is not "HOST:PORT"'),
    ({"redis": {"sentinels": ["h:0"], "master": "m"}}, "the port must be 1 to 65535"),
    ({"redis": {"sentinels": ["h:26379"], "master": "m", "host": "h"}},
     "redis.sentinels: given with redis.host or redis.port"),
]


@pytest.mark.parametrize("extra,words", REFUSED, ids=[w for _, w in REFUSED])
def test_bad_redis_settings_are_refused_naming_the_field(tmp_path, extra, words):
    cfg = {"host": "h", "topology_file": "topology.json",
           "ports": [{"name": "a", "device": "net_null0"}]}
    cfg.update(extra)
    rc, out = run_kairod_once(tmp_path, json.dumps(cfg), json.dumps({"bridges": []}))
    assert rc == 1, out
    assert words in out and "kairod.json" in out
