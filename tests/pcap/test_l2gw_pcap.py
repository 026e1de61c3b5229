# SPDX-License-Identifier: Apache-2.0
"""Packet tests of MidoNet's L2 gateway (operations guide ch. 15, figure 15.1).

A VLAN-aware bridge `gw` with two trunks, `ta` and `tb`, each bound to an interface: in
MidoNet they are bound on two hosts; here one kairod binds both, which the bridge cannot tell
apart.  Its interior access ports, one per VLAN, are linked to the per-VLAN bridges `b10` and
`b20`, each with a VM port.  `acc` is an exterior access port of VLAN 10 on the gateway, there
to show that a BPDU never reaches an access port.

    ta (trunk 10,20) ─┐                  ┌─ g10 (access 10) ── b10/up ─ b10 ─ vm10
                      ├── gw ────────────┤
    tb (trunk 10,20) ─┘     acc (10)     └─ g20 (access 20) ── b20/up ─ b20 ─ vm20

Every frame that leaves is compared whole, byte for byte.
"""
import os
import subprocess

import pytest
from scapy.all import Dot1Q, Ether, IP, LLC, Raw, STP, UDP, rdpcap, sendp

from kairo_harness import Kairod, flows_matching, write_pcap

MAC_H = "02:00:00:00:10:01"   # a physical host in VLAN 10, behind the physical switch
MAC_VM = "02:00:00:00:0a:01"  # the VM on b10
MAC_SW = "02:00:00:00:ff:01"  # the physical switch's port (a BPDU's source)
BPDU_DST = "01:80:c2:00:00:00"

NAMES = ["ta", "tb", "acc", "vm10", "vm20"]


def topology():
    return {
        "bridges": [
            {"id": "gw", "ports": [
                {"id": "ta", "trunk_vlans": [10, 20]},
                {"id": "tb", "trunk_vlans": [10, 20]},
                {"id": "acc", "vlan": 10},
                {"id": "g10", "vlan": 10, "peer": "b10/up"},
                {"id": "g20", "vlan": 20, "peer": "b20/up"}]},
            {"id": "b10", "ports": [{"id": "b10/up"}, {"id": "vm10"}]},
            {"id": "b20", "ports": [{"id": "b20/up"}, {"id": "vm20"}]}],
        "bindings": [{"port": n, "interface": n} for n in NAMES]}


def bpdu(root_prio=32768):
    """An 802.1D configuration BPDU as a Linux bridge sends it: untagged, LLC, padded to 60."""
    f = Ether(src=MAC_SW, dst=BPDU_DST) / LLC(dsap=0x42, ssap=0x42, ctrl=3) / \
        STP(rootid=root_prio, rootmac=MAC_SW, bridgeid=root_prio, bridgemac=MAC_SW, portid=0x8001)
    b = bytes(f)
    return b + b"\0" * (60 - len(b))


def host_frame(src, dst, vlan=None, sport=1000):
    eth = Ether(src=src, dst=dst)
    if vlan is not None:
        eth = eth / Dot1Q(vlan=vlan)
    return bytes(eth / IP(src="10.0.10.1", dst="10.0.10.2") / UDP(sport=sport, dport=2000) /
                 Raw(b"l2gw"))


def pcap_ports(tmp_path, inputs):
    devs = []
    for i, n in enumerate(NAMES):
        write_pcap(tmp_path / ("in_%s.pcap" % n), inputs.get(n, []))
        devs.append({"name": n, "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
            i, tmp_path / ("in_%s.pcap" % n), tmp_path / ("out_%s.pcap" % n))})
    return devs


def outputs(tmp_path):
    return {n: [bytes(p) for p in rdpcap(str(tmp_path / ("out_%s.pcap" % n)))] for n in NAMES}


def run_pcap(tmp_path, inputs):
    tmp_path.mkdir(parents=True, exist_ok=True)
    n_in = sum(len(v) for v in inputs.values())
    with Kairod(tmp_path / "kd", pcap_ports(tmp_path, inputs), topology()) as kd:
        kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) >= n_in,
                    what="%d packets received" % n_in)
        drops = kd.ctl("show", "drops")
        stats = kd.stop()
    return stats, drops, outputs(tmp_path)


def test_a_bpdu_from_one_trunk_leaves_by_the_other_trunk_only_byte_for_byte(tmp_path):
    b = bpdu()
    stats, drops, out = run_pcap(tmp_path, {"ta": [b]})
    assert out["tb"] == [b]
    assert out["ta"] == [] and out["acc"] == [] and out["vm10"] == [] and out["vm20"] == []
    # Not a host: nothing learned (a learned switch MAC would pull host traffic to one trunk).
    assert stats["slow_path"]["mac_learned"] == 0
    assert drops.get("bridge_bpdu", 0) == 0
    # Cached: the flow is installed with the other trunk as its only output (DPDK port 1).
    flow = flows_matching(stats, in_port=0)
    assert len(flow) == 1 and flow[0]["actions"] == "output:1"


def test_bpdus_not_from_an_exterior_trunk_or_tagged_are_dropped_and_counted(tmp_path):
    b = bpdu()
    tagged = b[:12] + bytes.fromhex("8100000a") + b[12:]  # the same BPDU, tagged VLAN 10
    # Untagged on an access port, on a VM's port (through b10 and g10 into gw), tagged on a
    # trunk: none passes, each dropped as bridge_bpdu.
    stats, drops, out = run_pcap(tmp_path, {"acc": [b], "vm10": [bpdu(4096)], "ta": [tagged]})
    assert all(out[n] == [] for n in NAMES), out
    assert stats["drops"]["bridge_bpdu"] == 3
    assert drops["bridge_bpdu"] == 3
    assert stats["slow_path"]["mac_learned"] == 1  # b10 learns the VM port's source, gw nothing


# The host and the VM talk, then the host shows up behind the other trunk.  Each step waits
# for the previous one's frame to leave, so the trunks and the VM port get their frames on
# live interfaces (net_pcap rx_iface_in on a veth we send into), in order; what kairod sends
# still goes to pcap files, compared byte for byte.

def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


LIVE = ["ta", "tb", "vm10"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for veth interfaces")
def test_the_host_moves_to_the_other_trunk_and_the_answer_follows(tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    tag = "%d" % (os.getpid() % 100000)
    veth = {n: ("kg%s%s" % (n, tag))[:15] for n in LIVE}
    peer = {n: ("kp%s%s" % (n, tag))[:15] for n in LIVE}
    devs = pcap_ports(tmp_path, {})
    for i, d in enumerate(devs):
        if d["name"] in LIVE:
            d["device"] = "net_pcap%d,rx_iface_in=%s,tx_pcap=%s" % (
                i, veth[d["name"]], tmp_path / ("out_%s.pcap" % d["name"]))
    try:
        for n in LIVE:
            sh("ip", "link", "add", veth[n], "type", "veth", "peer", "name", peer[n])
            for i in (veth[n], peer[n]):
                # No IPv6 and no address: the kernel sends nothing of its own on them.
                sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % i)
                sh("ip", "link", "set", i, "up")

        def send(n, frame):
            sendp(Ether(frame), iface=peer[n], verbose=0)

        def port(s, n):
            return s["ports"][NAMES.index(n)]

        from_h_a = host_frame(MAC_H, MAC_VM, vlan=10, sport=1)
        from_h_b = host_frame(MAC_H, MAC_VM, vlan=10, sport=2)
        answer = host_frame(MAC_VM, MAC_H)
        with Kairod(tmp_path / "kd", devs, topology()) as kd:
            # 1. The host speaks through trunk A: learned there in VLAN 10; the VM gets it.
            send("ta", from_h_a)
            kd.wait_for(lambda s: port(s, "vm10")["tx_packets"] >= 1, what="VM got frame 1")
            # 2. The VM answers: out of trunk A, tagged 10, and only there.
            send("vm10", answer)
            kd.wait_for(lambda s: port(s, "ta")["tx_packets"] >= 1, what="answer on A")
            s = kd.stats()
            assert port(s, "tb")["tx_packets"] == 1  # only step 1's flood
            moved_before = s["slow_path"]["mac_moved"]
            # 3. Failover: the switch now sends the host's frames through trunk B.
            send("tb", from_h_b)
            kd.wait_for(lambda s: port(s, "vm10")["tx_packets"] >= 2, what="VM got frame 2")
            # 4. The same answer again: its flow went with the move; out of trunk B now.
            send("vm10", answer)
            kd.wait_for(lambda s: port(s, "tb")["tx_packets"] >= 2, what="answer on B")
            stats = kd.stop()
    finally:
        for n in LIVE:
            sh("ip", "link", "del", veth[n], check=False)
    out = outputs(tmp_path)
    want_answer = host_frame(MAC_VM, MAC_H, vlan=10)
    assert out["vm10"] == [host_frame(MAC_H, MAC_VM, sport=1), host_frame(MAC_H, MAC_VM, sport=2)]
    # A: the answer, then frame 3 flooded in VLAN 10 (the VM's MAC is not learned on gw,
    # whose side towards b10 is an interior port).  B: frame 1's flood, then the answer.
    assert out["ta"] == [want_answer, from_h_b]
    assert out["tb"] == [from_h_a, want_answer]
    assert out["acc"] == [host_frame(MAC_H, MAC_VM, sport=1), host_frame(MAC_H, MAC_VM, sport=2)]
    assert out["vm20"] == []
    assert moved_before == 0 and stats["slow_path"]["mac_moved"] == 1
    # Four walks, four flows: the answer's key was walked twice, the move removed its first
    # flow (and the first host frame's, which learned H on A).
    assert stats["slow_path"]["simulated"] == 4
    assert stats["flow_cache"]["installed"] == 4
    assert stats["flow_cache"]["invalidated"] == 2
    flow = flows_matching(stats, eth_src=MAC_VM.upper(), in_port=NAMES.index("vm10"))
    assert len(flow) == 1, stats["flow_list"]
    assert flow[0]["actions"].endswith("output:%d" % NAMES.index("tb"))
