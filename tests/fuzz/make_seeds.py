#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write the fuzz harnesses' seed corpora (tests/fuzz/corpus/HARNESS/) from what the tests use.

Frames come from the packet tests (scapy, as they build them), configurations and topologies
from the daemon and packet tests and config/, requests as kairoctl sends them, Redis values as
Kairo writes them (tests/unit/test_state_keys.c).  Each seed is written under a name of its
own; files already there that this script does not make (crash inputs added by hand) are left
as they are.  Run it again after a test grows a case worth starting from:

    /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import json
import re
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
ROOT = TESTS.parent
sys.path[:0] = [str(TESTS), str(TESTS / "pcap"), str(TESTS / "daemon")]

from scapy.all import (ARP, GRE, ICMP, IP, SCTP, TCP, UDP, VXLAN, Dot1AD, Dot1Q,  # noqa: E402
                       Ether, ICMPv6EchoRequest, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, Raw, raw)

import test_malformed_pcap  # noqa: E402
import test_overlay_pcap as overlay  # noqa: E402

# The framing fuzz_packet.c reads before the frame.
TWO_SEGS, UNDERLAY, FIX_CKSUM = 0x01, 0x02, 0x04


def write(harness, name, data):
    d = HERE / "corpus" / harness
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def packet(name, frame, flags=0, split=1):
    """A frame with fuzz_packet.c's framing; split: the first segment's length (two segments)."""
    write("packet", name, struct.pack(">BH", flags, split - 1) + bytes(frame))


def packet_seeds():
    from test_bridge_pcap import MAC_X, MAC_Y, frame_xy

    eth = Ether(src=MAC_X, dst=MAC_Y)
    # A VM port: good frames of every kind the parser knows.
    packet("udp", frame_xy())
    # Two segments: the padding of a short frame in the second, or the IP payload cut across.
    xy = raw(frame_xy())
    packet("udp_two_segs_padding", xy + b"\0" * (60 - len(xy)), TWO_SEGS, len(xy))
    packet("udp_two_segs_payload", frame_xy(payload=b"k" * 40), TWO_SEGS, 14 + 20 + 4)
    packet("tcp", eth / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=4000, dport=80))
    packet("tcp_options", eth / IP(src="10.0.0.1", dst="10.0.0.2", options=b"\x01" * 4) /
           TCP(sport=4000, dport=443, options=[("MSS", 1460), ("NOP", None)]))
    packet("icmp_echo", eth / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(id=7) / Raw(b"p" * 8))
    packet("icmp_unreach", eth / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=3, code=1) /
           IP(src="10.0.0.2", dst="10.0.0.9") / UDP(sport=1, dport=2))
    packet("sctp", eth / IP(src="10.0.0.1", dst="10.0.0.2") / SCTP(sport=5, dport=6))
    packet("arp", Ether(src=MAC_X, dst="ff:ff:ff:ff:ff:ff") /
           ARP(op=1, hwsrc=MAC_X, psrc="10.0.0.1", pdst="10.0.0.2"))
    packet("vlan", eth / Dot1Q(vlan=10) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP())
    packet("qinq", eth / Dot1AD(vlan=20) / Dot1Q(vlan=10) / IP(src="10.0.0.1", dst="10.0.0.2") /
           UDP(sport=1, dport=2))
    packet("frag_first", eth / IP(src="10.0.0.1", dst="10.0.0.2", flags="MF", id=9) /
           UDP(sport=1, dport=2) / Raw(b"f" * 24))
    packet("frag_later", eth / IP(src="10.0.0.1", dst="10.0.0.2", frag=3, proto=17, id=9) /
           Raw(b"f" * 24))
    packet("ipv6_udp", eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=2))
    packet("ipv6_echo", eth / IPv6(src="2001:db8:1::2", dst="2001:db8:2::2") /
           ICMPv6EchoRequest(id=7, seq=1) / Raw(b"k" * 16))
    packet("ipv6_ext", eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() /
           IPv6ExtHdrRouting() / TCP(sport=1, dport=2))
    packet("ipv6_frag_first", eth / IPv6(src="2001:db8::1", dst="2001:db8::2") /
           IPv6ExtHdrFragment(m=1, id=5) / UDP(sport=1, dport=2) / Raw(b"g" * 16))
    packet("ipv6_frag_later", eth / IPv6(src="2001:db8::1", dst="2001:db8::2") /
           IPv6ExtHdrFragment(offset=4, nh=17, id=5) / Raw(b"g" * 16))
    packet("gre_on_vm_port", eth / IP(src="192.0.2.1", dst="192.0.2.2") /
           GRE(key_present=1, key=7, proto=0x6558) / overlay.inner())
    packet("unknown_ethertype", Ether(src=MAC_X, dst=MAC_Y, type=0x88cc) / Raw(b"l" * 30))
    # The malformed frames of tests/pcap/test_malformed_pcap.py, each under its reason.
    for reason, frame in test_malformed_pcap.BAD.items():
        packet("bad_" + reason, frame)

    # The underlay uplink: tunnel packets to this host (fuzz_packet.c's receive table is that of
    # tests/pcap/test_overlay_pcap.py: VXLAN peer .2, GRE peer .3, VTEP .9 on VNI 5000).
    inner = overlay.inner()
    up = UNDERLAY
    packet("vxlan_port_key", overlay.vxlan_in(inner, overlay.KEY_P1), up)
    packet("vxlan_flood_key", overlay.vxlan_in(inner, overlay.FLOOD), up)
    packet("vxlan_sim_key", overlay.vxlan_in(inner, 3), up)
    packet("vxlan_unknown_key", overlay.vxlan_in(inner, 77), up)
    packet("vxlan_no_i_flag", overlay.vxlan_in(inner, overlay.KEY_P1, flags=0), up)
    packet("vxlan_reserved_bits", overlay.vxlan_in(inner, overlay.KEY_P1, flags=0xff), up)
    packet("vxlan_vtep", overlay.vxlan_in(inner, overlay.VNI, src=overlay.VTEP), up)
    packet("vxlan_vtep_arp", overlay.vxlan_in(
        Ether(src=overlay.MAC_PHYS, dst="ff:ff:ff:ff:ff:ff") /
        ARP(op=1, hwsrc=overlay.MAC_PHYS, psrc="10.0.0.9", pdst="10.0.0.1"),
        overlay.VNI, src=overlay.VTEP), up)
    packet("vxlan_stranger", overlay.vxlan_in(inner, overlay.KEY_P1, src=overlay.STRANGER), up)
    packet("vxlan_padded", raw(overlay.vxlan_in(inner, overlay.KEY_P1)) + b"\0" * 6, up)
    # Two segments, the second holding only the Ethernet padding after the outer packet.
    vx = raw(overlay.vxlan_in(inner, overlay.KEY_P2))
    packet("vxlan_two_segs", vx + b"\0" * 6, up | TWO_SEGS, len(vx))
    packet("vxlan_fix_cksum", overlay.vxlan_in(inner, overlay.KEY_P1), up | FIX_CKSUM)
    gre_peer = "192.168.50.3"
    packet("gre_key", overlay.gre_in(inner, key=overlay.KEY_P1, src=gre_peer), up)
    packet("gre_csum", overlay.gre_in(inner, key=overlay.KEY_P2, src=gre_peer, csum=True), up)
    packet("gre_csum_fix", overlay.gre_in(inner, key=overlay.FLOOD, src=gre_peer, csum=True),
           up | FIX_CKSUM)
    packet("gre_no_key", overlay.gre_in(inner, src=gre_peer), up)
    packet("gre_not_teb", overlay.gre_in(inner, key=1, src=gre_peer, proto=0x0800), up)
    packet("gre_from_vxlan_peer", overlay.gre_in(inner, key=1), up)
    packet("underlay_arp", overlay.arp_reply(overlay.MAC_B, overlay.HOST_B), up)
    packet("underlay_udp", Ether() / IP(src=overlay.HOST_B, dst=overlay.HOST_A) / UDP(), up)


def config_seeds():
    from test_config_errors import CASES, TOPO

    write("config", "demo", (ROOT / "config" / "demo" / "kairod.json").read_text())
    # A configuration as tests/kairo_harness.py writes it for the packet tests.
    base = {"host": "test-host", "topology_file": "topology.json", "workers": 1,
            "mbufs": 4095, "worker_sleep_max_us": 100, "flow_cache": {"capacity": 1024},
            "control": {"socket": "/tmp/kairo-test-1-1.sock"},
            "ports": [{"name": "a", "device": "net_pcap0,rx_pcap=in_a.pcap,tx_pcap=out_a.pcap"},
                      {"name": "b", "device": "net_pcap1,rx_pcap=in_b.pcap,tx_pcap=out_b.pcap"}]}
    write("config", "pcap_test", json.dumps(base, indent=1))
    overlay_cfg = dict(base, host_id="host-a", ports=[
        {"name": "up", "role": "uplink", "device": "net_null0"},
        {"name": "vm1", "device": "net_null1", "mtu": 1450, "rx_queues": 2}],
        underlay={"interface": "up", "address": "192.168.50.1/24", "mtu": 1500,
                  "gateway": "192.168.50.254",
                  "routes": [{"dst": "10.9.0.0/16", "gateway": "192.168.50.253"}],
                  "neighbours": [{"address": "192.168.50.2", "mac": "02:00:00:00:50:02"}]})
    write("config", "overlay", json.dumps(overlay_cfg, indent=1))
    zk = dict(base, zookeeper_hosts="127.0.0.1:2181,10.0.0.2:2181",
              zookeeper={"root": "/kairo", "session_timeout_ms": 10000, "start_wait_s": 5,
                         "digest": "kairo:secret"})
    del zk["topology_file"]
    write("config", "zookeeper", json.dumps(zk, indent=1))
    redis = dict(base, redis={"host": "127.0.0.1", "port": 6379, "prefix": "kairo",
                              "timeout_ms": 200, "state_ttl_s": 120, "lease_s": 60,
                              "wait_ms": 50, "queue": 65536, "password": "pw"},
                 slow_path={"sim_threads": 1, "upcall_ring_size": 4096, "global_bucket": 256,
                            "conntrack_size": 4096, "conntrack_idle_s": 60})
    write("config", "redis", json.dumps(redis, indent=1))
    # The refused ones of tests/daemon/test_config_errors.py, each a step from a good one.
    # The topology of a case is the one good document unless the case is about it.
    for what, cfg, topo, _ in CASES:
        name = "refused_" + re.sub("[^a-z0-9]+", "_", what.lower()).strip("_")
        write("config", name, cfg)
        if topo != TOPO:
            write("topology", name, topo)


def topology_seeds():
    import test_nat_pcap as nat
    import test_router6_pcap
    import test_router_pcap
    import test_rules_pcap as rules
    from kairo_harness import bridge_topology

    def topo(name, doc):
        write("topology", name, json.dumps(doc, indent=1))

    write("topology", "demo", (ROOT / "config" / "demo" / "topology.json").read_text())
    topo("bridge", bridge_topology(["pa", "pb", "pc"], {"pa": "a", "pb": "b", "pc": "c"}))
    topo("overlay_vxlan", overlay.topology())
    topo("overlay_gre_filter", overlay.topology(zone="gre", p3_filter=True))
    topo("router", test_router_pcap.topology(routes=[
        {"dst": "10.0.9.0/24", "gateway": "10.0.2.2", "port": "r1p2"},
        {"dst": "10.0.0.0/8", "gateway": "10.0.3.2", "port": "r1p3", "weight": 50},
        {"dst": "192.0.2.0/24", "type": "blackhole"}]))
    topo("router6", test_router6_pcap.topology(routes=[
        {"dst": "2001:db8:9::/48", "gateway": "2001:db8:2::2", "port": "r1p2"}]))
    topo("nat", nat.topology())
    for i, (rule, _) in enumerate(nat.BAD_NAT):
        t = nat.topology()
        t["chains"][0]["rules"] = [dict(rule, pos=1)]
        topo("nat_refused_%d" % i, t)
    # Every condition of tests/pcap/test_rules_pcap.py, and its negation, on pa's inbound filter.
    for name, (fields, _, _) in rules.CONDITIONS.items():
        for neg, f in (("", fields), ("not_", rules.negated(fields))):
            topo("rule_%s%s" % (neg, name), rules.bridge(
                [rules.chain("c1", dict(f, type="drop"))], filters={"pa": {"inbound_filter": "c1"}}))
    topo("rules_ports_and_groups", rules.bridge(
        [rules.chain("out", {"type": "drop", "out-ports": "pb", "dst-port": 7},
                     {"type": "drop", "out-ports": "!pb", "dst-port": 8}),
         rules.chain("in", {"type": "drop", "port-group": "grp", "dst-port": 10},
                     {"type": "drop", "in-ports": "!pa", "dst-port": 11})],
        port_groups=[{"id": "grp", "ports": ["pa"], "stateful": True}],
        filters={"pb": {"outbound_filter": "out"}}, bridge_filters={"inbound_filter": "in"}))
    topo("rules_jumps", rules.bridge(
        [rules.chain("main", {"type": "continue", "dst-port": 1}, {"type": "jump", "jump-to": "sub"},
                     {"type": "reject", "flow": "return-flow", "fragment-policy": "header"}),
         rules.chain("sub", {"type": "return", "dst-port": 20}, {"type": "accept"})],
        filters={"pa": {"inbound_filter": "main"}}))
    for i, (rule, _) in enumerate(rules.BAD):
        topo("rule_refused_%d" % i, rules.bridge([{"id": "c1", "rules": [rule]}],
                                                  filters={"pa": {"inbound_filter": "c1"}}))


def ctl_request_seeds():
    from kairo_harness import HELLO

    def lines(name, *reqs, hello=True):
        text = (HELLO if hello else b"") + b"".join(
            (r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in reqs)
        write("ctl_request", name, text)

    lines("hello_only")
    lines("show_datapath", {"command": "show datapath"})
    lines("dump_flows", {"command": "dump flows", "args": {"ip-dst": "10.0.1.2", "limit": 10,
                                                           "in-port": 1}})
    lines("flush_flows", {"command": "flush flows", "args": {"mac-src": "02:00:00:00:00:01"}})
    lines("trace", {"command": "trace add", "args": {"ip-protocol": 1, "limit": 5,
                                                     "level": "trace"}},
          {"command": "trace read", "args": {"since": 3, "cookie": "0x1", "max": 10}},
          {"command": "trace remove", "args": {"id": 1}}, {"command": "trace flush"})
    lines("topology", {"command": "topology",
                       "args": {"words": ["bridge", "create", "name", "br0"]}})
    lines("meter", {"command": "meter list"}, {"command": "meter get",
                                                "args": {"name": "port:rx:p1"}})
    lines("help", {"command": "help", "args": {"command": ["dump", "flows"]}})
    lines("refusals", {"command": "dump flows", "args": {"wat": 1}}, {"command": "nope"},
          {"command": "topology"}, {"args": {}}, b"[1, 2]", b"{\"command\": \"x\"",
          {"command": "show drops", "args": {"all": True}})
    lines("no_hello", {"command": "show ports"}, hello=False)
    lines("other_version", {"command": "hello", "args": {"protocol": 2, "client": "kairoctl"}},
          {"command": "show lcores"}, hello=False)
    # kairoctl's words on the first line (fuzz_ctl_request.c reads it as a command line too).
    write("ctl_request", "words", b"trace add --limit 5\n" + HELLO)


def state_keys_seeds():
    snat = ('{"host":"host-a","fwd":"udp/10.0.0.1/4000/192.0.2.7/53",'
            '"rev":"udp/192.0.2.7/53/203.0.113.1/10000","orig":"10.0.0.1:4000",'
            '"xlat":"203.0.113.1:10000","port":true}')
    dnat = ('{"host":"host-b","fwd":"tcp/198.51.100.7/5555/203.0.113.5/80",'
            '"rev":"tcp/10.0.0.5/8080/198.51.100.7/5555","orig":"203.0.113.5:80",'
            '"xlat":"10.0.0.5:8080","port":false}')
    seeds = {
        "tuple_udp": (0, 0, 0, "udp/10.0.0.1/4000/192.0.2.7/53"),
        "tuple_icmp6": (0, 0, 0, "icmp6/2001:db8::1/128/2001:db8::2/7"),
        "tuple_number": (0, 0, 0, "132/10.0.0.1/1/10.0.0.2/2"),
        "conn": (1, 0, 0, '{"host":"host-a"}'),
        "snat_fwd": (1, 1, 3, snat),
        "snat_rev": (1, 2 | 0x08, 3, snat),
        "dnat_fwd": (1, 3, 1, dnat),
        "dnat_rev": (1, 4 | 0x08, 1, dnat),
        "mac": (2, 63, 0, '{"host":"host-a","port":"b1p1"}'),
        "mac_short_room": (2, 3, 0, '{"host":"host-a","port":"b1p1"}'),
        "arp": (3, 0, 0, '{"host":"host-a","mac":"02:00:00:00:02:02"}'),
        "arp_zero": (3, 0, 0, '{"host":"host-a","mac":"00:00:00:00:00:00"}'),
    }
    for name, (reader, shape, device, text) in seeds.items():
        write("state_keys", name, bytes([reader, shape, device]) + text.encode())


def state_image_seeds():
    """Byte 0's bit 0 asks the harness to make the header's lengths and checksums right, so
    the checker reaches the sections; the rest is sim/state_image.h's layout (host order)."""
    def image(sections, fix=1):
        body = b"".join(struct.pack("=HHI", t, rlen, count) + b"\0" * (rlen * count)
                        for t, rlen, count in sections)
        header = struct.pack("=8sIIIIQQII", b"KAIROSI\0", 1, 0x01020304, 48, len(sections),
                             0, len(body), 0, 0)
        return bytes([fix]) + header + body
    write("state_image", "empty", image([]))
    write("state_image", "empty_sections", image([(1, 0, 0), (2, 0, 0), (3, 0, 0), (4, 0, 0)]))
    write("state_image", "one_record_each", image([(1, 64, 1), (2, 32, 1), (3, 32, 1), (4, 16, 1)]))
    write("state_image", "checksums_wrong", image([(1, 0, 0)], fix=0))


if __name__ == "__main__":
    packet_seeds()
    config_seeds()
    topology_seeds()
    ctl_request_seeds()
    state_keys_seeds()
    state_image_seeds()
