# SPDX-License-Identifier: Apache-2.0
"""Packet tests of VLAN-aware bridges: pcap in, pcap out, through a real kairod.

One bridge, five ports on net_pcap interfaces of the same names:

    a  access, VLAN 10        c  access, VLAN 10        b  access, VLAN 20
    t  trunk, VLANs 10 and 20                           u  trunk, all VLANs

An access port carries untagged frames and belongs to its VLAN inside the bridge; a trunk
carries tagged ones.  Only one port receives in each test, so the order the daemon sees
packets in is the order of the file.  Every frame that leaves is compared whole, byte for
byte, with the frame a VLAN-aware MidoNet bridge must send.
"""
import os
import subprocess
import sys

import pytest
from scapy.all import ARP, Dot1AD, Dot1Q, Ether, ICMP, IP, Raw, UDP, rdpcap

from kairo_harness import Kairod, flows_matching, write_pcap

MAC_X = "02:00:00:00:00:0a"
MAC_Y = "02:00:00:00:00:0b"
MAC_Z = "02:00:00:00:00:0c"
BCAST = "ff:ff:ff:ff:ff:ff"

PORTS = {"a": {"vlan": 10}, "b": {"vlan": 20}, "c": {"vlan": 10},
         "t": {"trunk_vlans": [10, 20]}, "u": {"trunk_vlans": "all"}}


def udp(src=MAC_X, dst=MAC_Y, sport=1000, payload=b"kairo"):
    """An untagged UDP frame's Ethernet header and payload, to be tagged with tagged()."""
    return Ether(src=src, dst=dst), IP(src="10.0.0.1", dst="10.0.0.2") / \
        UDP(sport=sport, dport=2000) / Raw(payload)


def tagged(parts, *tags):
    """The frame of parts with 802.1Q tags (outermost first); a tag is a VLAN id or a layer."""
    eth, rest = parts
    f = eth.copy()
    for t in tags:
        f = f / (Dot1Q(vlan=t) if isinstance(t, int) else t)
    return bytes(f / rest.copy())


def arp_from(mac, ip="10.0.0.1"):
    return Ether(src=mac, dst=BCAST), ARP(op=1, hwsrc=mac, psrc=ip, pdst="10.0.0.99")


class VlanBridge:
    """kairod with a net_pcap interface per port of PORTS, bound to bridge ports p<name>."""

    def __init__(self, tmp_path, inputs, ports=PORTS, extra_config=None):
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp_path
        self.names = list(ports)
        devs = []
        for i, n in enumerate(self.names):
            write_pcap(tmp_path / ("in_%s.pcap" % n), inputs.get(n, []))
            devs.append({"name": n, "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
                i, tmp_path / ("in_%s.pcap" % n), tmp_path / ("out_%s.pcap" % n))})
        topo = {"bridges": [{"id": "br0", "name": "br0",
                             "ports": [dict(id="p" + n, **ports[n]) for n in self.names]}],
                "bindings": [{"port": "p" + n, "interface": n} for n in self.names]}
        self.n_in = sum(len(v) for v in inputs.values())
        self.kd = Kairod(tmp_path / "kd", devs, topo, extra_config=extra_config)

    def run(self):
        """Start, wait until every input packet came in, read the drops through kairoctl, stop."""
        with self.kd as kd:
            kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) >= self.n_in,
                        what="%d packets received" % self.n_in)
            self.ctl_drops = kd.ctl("show", "drops")
            final = kd.stop()
        self.out = {n: [bytes(p) for p in rdpcap(str(self.tmp / ("out_%s.pcap" % n)))]
                    for n in self.names}
        return final


def ctl_drop(ctl_drops, reason):
    """A drop counter as `kairoctl --json show drops` gives it."""
    return ctl_drops.get(reason, 0)


def test_access_to_trunk_gets_exactly_the_tag_and_other_vlans_see_nothing(tmp_path):
    arp = arp_from(MAC_X)
    unknown = [udp(sport=1000 + i) for i in range(3)]
    t = VlanBridge(tmp_path, {"a": [tagged(arp)] + [tagged(f) for f in unknown]})
    t.run()

    untagged = [tagged(arp)] + [tagged(f) for f in unknown]
    assert t.out["c"] == untagged
    assert t.out["t"] == [tagged(arp, 10)] + [tagged(f, 10) for f in unknown]
    assert t.out["u"] == t.out["t"]
    # VLAN 20's port hears neither the broadcast nor the unknown unicast.
    assert t.out["b"] == []
    assert t.out["a"] == []


def test_trunk_to_access_has_the_tag_popped_per_vlan(tmp_path):
    in10 = [arp_from(MAC_X), udp(src=MAC_X, dst=MAC_Z, sport=1)]
    in20 = [arp_from(MAC_Y), udp(src=MAC_Y, dst=MAC_Z, sport=2)]
    frames = [tagged(in10[0], 10), tagged(in20[0], 20), tagged(in10[1], 10),
              tagged(in20[1], 20)]
    t = VlanBridge(tmp_path, {"t": frames})
    t.run()

    assert t.out["a"] == [tagged(f) for f in in10]
    assert t.out["c"] == [tagged(f) for f in in10]
    assert t.out["b"] == [tagged(f) for f in in20]
    # The other trunk gets them as they came, tag and all.
    assert t.out["u"] == frames
    assert t.out["t"] == []


def test_unicast_is_learned_per_vlan(tmp_path):
    # X speaks in VLAN 10 on the trunk: learned there, in VLAN 10 only.  Z's frame to X in
    # VLAN 20 does not know X (flooded in VLAN 20, never to VLAN 10's ports); Z's frame to X in
    # VLAN 10 finds X behind the trunk it came from: a hairpin drop.
    hello = arp_from(MAC_X)
    to_x_20 = udp(src=MAC_Z, dst=MAC_X, sport=20)
    to_x_10 = udp(src=MAC_Z, dst=MAC_X, sport=10)
    t = VlanBridge(tmp_path, {"t": [tagged(hello, 10), tagged(to_x_20, 20),
                                    tagged(to_x_10, 10)]})
    stats = t.run()

    assert t.out["b"] == [tagged(to_x_20)]
    assert t.out["a"] == [tagged(hello)]
    assert t.out["c"] == [tagged(hello)]
    assert t.out["u"] == [tagged(hello, 10), tagged(to_x_20, 20)]
    assert stats["drops"]["bridge_hairpin"] == 1
    assert stats["slow_path"]["mac_learned"] == 3  # X in 10, Z in 20, Z in 10


def test_a_frame_of_a_vlan_the_port_does_not_carry_is_dropped_and_counted(tmp_path):
    # On access port a (VLAN 10): a VLAN 20 tag is refused, its own VLAN's tag accepted.
    foreign = udp(sport=1)
    own = udp(sport=2)
    on_access = [tagged(foreign, 20), tagged(own, 10)]
    t = VlanBridge(tmp_path / "access", {"a": on_access})
    stats = t.run()
    assert t.out["c"] == [tagged(own)]
    assert t.out["t"] == [tagged(own, 10)]
    assert t.out["b"] == []
    assert stats["drops"]["vlan_not_allowed"] == 1
    assert ctl_drop(t.ctl_drops, "vlan_not_allowed") == 1

    # On trunk t (10, 20): VLAN 30 and an untagged frame are refused.
    on_trunk = [tagged(udp(sport=3), 30), tagged(udp(sport=4)), tagged(udp(sport=5), 20)]
    t = VlanBridge(tmp_path / "trunk", {"t": on_trunk})
    stats = t.run()
    assert t.out["b"] == [tagged(udp(sport=5))]
    assert t.out["a"] == [] and t.out["c"] == []
    assert t.out["u"] == [on_trunk[2]]
    assert stats["drops"]["vlan_not_allowed"] == 2
    assert ctl_drop(t.ctl_drops, "vlan_not_allowed") == 2
    assert flows_matching(stats, vlan=30)[0]["actions"] == "drop(vlan_not_allowed)"


def test_qinq_on_a_trunk_crosses_with_the_inner_tag_intact(tmp_path):
    # Outer tag 10 (802.1ad or 802.1Q) is the bridge's VLAN; inner tag 5 is payload.
    f1 = udp(sport=1)
    f2 = udp(sport=2)
    ad = tagged(f1, Dot1AD(vlan=10), 5)
    qq = tagged(f2, 10, 5)
    t = VlanBridge(tmp_path, {"t": [ad, qq]})
    stats = t.run()

    assert t.out["u"] == [ad, qq]
    # Out of an access port of VLAN 10 only the outer tag goes.
    assert t.out["a"] == [tagged(f1, 5), tagged(f2, 5)]
    assert t.out["c"] == t.out["a"]
    assert t.out["b"] == []
    flow = flows_matching(stats, vlan=10, vlan_inner=5, tp_src=2)
    assert len(flow) == 1 and "pop_vlan" in flow[0]["actions"]


def test_flows_carry_the_push_and_pop(tmp_path):
    t = VlanBridge(tmp_path, {"a": [tagged(udp(sport=9))]})
    stats = t.run()
    flow = flows_matching(stats, in_port=0, tp_src=9)
    assert len(flow) == 1
    acts = flow[0]["actions"]
    # Untagged in: access ports first, then one push for both trunks.
    assert acts == "output:2,push_vlan:0x8100/10,output:3,output:4"


def test_a_bridge_without_vlan_settings_still_ignores_tags(tmp_path):
    plain = {"a": {}, "b": {}}
    f = tagged(udp(sport=1), 42)
    t = VlanBridge(tmp_path, {"a": [f]}, ports=plain)
    t.run()
    assert t.out["b"] == [f]


# The cache's hit path: a tap port we send into, one packet at a time, each after the
# condition that shows where the previous one went.

def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for a namespace")
def test_the_cached_flow_gives_the_same_bytes_as_the_first_packet(tmp_path):
    ns = "kvl%d" % (os.getpid() % 100000)
    tap = "kvl%d" % (os.getpid() % 100000)
    tmp_path.mkdir(parents=True, exist_ok=True)
    write_pcap(tmp_path / "in_t.pcap", [])
    devs = [{"name": "a", "device": "net_tap0,iface=%s" % tap},
            {"name": "t", "device": "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (
                tmp_path / "in_t.pcap", tmp_path / "out_t.pcap")}]
    topo = {"bridges": [{"id": "br0", "ports": [{"id": "pa", "vlan": 10},
                                                {"id": "pt", "trunk_vlans": [10]}]}],
            "bindings": [{"port": "pa", "interface": "a"}, {"port": "pt", "interface": "t"}]}
    frame = udp(sport=4242)
    send = ("from scapy.all import Ether, sendp\n"
            "sendp(Ether(bytes.fromhex('%s')), iface='%s', verbose=0)\n"
            % (tagged(frame).hex(), tap))
    kd = Kairod(tmp_path / "kd", devs, topo)
    with kd:
        try:
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "set", tap, "netns", ns)
            # No IPv6 and no address: the kernel sends nothing of its own through the tap.
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "netns", "exec", ns, "sysctl", "-qw",
               "net.ipv6.conf.%s.disable_ipv6=1" % tap)
            sh("ip", "-n", ns, "link", "set", tap, "up")
            sh("ip", "netns", "exec", ns, sys.executable, "-c", send)
            kd.wait_for(lambda s: s["flow_cache"]["installed"] >= 1, what="the flow installed")
            sh("ip", "netns", "exec", ns, sys.executable, "-c", send)
            kd.wait_for(lambda s: s["hits"] >= 1, what="the second packet hit the cache")
            stats = kd.stop()
        finally:
            sh("ip", "netns", "del", ns, check=False)
    out = [bytes(p) for p in rdpcap(str(tmp_path / "out_t.pcap"))]
    ours = [p for p in out if p[6:12] == bytes.fromhex(MAC_X.replace(":", ""))]
    assert ours == [tagged(frame, 10)] * 2
    flow = flows_matching(stats, tp_src=4242)
    assert len(flow) == 1 and flow[0]["packets"] == 1
    assert flow[0]["actions"] == "push_vlan:0x8100/10,output:1"


# Routers stay VLAN-unaware: a router port linked to an interior access port sees untagged
# frames.  Router on a stick: one trunk carries VLANs 10 and 20, each VLAN's access port is
# linked to a router port, and a packet from VLAN 10 is routed back out the trunk in VLAN 20.

R10 = "02:00:00:00:01:01"
R20 = "02:00:00:00:02:01"
MAC_A = "02:00:00:00:00:aa"
MAC_B = "02:00:00:00:00:bb"


def stick_topology():
    return {
        "bridges": [{"id": "br0", "ports": [{"id": "pt", "trunk_vlans": [10, 20]},
                                            {"id": "pr10", "vlan": 10, "peer": "r10"},
                                            {"id": "pr20", "vlan": 20, "peer": "r20"}]}],
        "routers": [{"id": "r1", "ports": [
            {"id": "r10", "address": "10.0.1.1", "network": "10.0.1.0/24", "mac": R10},
            {"id": "r20", "address": "10.0.2.1", "network": "10.0.2.0/24", "mac": R20}]}],
        "bindings": [{"port": "pt", "interface": "t"}]}


def test_a_router_on_a_stick_routes_between_vlans_of_one_trunk(tmp_path):
    who_has = bytes(Ether(src=MAC_A, dst=BCAST) / Dot1Q(vlan=10) /
                    ARP(op=1, hwsrc=MAC_A, psrc="10.0.1.2", pdst="10.0.1.1"))
    # B announces itself to the router in VLAN 20 (an unsolicited reply: RFC 826 merge).
    announce = bytes(Ether(src=MAC_B, dst=R20) / Dot1Q(vlan=20) /
                     ARP(op=2, hwsrc=MAC_B, psrc="10.0.2.2", hwdst=R20, pdst="10.0.2.1"))
    ping_ip = IP(src="10.0.1.2", dst="10.0.2.2", ttl=64) / ICMP(id=7, seq=1) / Raw(b"k" * 16)
    ping = bytes(Ether(src=MAC_A, dst=R10) / Dot1Q(vlan=10) / ping_ip)
    tmp_path.mkdir(parents=True, exist_ok=True)
    write_pcap(tmp_path / "in_t.pcap", [who_has, announce, ping])
    devs = [{"name": "t", "device": "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (
        tmp_path / "in_t.pcap", tmp_path / "out_t.pcap")}]
    with Kairod(tmp_path / "kd", devs, stick_topology()) as kd:
        kd.wait_for(lambda s: s["ports"][0]["rx_packets"] >= 3, what="3 packets received")
        stats = kd.stop()
    out = [Ether(bytes(p)) for p in rdpcap(str(tmp_path / "out_t.pcap"))]
    replies = [p for p in out if p.haslayer(ARP) and p[ARP].op == 2]
    routed = [p for p in out if p.haslayer(ICMP)]
    # The router's ARP answer leaves the trunk in VLAN 10 (the router sent it untagged).
    assert len(replies) == 1 and replies[0][Dot1Q].vlan == 10
    assert replies[0][ARP].psrc == "10.0.1.1" and replies[0][ARP].hwsrc == R10
    assert replies[0].src == R10 and replies[0].dst == MAC_A
    # Routed: VLAN 20's tag, the router's MACs, TTL one less, the checksum patched.
    want_ip = IP(bytes(ping_ip))
    want_ip.ttl = 63
    del want_ip.chksum
    want = bytes(Ether(src=R20, dst=MAC_B) / Dot1Q(vlan=20) / IP(bytes(want_ip)))
    assert [bytes(p) for p in routed] == [want]
    flow = flows_matching(stats, ip_dst="10.0.2.2", icmp_type=8)
    assert len(flow) == 1
    assert flow[0]["actions"] == ("check(ttl>1,len<=1500),dec_ttl:1,pop_vlan,set_eth_src:%s,"
                                  "set_eth_dst:%s,push_vlan:0x8100/20,output:0"
                                  % (R20.upper(), MAC_B.upper()))
