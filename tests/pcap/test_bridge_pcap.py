# SPDX-License-Identifier: Apache-2.0
"""Packet tests: pcap in, pcap out, through a real kairod on net_pcap ports.

Each test writes what enters each port as a pcap, runs kairod until every input packet is
accounted for, stops it (which flushes the output pcaps) and compares what left each port,
byte for byte, with what a MidoNet bridge must send.  Only one port receives in each test, so
the order the daemon sees packets in is the order of the file.
"""
import pytest
from scapy.all import ARP, Dot1AD, Dot1Q, Ether, ICMP, IP, Raw, TCP, UDP, rdpcap, wrpcap

from kairo_harness import Kairod, bridge_topology, flows_matching, write_pcap

MAC_X = "02:00:00:00:00:0a"
MAC_Y = "02:00:00:00:00:0b"
MAC_Z = "02:00:00:00:00:0c"
BCAST = "ff:ff:ff:ff:ff:ff"


def frame_xy(sport=1000, payload=b"kairo", src=MAC_X, dst=MAC_Y):
    return Ether(src=src, dst=dst) / IP(src="10.0.0.1", dst="10.0.0.2") / \
        UDP(sport=sport, dport=2000) / Raw(payload)


class PcapBridge:
    """kairod with n net_pcap ports named a, b, c... bound to one bridge's ports pa, pb, pc..."""

    def __init__(self, tmp_path, inputs, names=("a", "b", "c"), bound=None, port_up=None,
                 extra_config=None, port_config=None):
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp_path
        self.names = names
        ports = []
        for i, n in enumerate(names):
            write_pcap(tmp_path / ("in_%s.pcap" % n), inputs.get(n, []))
            ports.append({
                "name": n,
                "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
                    i, tmp_path / ("in_%s.pcap" % n), tmp_path / ("out_%s.pcap" % n)),
                **(port_config or {}),
            })
        bound = names if bound is None else bound
        topo = bridge_topology(["p" + n for n in names], {"p" + n: n for n in bound})
        for p in topo["bridges"][0]["ports"]:
            if port_up and p["id"] in port_up:
                p["admin_state_up"] = port_up[p["id"]]
        self.n_in = sum(len(v) for v in inputs.values())
        self.kd = Kairod(tmp_path / "kd", ports, topo, extra_config=extra_config)

    def run(self, expect_in=None):
        """Start, wait until every input packet came in and left the slow path, stop."""
        n_in = self.n_in if expect_in is None else expect_in
        with self.kd as kd:
            kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) >= n_in,
                        what="%d packets received" % n_in)
            final = kd.stop()
        self.out = {n: [bytes(p) for p in rdpcap(str(self.tmp / ("out_%s.pcap" % n)))]
                    for n in self.names}
        return final


def test_broadcast_and_unknown_unicast_flood_to_every_other_port(tmp_path):
    arp = Ether(src=MAC_X, dst=BCAST) / ARP(op=1, hwsrc=MAC_X, psrc="10.0.0.1",
                                            pdst="10.0.0.2")
    unknown = [frame_xy(sport=1000 + i) for i in range(3)]
    t = PcapBridge(tmp_path, {"a": [arp] + unknown})
    stats = t.run()

    sent = [bytes(arp)] + [bytes(f) for f in unknown]
    assert t.out["b"] == sent
    assert t.out["c"] == sent
    assert t.out["a"] == []
    flood = flows_matching(stats, in_port=0, eth_dst=BCAST.upper())
    assert len(flood) == 1 and flood[0]["actions"] == "output:1,output:2"
    assert stats["slow_path"]["mac_learned"] == 1


def test_one_flow_is_simulated_once_and_its_repeats_hit_the_cache(tmp_path):
    # Forty packets of one flow: the first misses; the rest queue behind it or hit the cache.
    # The VM bucket is raised so admission control lets every miss in (see the next test).
    frames = [frame_xy(sport=7, payload=bytes([i]) * 20) for i in range(40)]
    t = PcapBridge(tmp_path, {"a": frames}, extra_config={"slow_path": {"vport_bucket": 64}})
    stats = t.run()

    assert t.out["b"] == [bytes(f) for f in frames]
    assert t.out["c"] == [bytes(f) for f in frames]
    # One key: simulated exactly once, however many packets missed before the flow was in.
    assert stats["slow_path"]["simulated"] == 1
    assert stats["flow_cache"]["installed"] == 1
    assert stats["hits"] + stats["misses"] == 40
    assert stats["misses"] == stats["slow_path"]["upcalls"]
    flow = flows_matching(stats, in_port=0, tp_src=7)
    assert len(flow) == 1 and flow[0]["packets"] == stats["hits"]


def test_admission_control_caps_a_vm_ports_packets_in_the_slow_path(tmp_path):
    # 32 new flows arrive in one RX burst; the VM port's bucket holds 4 tokens, so 4 go to the
    # simulation and 28 are dropped under admission_vport: counted as lost, never queued.
    frames = [frame_xy(sport=100 + i) for i in range(32)]
    t = PcapBridge(tmp_path, {"a": frames}, names=("a", "b"),
                   extra_config={"slow_path": {"vport_bucket": 4}})
    stats = t.run()

    assert t.out["b"] == [bytes(f) for f in frames[:4]]
    assert stats["drops"]["admission_vport"] == 28
    assert stats["lost"] == 28 and stats["misses"] == 32
    assert stats["slow_path"]["simulated"] == 4


def test_a_burst_of_one_new_flow_all_comes_out_with_the_default_buckets(tmp_path):
    # Twenty packets of one new flow arrive in one RX burst, more than the VM port's bucket
    # (16 by default) holds.  The first takes the tokens; the others follow it up without
    # (pipeline/upcall.h), so none is lost to admission control.
    frames = [frame_xy(sport=8, payload=bytes([i]) * 20) for i in range(20)]
    t = PcapBridge(tmp_path, {"a": frames})
    stats = t.run()

    assert t.out["b"] == [bytes(f) for f in frames]
    assert t.out["c"] == [bytes(f) for f in frames]
    assert stats["drops"]["admission_vport"] == 0
    assert stats["lost"] == 0 and stats["misses"] == 20
    assert stats["followers"] == 19
    assert stats["slow_path"]["simulated"] == 1


def test_only_packets_behind_an_admitted_first_ride_free(tmp_path):
    # Two new flows, sixteen packets each, interleaved in one RX burst, and a bucket of one
    # token: flow A's first takes it and A's others follow; flow B's first finds the bucket
    # empty, and with no first of theirs in the slow path B's others need tokens too.  A
    # flood of new flows stays bounded by the bucket.
    flow_a = [frame_xy(sport=21, payload=bytes([i]) * 20) for i in range(16)]
    flow_b = [frame_xy(sport=22, payload=bytes([i]) * 20) for i in range(16)]
    frames = [f for pair in zip(flow_a, flow_b) for f in pair]
    t = PcapBridge(tmp_path, {"a": frames}, names=("a", "b"),
                   extra_config={"slow_path": {"vport_bucket": 1}})
    stats = t.run()

    assert t.out["b"] == [bytes(f) for f in flow_a]
    assert stats["drops"]["admission_vport"] == 16
    assert stats["followers"] == 15


def test_a_source_mac_that_names_no_station_is_dropped_and_never_learned(tmp_path):
    # All zeros, a multicast group, broadcast: no station sends from these (IEEE 802.3
    # 3.2.3); the Linux bridge drops such frames (br_handle_frame), and so does this one.
    bad = [frame_xy(src=mac, dst=MAC_Y, sport=30 + i)
           for i, mac in enumerate(("00:00:00:00:00:00", "01:00:5e:00:00:01", BCAST))]
    good = frame_xy(src=MAC_X, dst="00:00:00:00:00:00", sport=40)
    t = PcapBridge(tmp_path, {"a": bad + [good]}, names=("a", "b"))
    stats = t.run()

    # The frame to the all-zero address is flooded: that address was never learned.
    assert t.out["b"] == [bytes(good)]
    assert stats["drops"]["bridge_bad_src_mac"] == 3
    assert stats["slow_path"]["mac_learned"] == 1


def test_destination_learned_on_the_ingress_port_is_dropped_as_hairpin(tmp_path):
    # Y speaks first from port a, so the bridge learns Y behind a; X -> Y from a must not leave.
    hello_y = Ether(src=MAC_Y, dst=BCAST) / ARP(op=1, hwsrc=MAC_Y, psrc="10.0.0.2",
                                                pdst="10.0.0.9")
    to_y = frame_xy()
    t = PcapBridge(tmp_path, {"a": [hello_y, to_y]})
    stats = t.run()

    assert t.out["b"] == [bytes(hello_y)]
    assert t.out["c"] == [bytes(hello_y)]
    assert stats["drops"]["bridge_hairpin"] == 1
    assert flows_matching(stats, eth_dst=MAC_Y.upper())[0]["actions"] == "drop(bridge_hairpin)"


def test_vlan_and_qinq_frames_cross_the_bridge_unchanged(tmp_path):
    tagged = Ether(src=MAC_X, dst=MAC_Z) / Dot1Q(vlan=42, prio=3) / IP(src="10.1.0.1",
                                                                       dst="10.1.0.2") / \
        TCP(sport=5555, dport=22, flags="S")
    qinq = Ether(src=MAC_X, dst=MAC_Z) / Dot1AD(vlan=100) / Dot1Q(vlan=200) / \
        IP(src="10.2.0.1", dst="10.2.0.2") / ICMP()
    t = PcapBridge(tmp_path, {"a": [tagged, qinq]}, names=("a", "b"))
    stats = t.run()

    assert t.out["b"] == [bytes(tagged), bytes(qinq)]
    assert flows_matching(stats, vlan=42, tp_dst=22)
    assert flows_matching(stats, vlan=100, vlan_inner=200, icmp_type=8)


def test_interface_without_binding_drops_everything_it_receives(tmp_path):
    t = PcapBridge(tmp_path, {"c": [frame_xy(), frame_xy(sport=2)]}, bound=("a", "b"))
    stats = t.run()

    assert t.out == {"a": [], "b": [], "c": []}
    assert stats["drops"]["no_binding"] == 2


def test_admin_down_ingress_port_drops_and_down_ports_get_no_flood(tmp_path):
    frames = [frame_xy(sport=s) for s in (1, 2)]
    down_in = PcapBridge(tmp_path / "in", {"a": frames}, port_up={"pa": False})
    stats = down_in.run()
    assert down_in.out == {"a": [], "b": [], "c": []}
    assert stats["drops"]["port_down"] == 2

    down_out = PcapBridge(tmp_path / "out", {"a": frames}, port_up={"pc": False})
    down_out.run()
    assert down_out.out["b"] == [bytes(f) for f in frames]
    assert down_out.out["c"] == []

