# SPDX-License-Identifier: Apache-2.0
"""Jumbo frames: up to the port's MTU they cross, over it they are dropped as too big.

net_pcap copies a frame longer than one mbuf into a chain of them (drivers/net/pcap,
eth_pcap_rx_jumbo) and writes a chain out whole, so these frames go through the daemon as
multi-segment mbufs: parsed from the first segment, lengths checked against the whole packet,
forwarded and written out byte for byte.
"""
from scapy.all import Dot1Q, Ether, IP, Raw, UDP

from test_bridge_pcap import MAC_X, MAC_Y, PcapBridge

ETH_HDR = 14
VLAN_TAG = 4


def frame(size, sport, tagged=False):
    """An IPv4/UDP frame of size bytes on the wire (FCS not counted), VLAN-tagged if asked."""
    eth = Ether(src=MAC_X, dst=MAC_Y)
    if tagged:
        eth = eth / Dot1Q(vlan=7)
    head = eth / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=sport, dport=2000)
    f = head / Raw(b"j" * (size - len(head)))
    assert len(f) == size
    return bytes(Ether(bytes(f)))


def test_frames_up_to_the_mtu_cross_the_bridge_and_one_byte_more_is_too_big(tmp_path):
    fits = [frame(2100, 1), frame(3000, 2), frame(9000, 3),
            frame(ETH_HDR + 9000, 4),                          # an IP packet of exactly the MTU
            frame(ETH_HDR + VLAN_TAG + 9000, 5, tagged=True),  # tags do not count against it
            frame(64, 6)]
    over = frame(ETH_HDR + 9001, 7)
    t = PcapBridge(tmp_path, {"a": fits[:5] + [over] + fits[5:]}, names=("a", "b"),
                   port_config={"mtu": 9000})
    stats = t.run()

    assert t.out["b"] == fits
    assert stats["drops"]["rx_too_big"] == 1
    assert stats["drops"]["ipv4_bad_total_len"] == 0
    assert sum(stats["drops"].values()) == 1
    assert stats["hits"] + stats["misses"] == len(fits)


def test_a_jumbo_frame_on_a_port_with_the_default_mtu_is_too_big_not_malformed(tmp_path):
    frames = [frame(3000, 1), frame(ETH_HDR + 1500, 2), frame(ETH_HDR + 1501, 3)]
    t = PcapBridge(tmp_path, {"a": frames}, names=("a", "b"))
    stats = t.run()

    assert t.out["b"] == [frames[1]]
    assert stats["drops"]["rx_too_big"] == 2
    assert stats["drops"]["ipv4_bad_total_len"] == 0
