# SPDX-License-Identifier: Apache-2.0
"""Packet tests for IPv6 through virtual routers: pcap in, pcap out, through a real kairod.

The topology of test_router_pcap.py, every router port also on an IPv6 /64:

    a (2001:db8:1::2) -- bridge1 -- r1p1 2001:db8:1::1     r1p2 2001:db8:2::1 -- bridge2 -- b
                                                router r1                      (2001:db8:2::2)
                                     r1p3 2001:db8:3::1 -- bridge3 -- c (2001:db8:3::2)

The router answers neighbour solicitations for its addresses (global and the link-local it
derives from its MAC) and echo requests to them; it forwards with the egress port's MAC, the next
hop's MAC and one hop less, resolving next hops by solicitation to their solicited-node group.
ICMPv6 errors (RFC 4443) go back the way the packet came.  A next hop makes itself known with a
neighbour solicitation for the router's address carrying its link-layer address, which the
router learns from whenever it comes (before or after the router asked); the router's own
solicitations are set aside before comparing.
"""
import copy
import ipaddress
import json

import pytest

from scapy.all import (ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                       ICMPv6PacketTooBig, ICMPv6TimeExceeded, IPv6, UDP, Ether, Raw, raw)

from kairo_harness import run_kairod_once
from test_router_pcap import IFACES, run as run4, topology as topology4

MAC_A, MAC_B = "02:00:00:00:01:02", "02:00:00:00:02:02"
R1P1, R1P2, R1P3 = "02:00:00:00:01:01", "02:00:00:00:02:01", "02:00:00:00:03:01"
A, B = "2001:db8:1::2", "2001:db8:2::2"
R1P1_IP, R1P2_IP = "2001:db8:1::1", "2001:db8:2::1"
R1P1_LL = "fe80::ff:fe00:101"          # EUI-64 of 02:00:00:00:01:01, universal/local bit flipped


def topology(routes=(), r1p2_mtu=1500):
    topo = topology4(routes=routes, r1p2_mtu=r1p2_mtu)
    for i, port in enumerate(topo["routers"][0]["ports"], start=1):
        port["address6"] = "2001:db8:%d::1" % i
        port["network6"] = "2001:db8:%d::/64" % i
    return topo


def run(tmp_path, inputs, topo=None, **kw):
    return run4(tmp_path, inputs, topo=topo or topology(), **kw)


def solicited_node(addr):
    """The solicited-node group of addr and its Ethernet address (RFC 4291 2.7.1, RFC 2464 7)."""
    packed = ipaddress.IPv6Address(addr).packed
    group = ipaddress.IPv6Address(b"\xff\x02" + b"\x00" * 9 + b"\x01\xff" + packed[13:])
    return str(group), "33:33:" + ":".join("%02x" % b for b in group.packed[12:])


def ns(src_mac, src, target, dst=None, dst_mac=None, hlim=255):
    group, group_mac = solicited_node(target)
    return Ether(src=src_mac, dst=dst_mac or group_mac) / \
        IPv6(src=src, dst=dst or group, hlim=hlim) / ICMPv6ND_NS(tgt=target) / \
        ICMPv6NDOptSrcLLAddr(lladdr=src_mac)


def echo6(src_mac, dst_mac, src, dst, hlim=64, seq=0, size=16):
    return Ether(src=src_mac, dst=dst_mac) / IPv6(src=src, dst=dst, hlim=hlim) / \
        ICMPv6EchoRequest(id=7, seq=seq) / Raw(b"k" * size)


def is_router_ns(frame):
    p = Ether(frame)
    return p.haslayer(ICMPv6ND_NS) and p.src in (R1P1, R1P2, R1P3)


def not_ns(frames):
    return [f for f in frames if not is_router_ns(f)]


def routed6(pkt, src_mac, dst_mac, hops=1):
    p = pkt.copy()
    p[Ether].src, p[Ether].dst = src_mac, dst_mac
    p[IPv6].hlim -= hops
    return raw(p)


def checksum_ok(frame):
    """The ICMPv6 checksum as sent equals the one scapy computes over the pseudo-header."""
    p = Ether(frame)
    icmp = p[IPv6].payload
    sent = icmp.cksum
    q = copy.deepcopy(p)
    del q[IPv6].payload.cksum
    return Ether(raw(q))[IPv6].payload.cksum == sent


def test_the_router_advertises_its_global_and_link_local_addresses(tmp_path):
    asks = [ns(MAC_A, A, R1P1_IP),
            ns(MAC_A, "fe80::2", R1P1_LL),
            ns(MAC_A, A, "2001:db8:1::77")]          # someone else's: no answer
    out, stats = run(tmp_path, {"a": asks})

    assert len(out["a"]) == 2 and out["b"] == [] and out["c"] == []
    for frame, target, dst in zip(out["a"], (R1P1_IP, R1P1_LL), (A, "fe80::2")):
        na = Ether(frame)
        assert na.src == R1P1 and na.dst == MAC_A
        assert na[IPv6].src == target and na[IPv6].dst == dst and na[IPv6].hlim == 255
        assert na[ICMPv6ND_NA].tgt == target
        assert (na[ICMPv6ND_NA].R, na[ICMPv6ND_NA].S, na[ICMPv6ND_NA].O) == (1, 1, 1)
        assert na[ICMPv6NDOptDstLLAddr].lladdr == R1P1
        assert checksum_ok(frame)
    assert stats["slow_path"]["nd_adverts"] == 2
    assert stats["drops"]["nd_not_for_us"] == 1 and stats["drops"]["router_consumed"] == 2


def test_neighbour_discovery_that_fails_validation_is_dropped(tmp_path):
    forwarded_ns = ns(MAC_A, A, R1P1_IP, hlim=254)     # crossed a router: not from this link
    out, stats = run(tmp_path, {"a": [forwarded_ns]})
    assert out["a"] == [] and stats["drops"]["nd_invalid"] == 1


def test_the_router_answers_ping_for_its_own_address(tmp_path):
    ping = echo6(MAC_A, R1P1, A, R1P1_IP, seq=3)
    out, stats = run(tmp_path, {"a": [ping]})

    pong = Ether(out["a"][0])
    assert pong.src == R1P1 and pong.dst == MAC_A
    assert pong[IPv6].src == R1P1_IP and pong[IPv6].dst == A
    assert pong[ICMPv6EchoReply].id == 7 and pong[ICMPv6EchoReply].seq == 3
    assert pong[ICMPv6EchoReply].data == b"k" * 16 and checksum_ok(out["a"][0])
    assert stats["slow_path"]["icmp6_sent"] == 1


def test_two_subnets_behind_one_router_forward_with_rewritten_macs_and_hop_limit(tmp_path):
    pings = [echo6(MAC_A, R1P1, A, B, seq=i) for i in range(3)]
    out, stats = run(tmp_path, {"a": pings, "b": [ns(MAC_B, B, R1P2_IP)]})

    # b gets the advertisement for its solicitation, the pings, and maybe the router's own NS.
    forwarded = [f for f in not_ns(out["b"]) if not Ether(f).haslayer(ICMPv6ND_NA)]
    assert forwarded == [routed6(p, R1P2, MAC_B) for p in pings]
    for f in out["b"]:
        if is_router_ns(f):
            p = Ether(f)
            assert p[ICMPv6ND_NS].tgt == B and p[IPv6].src == R1P2_IP
            assert (p[IPv6].dst, p.dst) == solicited_node(B)
            assert p[ICMPv6NDOptSrcLLAddr].lladdr == R1P2 and p[IPv6].hlim == 255
    assert out["a"] == [] and out["c"] == []
    assert stats["slow_path"]["nd_resolved"] == 1
    flows = [f for f in stats["flow_list"]
             if "in_port=0" in f["match"] and "ip_dst=%s" % B in f["match"]]
    assert len(flows) == 1
    assert flows[0]["actions"] == ("check6(hlim>1,len<=1500),dec_hop_limit:1,set_eth_src:%s,"
                                   "set_eth_dst:%s,output:1" % (R1P2.upper(), MAC_B.upper()))


def test_an_unanswered_next_hop_is_solicited_three_times_then_reported_unreachable(tmp_path):
    lost = [echo6(MAC_A, R1P1, A, "2001:db8:2::99", seq=i) for i in range(2)]
    out, stats = run(tmp_path, {"a": lost}, wait_s=4.0)

    solicits = [Ether(f) for f in out["b"]]
    assert len(solicits) == 3
    assert all(s[ICMPv6ND_NS].tgt == "2001:db8:2::99" for s in solicits)
    assert all((s[IPv6].dst, s.dst) == solicited_node("2001:db8:2::99") for s in solicits)
    # Both packets waited on the one solicitation; each gets its address unreachable.
    errors = [Ether(f) for f in out["a"]]
    assert [(e[ICMPv6DestUnreach].type, e[ICMPv6DestUnreach].code) for e in errors] == \
        [(1, 3), (1, 3)]
    assert all(e[IPv6].src == R1P1_IP and e[IPv6].dst == A and e.dst == MAC_A for e in errors)
    assert stats["drops"]["nd_unresolved"] == 2 and stats["slow_path"]["nd_solicits"] == 3


def test_hop_limit_one_is_answered_with_time_exceeded_quoting_the_packet(tmp_path):
    doomed = echo6(MAC_A, R1P1, A, B, hlim=1)
    out, stats = run(tmp_path, {"a": [doomed]})

    err = Ether(out["a"][0])
    assert (err[ICMPv6TimeExceeded].type, err[ICMPv6TimeExceeded].code) == (3, 0)
    assert err[IPv6].src == R1P1_IP and err[IPv6].dst == A
    assert raw(err[ICMPv6TimeExceeded].payload) == raw(doomed[IPv6])
    assert checksum_ok(out["a"][0])
    assert stats["drops"]["ttl_expired"] == 1 and out["b"] == []


def test_too_big_for_the_egress_mtu_is_always_packet_too_big(tmp_path):
    big = echo6(MAC_A, R1P1, A, B, size=1300)          # 1348 bytes of IPv6
    out, stats = run(tmp_path, {"a": [big], "b": [ns(MAC_B, B, R1P2_IP)]},
                     topo=topology(r1p2_mtu=1280))

    err = Ether(out["a"][0])
    assert (err[ICMPv6PacketTooBig].type, err[ICMPv6PacketTooBig].code) == (2, 0)
    assert err[ICMPv6PacketTooBig].mtu == 1280
    # RFC 4443 2.4 (c): the error, quote included, fits the minimum MTU.
    assert len(raw(err[IPv6])) == 1280
    assert raw(err[ICMPv6PacketTooBig].payload) == raw(big[IPv6])[:1280 - 48]
    assert checksum_ok(out["a"][0])
    assert [f for f in not_ns(out["b"]) if not Ether(f).haslayer(ICMPv6ND_NA)] == []
    assert stats["drops"]["packet_too_big"] == 1


def test_no_route_blackhole_and_reject_routes(tmp_path):
    routes = [{"dst": "2001:db8:66::/48", "type": "blackhole"},
              {"dst": "2001:db8:77::/48", "type": "reject"}]
    pkts = [echo6(MAC_A, R1P1, A, "2001:db8:99::1"),     # no route
            echo6(MAC_A, R1P1, A, "2001:db8:66::5"),     # blackhole: silence
            echo6(MAC_A, R1P1, A, "2001:db8:77::7")]     # reject
    out, stats = run(tmp_path, {"a": pkts}, topo=topology(routes=routes))

    errors = [Ether(f)[ICMPv6DestUnreach] for f in out["a"]]
    assert [(e.type, e.code) for e in errors] == [(1, 0), (1, 1)]
    assert stats["drops"]["no_route"] == 1
    assert stats["drops"]["blackhole_route"] == 1
    assert stats["drops"]["reject_route"] == 1
    assert [f["actions"] for f in stats["flow_list"] if "ip_dst=2001:db8:66::5" in f["match"]] \
        == ["drop(blackhole_route)"]


def test_an_ipv6_gateway_route_with_a_source_prefix(tmp_path):
    # Only traffic from a's subnet takes the default route, through the gateway on c's side.
    routes = [{"src": "2001:db8:1::/64", "dst": "::/0", "gateway": "2001:db8:3::fe",
               "port": "r1p3"}]
    gw_mac = "02:00:00:00:03:fe"
    pkt = Ether(src=MAC_A, dst=R1P1) / IPv6(src=A, dst="2001:db8:abcd::1") / \
        UDP(sport=1000, dport=53)
    out, stats = run(tmp_path, {"a": [pkt], "c": [ns(gw_mac, "2001:db8:3::fe", "2001:db8:3::1")]},
                     topo=topology(routes=routes))

    forwarded = [f for f in not_ns(out["c"]) if not Ether(f).haslayer(ICMPv6ND_NA)]
    assert forwarded == [routed6(pkt, R1P3, gw_mac)]


def _bad_topology(edit):
    topo = topology()
    edit(topo)
    return topo


def _port(topo, i=0):
    return topo["routers"][0]["ports"][i]


BAD_FILES = [
    ("not an address", lambda t: _port(t).update(address6="2001:db8:1::zz"),
     ["routers[0].ports[0].address6", "not an IPv6 address"]),
    ("address without network", lambda t: _port(t).pop("network6"),
     ["routers[0].ports[0].network6", "missing"]),
    ("address outside its network", lambda t: _port(t).update(address6="2001:db8:9::1"),
     ["routers[0].ports[0].address6", "not inside"]),
    ("link-local configured", lambda t: _port(t).update(address6="fe80::1", network6="fe80::/64"),
     ["routers[0].ports[0].address6", "global unicast"]),
    ("prefix too long", lambda t: _port(t).update(network6="2001:db8:1::/129"),
     ["routers[0].ports[0].network6", "0 to 128"]),
    ("families mixed in a route",
     lambda t: t["routers"][0]["routes"].append({"src": "10.0.0.0/8", "dst": "2001:db8::/32",
                                                 "port": "r1p1"}),
     ["routers[0].routes[0].src", "not an IPv6 CIDR"]),
    ("multicast gateway",
     lambda t: t["routers"][0]["routes"].append({"dst": "::/0", "gateway": "ff02::1",
                                                 "port": "r1p1"}),
     ["routers[0].routes[0].gateway", "unicast"]),
]


@pytest.mark.parametrize("what,edit,words", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_ipv6_in_the_topology_file_is_refused_with_the_field_named(tmp_path, what, edit,
                                                                         words):
    cfg = {"topology_file": "topology.json",
           "ports": [{"name": n, "device": "net_null%d" % i} for i, n in enumerate(IFACES)]}
    rc, out = run_kairod_once(tmp_path, json.dumps(cfg), json.dumps(_bad_topology(edit)))
    assert rc == 1, out
    assert "topology.json" in out
    for w in words:
        assert w in out, (w, out)
