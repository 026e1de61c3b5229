# SPDX-License-Identifier: Apache-2.0
"""Malformed packets are dropped and counted under a named reason, and forwarding goes on.

Good frames are interleaved with bad ones on the same port: the good ones must all come out,
unchanged and in order, and every bad one must show up under its own drop reason.
"""
from scapy.all import (GRE, IP, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, TCP, UDP, Dot1Q,
                       Ether, Raw)

from test_bridge_pcap import MAC_X, MAC_Y, PcapBridge, frame_xy

ETH = Ether(src=MAC_X, dst=MAC_Y)


def ipv4_bytes(**ip):
    return bytes(ETH / IP(src="10.0.0.1", dst="10.0.0.2", **ip) / UDP(sport=1, dport=2) /
                 Raw(b"x" * 8))


def cut(pkt, n):
    return bytes(pkt)[:n]


BAD = {
    "eth_truncated": bytes(ETH)[:10],
    "vlan_truncated": bytes(Ether(src=MAC_X, dst=MAC_Y, type=0x8100)) + b"\x00",
    "vlan_too_many": bytes(ETH / Dot1Q(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) /
                           IP(src="10.0.0.1", dst="10.0.0.2")),
    "ipv4_truncated": cut(ETH / IP(src="10.0.0.1", dst="10.0.0.2"), 14 + 12),
    "ipv4_bad_version": bytes(ETH / IP(version=5, src="10.0.0.1", dst="10.0.0.2")),
    "ipv4_bad_ihl": ipv4_bytes(ihl=4),
    "ipv4_bad_total_len": ipv4_bytes(len=400),
    "ipv4_bad_fragment": ipv4_bytes(frag=8190, flags=0),
    "l4_truncated": cut(ETH / IP(src="10.0.0.1", dst="10.0.0.2", len=20 + 10) /
                        TCP(sport=1, dport=2), 14 + 20 + 10),
    "tcp_bad_offset": bytes(ETH / IP(src="10.0.0.1", dst="10.0.0.2") /
                            TCP(sport=1, dport=2, dataofs=3)),
    "udp_bad_len": bytes(ETH / IP(src="10.0.0.1", dst="10.0.0.2") /
                         UDP(sport=1, dport=2, len=4) / Raw(b"y" * 8)),
    "vxlan_truncated": bytes(ETH / IP(src="192.0.2.1", dst="192.0.2.2") /
                             UDP(sport=5000, dport=4789) / Raw(b"\x08\x00")),
    "gre_bad_version": bytes(ETH / IP(src="192.0.2.1", dst="192.0.2.2") / GRE(version=1) /
                             Raw(b"z" * 8)),
    "ipv6_truncated": cut(ETH / IPv6(src="2001:db8::1", dst="2001:db8::2"), 14 + 30),
    "ipv6_bad_payload_len": bytes(ETH / IPv6(src="2001:db8::1", dst="2001:db8::2", plen=500) /
                                  UDP(sport=1, dport=2)),
}


def test_each_malformed_frame_is_dropped_under_its_reason_and_good_frames_still_pass(tmp_path):
    good = [bytes(frame_xy(sport=9000 + i)) for i in range(len(BAD) + 1)]
    frames = []
    for g, b in zip(good, BAD.values()):
        frames += [g, b]
    frames.append(good[-1])

    t = PcapBridge(tmp_path, {"a": frames}, names=("a", "b"),
                   extra_config={"slow_path": {"vport_bucket": 64}})
    stats = t.run()

    assert t.out["b"] == good
    for reason in BAD:
        assert stats["drops"][reason] == 1, reason
    assert sum(stats["drops"].values()) == len(BAD)
    # Only well-formed frames were looked up.
    assert stats["hits"] + stats["misses"] == len(good)


# Well-formed by their lengths, but refused by an RFC: forwarded before they had a reason.
REFUSED = {
    # RFC 1858 4: a TCP fragment at offset 1 (8 bytes) rewrites the first one's TCP flags.
    "tcp_fragment_overlap": bytes(ETH / IP(src="10.0.0.1", dst="10.0.0.2", proto=6, frag=1) /
                                  Raw(b"f" * 16)),
    # RFC 8200 4.1: hop-by-hop options come right after the IPv6 header or not at all.
    "ipv6_hopopts_not_first": bytes(ETH / IPv6(src="2001:db8::1", dst="2001:db8::2") /
                                    IPv6ExtHdrFragment(offset=0, m=1, id=7) /
                                    IPv6ExtHdrHopByHop() / UDP(sport=1, dport=2) /
                                    Raw(b"h" * 8)),
}


def test_frames_an_rfc_refuses_are_dropped_under_their_reason(tmp_path):
    good = [bytes(frame_xy(sport=9100 + i)) for i in range(len(REFUSED) + 1)]
    frames = []
    for g, b in zip(good, REFUSED.values()):
        frames += [g, b]
    frames.append(good[-1])

    t = PcapBridge(tmp_path, {"a": frames}, names=("a", "b"))
    stats = t.run()

    assert t.out["b"] == good
    for reason in REFUSED:
        assert stats["drops"][reason] == 1, reason
    assert sum(stats["drops"].values()) == len(REFUSED)


# Drops that happen after the lookup; every other reason is the parser's.
AFTER_LOOKUP = {"no_binding", "flow_drop", "tx_full", "no_mbuf", "vlan_push_failed",
                "admission_global", "admission_tunnel", "admission_vport", "upcall_ring_full",
                "upcall_queue_full", "inject_ring_full", "port_down", "bridge_down",
                "no_flood_target", "bridge_hairpin", "bridge_bad_src_mac", "vlan_not_allowed",
                "bridge_bpdu"}


def test_a_burst_of_garbage_is_all_accounted_for_and_forwarding_goes_on(tmp_path):
    # 499 frames of patterned bytes, 1 to 99 bytes long, then a good frame.
    garbage = [bytes((i * 7 + j * 13) % 256 for j in range(1 + i % 99)) for i in range(499)]
    last = bytes(frame_xy(sport=4242))
    t = PcapBridge(tmp_path, {"a": garbage + [last]}, names=("a", "b"),
                   extra_config={"slow_path": {"vport_bucket": 1024, "global_bucket": 1024}})
    stats = t.run()

    assert t.out["b"][-1] == last
    parse_drops = sum(n for r, n in stats["drops"].items() if r not in AFTER_LOOKUP)
    assert parse_drops > 0
    # Every frame that came in was either refused by the parser or looked up: none vanished.
    assert parse_drops + stats["hits"] + stats["misses"] == len(garbage) + 1
    assert stats["ports"][0]["rx_packets"] == len(garbage) + 1
