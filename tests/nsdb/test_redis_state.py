# SPDX-License-Identifier: Apache-2.0
"""Shared state in Redis (issue 6, nsdb/README.md "Shared state in Redis"), against real
redis-server processes started by the tests on loopback ports of their own.

1. One host: what the simulation creates is written behind, readable, with its TTL: NAT
   bindings under both keys, the SNAT blocks this host holds, learned MACs, ARP entries.
2. Two hosts on one Redis masquerade to the same address and port range under load: every
   port leaves from one host only, from blocks that host holds.
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
