# SPDX-License-Identifier: Apache-2.0
"""Packet tests for the overlay: VXLAN and GRE between hosts, pcap in, pcap out.

kairod is host-a (underlay 192.168.50.1/24 on port "up", a net_pcap uplink); host-b
(192.168.50.2) and a VTEP (192.168.50.9) are played by the input pcaps.  One bridge:

    b1p1 (index 0, key 1)  bound here to "vm1"
    b1p2 (index 1, key 2)  bound on host-b
    b1p3 (index 2, key 3)  bound on host-b
    b1vx (index 3)         bound to VNI 5000 of the VTEP
    flood key of bridge 0: 0x8000

Encapsulated frames are compared byte for byte with what scapy builds; tshark checks their
checksums.  Decapsulation is fed valid and broken packets and each broken one must be
dropped under its own reason and counted against its peer.
"""
import subprocess

import pytest
from scapy.all import ARP, GRE, IP, UDP, Ether, Raw, VXLAN, raw, rdpcap
from scapy.layers.inet import in4_chksum  # noqa: F401  (scapy computes checksums itself)

from kairo_harness import Kairod, write_pcap

HOST_A, HOST_B, VTEP, STRANGER = "192.168.50.1", "192.168.50.2", "192.168.50.9", "192.168.50.7"
MAC_B = "02:00:00:00:50:02"    # host-b's underlay MAC
MAC_VTEP = "02:00:00:00:50:09"
MAC_VM1, MAC_VM2, MAC_PHYS = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:99"
KEY_P1, KEY_P2, KEY_P3, FLOOD = 1, 2, 3, 0x8000
VNI = 5000
# The uplink is port 0: the worker polls it first, so an ARP answer in its pcap reaches the
# simulation before what vm1's pcap holds.
IFACES = ("up", "vm1")


def topology(zone="vxlan", p3_filter=False):
    topo = {
        "bridges": [{"id": "b1", "ports": [
            {"id": "b1p1"}, {"id": "b1p2"}, {"id": "b1p3"}, {"id": "b1vx"}]}],
        "hosts": [{"id": "host-a"}, {"id": "host-b"}],
        "tunnel_zones": [{"id": "tz", "type": zone, "members": [
            {"host": "host-a", "address": HOST_A}, {"host": "host-b", "address": HOST_B}]}],
        "bindings": [{"port": "b1p1", "host": "host-a", "interface": "vm1"},
                     {"port": "b1p2", "host": "host-b", "interface": "vm2"},
                     {"port": "b1p3", "host": "host-b", "interface": "vm3"}],
        "vtep_bindings": [{"port": "b1vx", "vni": VNI, "address": VTEP}],
    }
    if p3_filter:
        topo["chains"] = [{"id": "drop-all", "rules": [{"type": "drop"}]}]
        topo["bridges"][0]["ports"][2]["outbound_filter"] = "drop-all"
    return topo


def run(tmp_path, inputs, topo=None, wait_s=0.0):
    """kairod over the inputs; (frames out per port as bytes, final stats, uplink MAC)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    ports = []
    for i, n in enumerate(IFACES):
        write_pcap(tmp_path / ("in_%s.pcap" % n), inputs.get(n, []))
        ports.append({"name": n, "role": "uplink" if n == "up" else "vport",
                      "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
                          i, tmp_path / ("in_%s.pcap" % n), tmp_path / ("out_%s.pcap" % n))})
    n_in = sum(len(v) for v in inputs.values())
    kd = Kairod(tmp_path / "kd", ports, topo or topology(), extra_config={
        "host_id": "host-a",
        "underlay": {"interface": "up", "address": HOST_A + "/24", "mtu": 1500}})
    with kd:
        kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) >= n_in,
                    what="%d packets in" % n_in)
        if wait_s:
            import time
            time.sleep(wait_s)
        tunnels = kd.ctl("show", "tunnels")
        final = kd.stop()
    out = {n: [bytes(p) for p in rdpcap(str(tmp_path / ("out_%s.pcap" % n)))] for n in IFACES}
    final["tunnels_ctl"] = tunnels
    uplink_mac = [p for p in final["ports"] if p["name"] == "up"][0]
    return out, final, uplink_mac


def arp_reply(mac, ip, to_mac="ff:ff:ff:ff:ff:ff"):
    """The peer's answer to kairod's ARP request (sent unasked: the request may come later)."""
    return Ether(src=mac, dst=to_mac) / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=to_mac, pdst=HOST_A)


def inner(src=MAC_VM1, dst=MAC_VM2, sport=1000, payload=b"kairo-overlay"):
    return Ether(src=src, dst=dst) / IP(src="10.0.0.1", dst="10.0.0.2", ttl=17) / \
        UDP(sport=sport, dport=2000) / Raw(payload)


def vxlan_in(frame, vni, src=HOST_B, dst=HOST_A, dport=4789, flags=0x08, smac=MAC_B):
    return Ether(src=smac, dst="02:00:00:00:50:01") / IP(src=src, dst=dst, flags="DF") / \
        UDP(sport=50000, dport=dport, chksum=0) / VXLAN(flags=flags, vni=vni) / frame


def gre_in(frame, key=None, src=HOST_B, proto=0x6558, csum=False):
    g = GRE(proto=proto, key_present=key is not None, key=key or 0, chksum_present=csum)
    return Ether(src=MAC_B, dst="02:00:00:00:50:01") / IP(src=src, dst=HOST_A, flags="DF") / \
        g / frame


def tunnelled(frames):
    """Frames out of the uplink that are not ARP."""
    return [f for f in frames if Ether(f).type == 0x0800]


def tshark_checks(pcap, fields):
    """tshark's verdict on each frame's checksums, as 'field=value' strings per frame."""
    r = subprocess.run(["tshark", "-r", str(pcap), "-o", "ip.check_checksum:TRUE",
                        "-o", "udp.check_checksum:TRUE", "-T", "fields"] +
                       sum((["-e", f] for f in fields), []), capture_output=True, text=True,
                       check=True)
    return [line.split("\t") for line in r.stdout.splitlines() if line.strip()]


# ---- encapsulation ----

def expected_vxlan(uplink_mac, inner_frame, vni, sport, dst=HOST_B, dst_mac=MAC_B):
    return raw(Ether(src=uplink_mac, dst=dst_mac) /
               IP(src=HOST_A, dst=dst, flags="DF", ttl=64, id=0, tos=0) /
               UDP(sport=sport, dport=4789, chksum=0) / VXLAN(flags=0x08, vni=vni) /
               inner_frame)


def uplink_mac_of(out):
    """kairod's uplink MAC, from the ARP request it sent or any frame it sent."""
    return Ether(out["up"][0]).src


def test_vxlan_encapsulation_is_byte_exact_and_one_copy_per_host(tmp_path):
    frame = inner()
    out, stats, _ = run(tmp_path, {"vm1": [frame], "up": [arp_reply(MAC_B, HOST_B)]}, wait_s=0.5)
    sent = tunnelled(out["up"])
    # host-b has two ports on the bridge and both pass: one copy, the bridge's flood key.
    assert len(sent) == 1, [Ether(f).summary() for f in out["up"]]
    got = Ether(sent[0])
    sport = got[UDP].sport
    assert 49152 <= sport <= 65535
    assert sent[0] == expected_vxlan(got.src, frame, FLOOD, sport)
    # Inner TTL untouched; outer DF set.
    assert got[VXLAN].payload[IP].ttl == 17 and got[IP].flags == "DF"
    # The unknown destination also went to the VTEP, with its VNI, unicast to it.
    peers = {p["peer"]: p for p in stats["tunnels"]["peers"]}
    assert peers[HOST_B]["tx_packets"] == 1
    assert peers[HOST_B]["tx_bytes"] == len(sent[0])
    assert peers[HOST_B]["next_hop_mac"] == MAC_B


def test_vxlan_checksums_verified_by_tshark(tmp_path):
    frames = [inner(sport=1000 + i) for i in range(4)]
    out, _, _ = run(tmp_path, {"vm1": frames, "up": [arp_reply(MAC_B, HOST_B)]}, wait_s=0.5)
    rows = tshark_checks(tmp_path / "out_up.pcap",
                         ["vxlan.vni", "ip.checksum.status", "ip.flags.df", "udp.checksum"])
    rows = [r for r in rows if r[0]]
    assert len(rows) == 4
    for vni, ip_status, df, udp_csum in rows:
        assert vni == str(FLOOD)
        # The outer header's status is first; the inner one follows (also good).
        assert ip_status.split(",")[0] == "1"  # 1 = Good (0 bad, 2 unverified)
        assert df.split(",")[0] in ("1", "True")
        assert udp_csum.split(",")[0] == "0x0000"


def test_vxlan_source_port_follows_the_inner_flow(tmp_path):
    frames = [inner(sport=2000 + i) for i in range(16)] + [inner(sport=2000)]
    out, _, _ = run(tmp_path, {"vm1": frames, "up": [arp_reply(MAC_B, HOST_B)]}, wait_s=0.5)
    sent = [Ether(f) for f in tunnelled(out["up"]) if Ether(f)[IP].dst == HOST_B]
    by_flow = {}
    for p in sent:
        by_flow.setdefault(p[VXLAN].payload[UDP].sport, set()).add(p[UDP].sport)
    assert len(by_flow) == 16
    assert all(len(s) == 1 for s in by_flow.values()), by_flow   # one flow, one port
    assert len({next(iter(s)) for s in by_flow.values()}) > 4     # flows spread over ports


def test_partial_flood_names_each_port_that_passed(tmp_path):
    # b1p3's outbound filter drops everything: host-b gets one copy keyed with b1p2 alone.
    frame = inner()
    out, _, _ = run(tmp_path, {"vm1": [frame], "up": [arp_reply(MAC_B, HOST_B)]},
                    topo=topology(p3_filter=True), wait_s=0.5)
    sent = [Ether(f) for f in tunnelled(out["up"]) if Ether(f)[IP].dst == HOST_B]
    assert len(sent) == 1
    assert raw(sent[0]) == expected_vxlan(sent[0].src, frame, KEY_P2, sent[0][UDP].sport)


def test_unanswered_underlay_next_hop_is_asked_three_times_and_gets_nothing(tmp_path):
    # Nobody answers for host-b: kairod asks at start and twice more a second apart; the
    # flood's copy for host-b is not sent (a flood does not wait), vm1's frame is not cached.
    out, stats, _ = run(tmp_path, {"vm1": [inner()]}, wait_s=3.6)
    reqs = [Ether(f) for f in out["up"] if Ether(f).haslayer(ARP)]
    asked = [r for r in reqs if r[ARP].pdst == HOST_B]
    assert len(asked) == 3 and asked[0][ARP].psrc == HOST_A
    assert asked[0].dst == "ff:ff:ff:ff:ff:ff" and asked[0][ARP].hwsrc == asked[0].src
    assert not tunnelled(out["up"])
    assert stats["flows"] == 0
    peers = {p["peer"]: p for p in stats["tunnels"]["peers"]}
    assert peers[HOST_B]["next_hop_mac"] is None and peers[HOST_B]["tx_packets"] == 0


def test_underlay_arp_for_our_address_is_answered(tmp_path):
    ask = Ether(src=MAC_B, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=MAC_B, psrc=HOST_B,
                                                          pdst=HOST_A)
    out, stats, _ = run(tmp_path, {"up": [ask]})
    replies = [Ether(f) for f in out["up"] if Ether(f).haslayer(ARP) and Ether(f)[ARP].op == 2]
    assert len(replies) == 1
    r = replies[0]
    assert r.dst == MAC_B and r[ARP].psrc == HOST_A and r[ARP].pdst == HOST_B
    assert r[ARP].hwsrc == r.src
    assert stats["drops"]["underlay_arp"] == 1


def test_bridged_frame_too_large_for_the_underlay_is_dropped(tmp_path):
    big = inner(payload=b"x" * 1460)   # 1502-byte frame: 1488-byte IP + 50 > 1500
    ok = inner(sport=1001, payload=b"x" * 1400)
    out, stats, _ = run(tmp_path, {"vm1": [big, ok], "up": [arp_reply(MAC_B, HOST_B)]},
                        wait_s=0.5)
    sent = [Ether(f) for f in tunnelled(out["up"]) if Ether(f)[IP].dst == HOST_B]
    assert len(sent) == 1 and len(sent[0][VXLAN].payload) == len(ok)
    assert stats["drops"]["tunnel_mtu_exceeded"] >= 1
    assert stats["tunnels"]["vport_mtu_vxlan"] == 1450


# ---- decapsulation ----

def test_vxlan_to_a_port_key_and_to_the_flood_key_is_delivered_unsimulated(tmp_path):
    a = inner(src=MAC_VM2, dst=MAC_VM1, sport=1)
    b = inner(src=MAC_VM2, dst="ff:ff:ff:ff:ff:ff", sport=2)
    out, stats, _ = run(tmp_path, {"up": [vxlan_in(a, KEY_P1), vxlan_in(b, FLOOD)]})
    assert out["vm1"] == [raw(a), raw(b)]
    peers = {p["peer"]: p for p in stats["tunnels"]["peers"]}
    assert peers[HOST_B]["rx_packets"] == 2
    # Delivered by key: no lookup, no simulation.
    assert stats["misses"] == 0 and stats["slow_path"]["simulated"] == 0


def test_vxlan_reserved_bits_are_ignored_on_receipt(tmp_path):
    # RFC 7348 section 5: reserved flag bits and the reserved fields are ignored on receipt;
    # only the I flag must be set.  Every reserved bit set at once is delivered like a clean one.
    f = inner(src=MAC_VM2, dst=MAC_VM1)
    b = bytearray(raw(vxlan_in(f, KEY_P1)))
    vx = 14 + 20 + 8
    b[vx] = 0xff                            # I and the seven reserved flag bits
    b[vx + 1:vx + 4] = b"\xff\xff\xff"    # the flags word's reserved 24 bits
    b[vx + 7] = 0xff                        # the VNI word's reserved low byte
    out, stats, _ = run(tmp_path, {"up": [Ether(bytes(b))]})
    assert out["vm1"] == [raw(f)]
    assert sum(stats["drops"].values()) == 0, {k: v for k, v in stats["drops"].items() if v}


@pytest.mark.parametrize("case, reason", [
    ("wrong_vni", "tunnel_unknown_key"),
    ("unknown_peer", "tunnel_unknown_peer"),
    ("not_ours", "tunnel_not_ours"),
    ("no_i_flag", "tunnel_bad_flags"),
    ("truncated_vxlan", "vxlan_truncated"),
    ("truncated_udp", "l4_truncated"),
    ("truncated_ip", "ipv4_truncated"),
    ("wrong_udp_port", "underlay_other"),
    ("bad_ip_checksum", "tunnel_bad_checksum"),
    ("fragment", "tunnel_fragment"),
    ("inner_truncated", "tunnel_truncated"),
    ("gre_from_vxlan_peer", "tunnel_wrong_type"),
])
def test_invalid_vxlan_is_dropped_under_its_reason(tmp_path, case, reason):
    f = inner(src=MAC_VM2, dst=MAC_VM1)
    good = vxlan_in(f, KEY_P1)
    if case == "wrong_vni":
        bad = vxlan_in(f, 4242)
    elif case == "unknown_peer":
        bad = vxlan_in(f, KEY_P1, src=STRANGER)
    elif case == "not_ours":
        bad = vxlan_in(f, KEY_P1, dst="192.168.50.3")
    elif case == "no_i_flag":
        bad = vxlan_in(f, KEY_P1, flags=0x04)   # a reserved bit, but not I: no valid VNI
    elif case == "truncated_vxlan":
        b = Ether(src=MAC_B, dst="02:00:00:00:50:01") / IP(src=HOST_B, dst=HOST_A) / \
            UDP(sport=50000, dport=4789, chksum=0) / Raw(b"\x08\x00\x00")
        bad = b
    elif case == "truncated_udp":
        bad = Ether(raw(good)[:14 + 20 + 4])
        bad = Ether(raw(Ether(src=MAC_B, dst="02:00:00:00:50:01") /
                        IP(src=HOST_B, dst=HOST_A, proto=17) / Raw(b"\x12\x34\x12\xb5")))
    elif case == "truncated_ip":
        bad = Ether(raw(good)[:14 + 12])
    elif case == "wrong_udp_port":
        bad = vxlan_in(f, KEY_P1, dport=4790)
    elif case == "bad_ip_checksum":
        b = bytearray(raw(good))
        b[14 + 10] ^= 0xff
        bad = Ether(bytes(b))
    elif case == "fragment":
        bad = Ether(src=MAC_B, dst="02:00:00:00:50:01") / \
            IP(src=HOST_B, dst=HOST_A, flags="MF") / UDP(sport=50000, dport=4789, chksum=0) / \
            VXLAN(flags=0x08, vni=KEY_P1) / f
    elif case == "inner_truncated":
        bad = vxlan_in(Raw(b"\x02\x00\x00\x00\x00\x01\x02\x00"), KEY_P1)
    elif case == "gre_from_vxlan_peer":
        bad = gre_in(f, key=KEY_P1)
    out, stats, _ = run(tmp_path, {"up": [bad, good]})
    # The good packet shows the daemon was delivering; the bad one went nowhere.
    assert out["vm1"] == [raw(f)]
    assert stats["drops"][reason] == 1, {k: v for k, v in stats["drops"].items() if v}
    assert sum(stats["drops"].values()) == 1
    peers = {p["peer"]: p for p in stats["tunnels"]["peers"]}
    per_peer = peers[HOST_B]["rx_errors"]
    if reason in per_peer:
        assert per_peer[reason] == 1
    assert peers[HOST_B]["rx_packets"] == 1


# ---- GRE ----

def test_gre_with_key_is_delivered_and_without_key_dropped(tmp_path):
    f1 = inner(src=MAC_VM2, dst=MAC_VM1, sport=1)
    f2 = inner(src=MAC_VM2, dst=MAC_VM1, sport=2)
    f3 = inner(src=MAC_VM2, dst=MAC_VM1, sport=3)
    inputs = {"up": [gre_in(f1, key=KEY_P1), gre_in(f2), gre_in(f3, key=KEY_P1, csum=True),
                     gre_in(f1, key=KEY_P1, proto=0x0800), vxlan_in(f2, KEY_P1)]}
    out, stats, _ = run(tmp_path, inputs, topo=topology(zone="gre"))
    assert out["vm1"] == [raw(f1), raw(f3)]
    d = stats["drops"]
    assert d["tunnel_no_key"] == 1 and d["tunnel_bad_proto"] == 1 and \
        d["tunnel_wrong_type"] == 1


def test_gre_bad_checksum_is_dropped(tmp_path):
    f = inner(src=MAC_VM2, dst=MAC_VM1)
    b = bytearray(raw(gre_in(f, key=KEY_P1, csum=True)))
    b[14 + 20 + 4] ^= 0x55   # the GRE checksum
    out, stats, _ = run(tmp_path, {"up": [Ether(bytes(b))]}, topo=topology(zone="gre"))
    assert out["vm1"] == []
    assert stats["drops"]["tunnel_bad_checksum"] == 1


def test_gre_encapsulation_is_byte_exact_and_tshark_agrees(tmp_path):
    frame = inner()
    out, _, _ = run(tmp_path, {"vm1": [frame], "up": [arp_reply(MAC_B, HOST_B)]},
                    topo=topology(zone="gre"), wait_s=0.5)
    sent = [f for f in tunnelled(out["up"]) if Ether(f)[IP].dst == HOST_B]
    assert len(sent) == 1
    got = Ether(sent[0])
    want = raw(Ether(src=got.src, dst=MAC_B) /
               IP(src=HOST_A, dst=HOST_B, flags="DF", ttl=64, id=0, proto=47) /
               GRE(proto=0x6558, key_present=1, key=FLOOD) / frame)
    assert sent[0] == want
    rows = tshark_checks(tmp_path / "out_up.pcap", ["gre.key", "ip.checksum.status", "eth.type"])
    keyed = [r for r in rows if r[0]]
    assert len(keyed) == 1
    assert keyed[0][0] in (str(FLOOD), hex(FLOOD), "0x%08x" % FLOOD)
    assert keyed[0][1].split(",")[0] == "1"


# ---- hardware VTEP ----

def test_vtep_frames_are_simulated_into_the_bridge(tmp_path):
    # A host behind the VTEP broadcasts.  The VTEP simulates nothing, so this host does: the
    # bridge learns the sender on the VTEP's port and floods to vm1 and, one copy, to host-b;
    # never back to the VTEP.
    bcast = inner(src=MAC_PHYS, dst="ff:ff:ff:ff:ff:ff", sport=7)
    out, stats, _ = run(tmp_path, {"up": [arp_reply(MAC_B, HOST_B), arp_reply(MAC_VTEP, VTEP),
                                          vxlan_in(bcast, VNI, src=VTEP, smac=MAC_VTEP)]},
                        wait_s=0.3)
    assert out["vm1"] == [raw(bcast)]
    sent = [Ether(f) for f in tunnelled(out["up"])]
    assert [(p[IP].dst, p[VXLAN].vni) for p in sent] == [(HOST_B, FLOOD)]
    assert raw(sent[0][VXLAN].payload) == raw(bcast)
    # Simulated: the two underlay ARP answers and the VTEP's frame.
    assert stats["slow_path"]["simulated"] == 3 and stats["slow_path"]["mac_learned"] == 1
    flow = [f for f in stats["flow_list"] if "tun_id=%d" % VNI in f["match"] or
            "tunnel" in f["actions"]]
    assert flow, stats["flow_list"]


def test_vtep_with_an_unbound_vni_is_dropped(tmp_path):
    f = inner(src=MAC_PHYS, dst="ff:ff:ff:ff:ff:ff")
    out, stats, _ = run(tmp_path, {"up": [vxlan_in(f, VNI + 1, src=VTEP, smac=MAC_VTEP)]})
    assert out["vm1"] == []
    assert stats["drops"]["tunnel_unknown_key"] == 1
