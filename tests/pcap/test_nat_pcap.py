# SPDX-License-Identifier: Apache-2.0
"""Packet tests for NAT: dnat, snat, rev_dnat, rev_snat, floating IPs and masquerade, through kairod.

Topology (the operations guide's tenant router):

    a: VM1 10.0.1.2, VM3 10.0.1.4 --+                          +-- b: the outside, 198.51.100.2
    c: VM2 10.0.1.3 (floating IP    +-- bridge1 -- r1p1 10.0.1.1/24
       198.51.100.10)               |          router r1
                                               r1p2 198.51.100.1/24 -- bridge2 -- b

r1's pre-routing chain: dnat of the floating IP to VM2, a port forward 198.51.100.20:8080 to
VM1:80, rev_snat for answers to the router's address.  Post-routing: snat of VM2 to its floating
IP, then masquerade of everything else leaving by r1p2 to 198.51.100.1:1024-65535.

The pcap devices read their files at once, in no set order across devices, so an answer cannot
be made to come after the packet that opened its binding here: answers to bindings (rev_snat,
rev_dnat) are proven in tests/netns/test_nat_netns.py, by real kernels.
Every expected packet is built by scapy with its checksums computed from scratch, so a byte-exact
match proves the incremental IPv4, TCP, UDP and ICMP checksum updates.
"""
import json
import time

import pytest
from scapy.all import ICMP, IP, TCP, UDP, Ether, IPerror, Raw, UDPerror, fragment, raw

from kairo_harness import Kairod, flows_matching, run_kairod_once
from test_router_pcap import announce
from test_rules_pcap import outputs, start

MAC_VM1, MAC_VM2, MAC_VM3 = "02:00:00:00:01:02", "02:00:00:00:01:03", "02:00:00:00:01:04"
MAC_EXT = "02:00:00:00:02:02"
R1P1, R1P2 = "02:00:00:00:01:01", "02:00:00:00:02:01"
VM1, VM2, VM3, EXT = "10.0.1.2", "10.0.1.3", "10.0.1.4", "198.51.100.2"
ROUTER_OUT, FIP, FORWARD = "198.51.100.1", "198.51.100.10", "198.51.100.20"


def topology(masquerade_ports="1024-65535"):
    pre = {"id": "pre", "rules": [
        {"pos": 1, "type": "dnat", "dst": FIP, "action": "accept", "target": VM2},
        {"pos": 2, "type": "dnat", "dst": FORWARD, "proto": 6, "dst-port": 8080,
         "action": "accept", "nat_targets": [{"addr_from": VM1, "port_from": 80, "port_to": 80}]},
        {"pos": 3, "type": "rev_snat", "dst": ROUTER_OUT, "action": "accept"},
    ]}
    post = {"id": "post", "rules": [
        {"pos": 1, "type": "snat", "src": VM2, "action": "accept", "target": FIP},
        {"pos": 2, "type": "rev_dnat", "src": VM1, "action": "accept"},
        {"pos": 3, "type": "snat", "out-ports": "r1p2", "action": "accept",
         "target": "%s:%s" % (ROUTER_OUT, masquerade_ports)},
    ]}
    return {
        "bridges": [
            {"id": "bridge1", "ports": [{"id": "b1a"}, {"id": "b1c"}, {"id": "b1r", "peer": "r1p1"}]},
            {"id": "bridge2", "ports": [{"id": "b2b"}, {"id": "b2r", "peer": "r1p2"}]},
        ],
        "routers": [{
            "id": "r1", "inbound_filter": "pre", "outbound_filter": "post",
            "ports": [
                {"id": "r1p1", "address": "10.0.1.1", "network": "10.0.1.0/24", "mac": R1P1},
                {"id": "r1p2", "address": ROUTER_OUT, "network": "198.51.100.0/24", "mac": R1P2},
            ],
        }],
        "chains": [pre, post],
        "bindings": [{"port": "b1a", "interface": "a"}, {"port": "b2b", "interface": "b"},
                     {"port": "b1c", "interface": "c"}],
    }


def run(tmp_path, inputs, topo=None, settle=0.5):
    n_in = sum(len(v) for v in inputs.values())
    kd = start(tmp_path, inputs, topo or topology(), slow_path={"vport_bucket": 256})
    with kd:
        kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) >= n_in,
                    what="%d packets in" % n_in)
        time.sleep(settle)
        final = kd.stop()
    return outputs(tmp_path), final


def ipv4(frames):
    return [Ether(f) for f in frames if Ether(f).haslayer(IP)]


def rebuilt(pkt):
    """pkt with every checksum dropped and summed again by scapy."""
    p = Ether(raw(pkt))
    for layer in (IP, UDP, TCP, ICMP, IPerror, UDPerror):
        if p.haslayer(layer):
            del p[layer].chksum
    return raw(Ether(raw(p)))


def from_vm(mac, src, l4, dst=EXT, tag=b"out"):
    return Ether(src=mac, dst=R1P1) / IP(src=src, dst=dst, ttl=64) / l4 / Raw(tag)


def from_ext(dst, l4, tag=b"in", src=EXT):
    return Ether(src=MAC_EXT, dst=R1P2) / IP(src=src, dst=dst, ttl=64) / l4 / Raw(tag)


def expect(pkt, src_mac, dst_mac, **rewrite):
    """What leaves the router: new MACs, TTL - 1, the rewritten fields, checksums right."""
    p = Ether(raw(pkt))
    p[Ether].src, p[Ether].dst = src_mac, dst_mac
    p[IP].ttl -= 1
    for field, value in rewrite.items():
        layer, name = field.split("_", 1)
        setattr(p[{"ip": IP, "udp": UDP, "tcp": TCP, "icmp": ICMP}[layer]], name, value)
    return rebuilt(p)


# ---- masquerade: many connections, one address, no two alike ---------------------------------

def test_masquerade_gives_each_connection_its_own_port_on_the_router_address(tmp_path):
    # Two VMs open 40 UDP connections each from the same source ports to one remote end, and
    # ping it with the same identifier: every one must leave with a translation of its own.
    vm1 = [from_vm(MAC_VM1, VM1, UDP(sport=2000 + i, dport=7777), tag=b"1-%d" % i) for i in range(40)]
    vm3 = [from_vm(MAC_VM3, VM3, UDP(sport=2000 + i, dport=7777), tag=b"3-%d" % i) for i in range(40)]
    pings = [from_vm(m, s, ICMP(type=8, id=77, seq=1), tag=b"ping") for m, s in
             ((MAC_VM1, VM1), (MAC_VM3, VM3))]
    out, stats = run(tmp_path, {"a": vm1 + vm3 + pings,
                                "b": [announce(MAC_EXT, EXT, R1P2, ROUTER_OUT)]})

    left = [p for p in ipv4(out["b"]) if p[IP].src == ROUTER_OUT]
    udp_out = [p for p in left if p.haslayer(UDP)]
    assert len(udp_out) == 80
    ports = [p[UDP].sport for p in udp_out]
    assert len(set(ports)) == 80 and all(1024 <= x <= 65535 for x in ports)
    ids = [p[ICMP].id for p in left if p.haslayer(ICMP)]
    assert len(ids) == 2 and len(set(ids)) == 2
    # Byte for byte what the VM sent, with the source rewritten and every checksum right.
    by_tag = {bytes(p[Raw].load): p for p in udp_out}
    for sent in vm1 + vm3:
        got = by_tag[bytes(sent[Raw].load)]
        assert raw(got) == expect(sent, R1P2, MAC_EXT, ip_src=ROUTER_OUT,
                                  udp_sport=got[UDP].sport)
    assert stats["slow_path"]["nat_created"] == 82
    assert stats["slow_path"]["nat_bindings"] == 82
    # Cached (those not held back waiting for the remote end's address): each its own rewrite.
    flows = flows_matching(stats, tp_dst=7777)
    assert flows and all("set_ipv4_src:%s:" % ROUTER_OUT in f["actions"] for f in flows)


def test_a_masqueraded_flow_held_back_for_the_next_hop_is_cached_once_it_resolves(tmp_path):
    # Every datagram comes before the outside's address is known: they wait, are walked again
    # once it is, and the flow they make is installed.  It reads 13 objects (both bridges, their
    # MACs and ports, the router, its route, both chains, the binding's two keys, the next hop):
    # a flow that could carry only 12 tags was never cached, and every packet went up.
    vm = [from_vm(MAC_VM1, VM1, UDP(sport=2000, dport=7777), tag=b"x%d" % i) for i in range(4)]
    out, stats = run(tmp_path, {"a": vm, "b": [announce(MAC_EXT, EXT, R1P2, ROUTER_OUT)]})
    assert len([p for p in ipv4(out["b"]) if p.haslayer(UDP)]) == 4
    flows = flows_matching(stats, ip_src=VM1, tp_src=2000)
    assert len(flows) == 1 and "set_ipv4_src:%s:" % ROUTER_OUT in flows[0]["actions"], flows
    assert stats["slow_path"]["install_failed"] == 0


def test_a_port_range_too_small_for_the_connections_drops_the_rest_counted(tmp_path):
    vms = [from_vm(MAC_VM1, VM1, UDP(sport=3000 + i, dport=7777), tag=b"%d" % i) for i in range(5)]
    out, stats = run(tmp_path, {"a": vms, "b": [announce(MAC_EXT, EXT, R1P2, ROUTER_OUT)]},
                     topology(masquerade_ports="5000-5002"))
    left = [p for p in ipv4(out["b"]) if p.haslayer(UDP)]
    assert sorted(p[UDP].sport for p in left) == [5000, 5001, 5002]
    assert stats["drops"]["nat_no_free_port"] == 2


# ---- floating IP: static NAT, both directions, and the ICMP errors about it -----------------

def test_floating_ip_translates_both_ways_and_icmp_errors_quote_the_private_address(tmp_path):
    out_udp = from_vm(MAC_VM2, VM2, UDP(sport=5000, dport=7777), tag=b"vm2-out")
    in_udp = from_ext(FIP, UDP(sport=4000, dport=22), tag=b"ext-in")
    # The remote end's "port unreachable" about what VM2 sent (as the outside saw it: from the FIP).
    quoted = IP(src=FIP, dst=EXT, ttl=63) / UDP(sport=5000, dport=7777) / Raw(b"vm2-out")
    error = from_ext(FIP, ICMP(type=3, code=3), tag=b"") / raw(quoted)
    error = Ether(rebuilt(error))
    out, stats = run(tmp_path, {"c": [out_udp, announce(MAC_VM2, VM2, R1P1, "10.0.1.1")],
                                "b": [announce(MAC_EXT, EXT, R1P2, ROUTER_OUT), in_udp, error]})

    assert [raw(p) for p in ipv4(out["b"])] == [expect(out_udp, R1P2, MAC_EXT, ip_src=FIP)]
    got = ipv4(out["c"])
    assert len(got) == 2
    assert raw(got[0]) == expect(in_udp, R1P1, MAC_VM2, ip_dst=VM2)
    # The error reaches VM2 quoting VM2's own packet: outer destination and quoted source are
    # the private address, the quote's UDP checksum and the ICMP checksum summed right.
    want = Ether(raw(error))
    want[Ether].src, want[Ether].dst = R1P1, MAC_VM2
    want[IP].ttl -= 1
    want[IP].dst = VM2
    want[IPerror].src = VM2
    assert raw(got[1]) == rebuilt(want)
    assert got[1][IPerror].src == VM2 and got[1][UDPerror].sport == 5000
    assert stats["slow_path"]["nat_icmp_errors"] == 1  # counted as sent, not as walked
    assert stats["slow_path"]["nat_static"] >= 3
    assert stats["slow_path"]["nat_bindings"] == 0  # a floating IP keeps no state


def fragments(dst, payload=b"f" * 64):
    """One UDP datagram from the outside to dst in two fragments: 32 bytes of UDP, then the rest."""
    udp = raw(IP(src=EXT, dst=dst) / UDP(sport=4000, dport=9) / Raw(payload))[20:]
    first = IP(src=EXT, dst=dst, ttl=64, id=99, flags="MF", frag=0, proto=17) / Raw(udp[:32])
    later = IP(src=EXT, dst=dst, ttl=64, id=99, frag=4, proto=17) / Raw(udp[32:])
    return [Ether(src=MAC_EXT, dst=R1P2) / first, Ether(src=MAC_EXT, dst=R1P2) / later]


def test_fragments_of_a_floating_ip_flow_make_two_flows_header_and_nonheader(tmp_path):
    frags = fragments(FIP) * 2  # the same datagram twice: the second pair hits the two flows
    out, stats = run(tmp_path, {"b": frags, "c": [announce(MAC_VM2, VM2, R1P1, "10.0.1.1")]})

    # What VM2 must get: the datagram as if sent to its own address, fragmented the same way,
    # so the header fragment's UDP checksum is the one summed over the translated datagram.
    want = fragments(VM2) + fragments(VM2)
    for w in want:
        w[Ether].src, w[Ether].dst = R1P1, MAC_VM2
        w[IP].ttl -= 1
        del w[IP].chksum  # only the IP header's: scapy would sum a fragment's UDP on its own
    # (Fragments that waited for VM2's address may leave after those that found it known.)
    assert sorted(raw(g) for g in ipv4(out["c"])) == sorted(raw(w) for w in want)
    assert len(flows_matching(stats, ip_dst=FIP, frag="first")) == 1
    assert len(flows_matching(stats, ip_dst=FIP, frag="later")) == 1


# ---- port forward (dnat with a port) ------------------------------------------------------

def test_port_forward_rewrites_address_and_port_of_tcp(tmp_path):
    syn = from_ext(FORWARD, TCP(sport=40000, dport=8080, flags="S", seq=1000), tag=b"")
    out, stats = run(tmp_path, {"b": [syn],
                                "a": [announce(MAC_VM1, VM1, R1P1, "10.0.1.1")]})
    got = ipv4(out["a"])
    assert [raw(p) for p in got] == [expect(syn, R1P1, MAC_VM1, ip_dst=VM1, tcp_dport=80)]
    assert stats["slow_path"]["nat_created"] == 1



# ---- fragments through stateful NAT: each translated as its header fragment, in any order ----

DATA = bytes(range(256)) * 4  # 1024 bytes: a datagram of three 400-byte fragments


def datagram(mac, src, dst, l4, ip_id, order=(0, 1, 2), to=R1P1):
    """One datagram in three fragments of 400, 400 and the rest, sent in the order given."""
    frags = fragment(IP(src=src, dst=dst, ttl=64, id=ip_id) / l4 / Raw(DATA), fragsize=400)
    assert len(frags) == 3
    return [Ether(src=mac, dst=to) / frags[i] for i in order]


def reassembled(frags):
    """The whole datagram of fragments that left, its L4 checksum checked against its addresses."""
    frags = sorted(frags, key=lambda p: p[IP].frag)
    assert [bool(p[IP].flags.MF) for p in frags] == [True] * (len(frags) - 1) + [False]
    data = b"".join(bytes(p[IP].payload) for p in frags)
    first = frags[0][IP]
    whole = IP(raw(IP(src=first.src, dst=first.dst, proto=first.proto, id=first.id) / Raw(data)))
    again = whole.copy()
    l4 = {17: UDP, 1: ICMP, 6: TCP}[first.proto]
    del again[l4].chksum
    assert IP(raw(again))[l4].chksum == whole[l4].chksum, "L4 checksum wrong after NAT"
    return whole


def private(pkts):
    return [p for p in pkts if p[IP].src.startswith("10.") or p[IP].dst.startswith("10.")]


def test_masquerade_translates_every_fragment_as_its_header_first_or_last(tmp_path):
    # Two datagrams of one UDP flow of VM1's, in order; one of VM3's with its header last; an
    # echo request of VM1's with its header in the middle.  Every fragment must leave from the
    # router's address, and each datagram reassemble, a flow's datagrams with its one port.
    # (The simulation groups a burst by flow key, and a later fragment's key has no ports: the
    # out-of-order datagrams have keys of their own, so that their later fragments do come to
    # the simulation before their header.)
    flow = UDP(sport=5000, dport=7777)
    in_order = datagram(MAC_VM1, VM1, EXT, flow, 0x1111) + datagram(MAC_VM1, VM1, EXT, flow, 0x1112)
    header_last = datagram(MAC_VM3, VM3, EXT, flow, 0x2222, (2, 1, 0))
    ping = datagram(MAC_VM1, VM1, EXT, ICMP(type=8, id=77, seq=1), 0x3333, (1, 0, 2))
    out, stats = run(tmp_path, {"a": in_order + header_last + ping,
                                "b": [announce(MAC_EXT, EXT, R1P2, ROUTER_OUT)]})

    left = ipv4(out["b"])
    assert private(left) == []
    assert len(left) == 12 and all(p[IP].src == ROUTER_OUT for p in left)
    by_id = {i: reassembled([p for p in left if p[IP].id == i])
             for i in (0x1111, 0x1112, 0x2222, 0x3333)}
    ports = {by_id[i][UDP].sport for i in (0x1111, 0x1112)}
    assert len(ports) == 1 and 1024 <= min(ports) <= 65535
    assert by_id[0x2222][UDP].sport not in ports
    for i in (0x1111, 0x1112, 0x2222):
        assert by_id[i][UDP].dport == 7777 and bytes(by_id[i][UDP].payload) == DATA
    assert by_id[0x3333][ICMP].type == 8 and bytes(by_id[0x3333][ICMP].payload) == DATA
    sp = stats["slow_path"]
    assert sp["nat_created"] == 3 and sp["nat_frag_kept"] == 4 and sp["nat_frag_followed"] >= 8
    # The later fragments that came before their header waited for it, and none gave up: VM3's
    # two, the echo's middle one, and its last one too when it came in its header's burst (the
    # burst's group of its later-fragment key is walked before the header's group).
    waited = stats["waiting_room"]["nat_fragment"]
    assert 3 <= waited["parked"] <= 4 and waited["resumed"] == waited["parked"]
    assert waited["timed_out"] == 0
    assert stats["drops"]["nat_frag_no_header"] == 0
    # No cached flow for them: the key has no IP id, each datagram is walked.
    assert flows_matching(stats, ip_src=VM1, frag="later") == []
    assert flows_matching(stats, ip_src=VM1, frag="first") == []


def test_a_later_fragment_whose_header_never_comes_is_dropped_counted(tmp_path):
    orphan = datagram(MAC_VM1, VM1, EXT, UDP(sport=5001, dport=7777), 0x4444)[1:]
    whole = datagram(MAC_VM1, VM1, EXT, UDP(sport=5001, dport=7777), 0x5555)
    out, stats = run(tmp_path, {"a": orphan + whole,
                                "b": [announce(MAC_EXT, EXT, R1P2, ROUTER_OUT)]}, settle=2.5)
    left = ipv4(out["b"])
    assert private(left) == []
    assert sorted(p[IP].id for p in left) == [0x5555] * 3
    assert stats["drops"]["nat_frag_no_header"] == 2
    assert stats["waiting_room"]["nat_fragment"]["timed_out"] == 2


def test_a_port_forward_translates_the_later_fragments_in_either_order(tmp_path):
    # dnat with a port: the binding is made by the header, from the outside's packets alone.
    # The second client's datagram comes header last (its own later-fragment key, see above).
    seg = TCP(sport=40000, dport=8080, flags="PA", seq=1000)
    first = datagram(MAC_EXT, EXT, FORWARD, seg, 0x0606, to=R1P2)
    header_last = datagram(MAC_EXT, "198.51.100.3", FORWARD, seg, 0x0707, (1, 2, 0), to=R1P2)
    out, stats = run(tmp_path, {"b": first + header_last,
                                "a": [announce(MAC_VM1, VM1, R1P1, "10.0.1.1")]})
    got = ipv4(out["a"])
    assert len(got) == 6 and all(p[IP].dst == VM1 for p in got)
    for i in (0x0606, 0x0707):
        whole = reassembled([p for p in got if p[IP].id == i])
        assert whole[TCP].dport == 80 and bytes(whole[TCP].payload) == DATA
    assert stats["slow_path"]["nat_created"] == 2
    assert stats["waiting_room"]["nat_fragment"]["parked"] == 2


def test_an_icmp_error_quoting_too_little_to_translate_is_dropped_counted(tmp_path):
    # VM3 says "port unreachable" to the outside, quoting its IP header and 4 bytes only
    # (RFC 792 wants 8): masquerade cannot find the connection, nor translate the quote.
    quoted = raw(IP(src=EXT, dst=VM3, ttl=63) / UDP(sport=7777, dport=5000))[:24]
    short = Ether(src=MAC_VM3, dst=R1P1) / IP(src=VM3, dst=EXT, ttl=64) / \
        ICMP(type=3, code=3) / Raw(quoted)
    # The same to the floating IP from the outside: even a static rule translates the quote.
    to_fip = from_ext(FIP, ICMP(type=3, code=3), tag=b"") / \
        Raw(raw(IP(src=FIP, dst=EXT) / UDP(sport=5000, dport=7777))[:20])
    out, stats = run(tmp_path, {"a": [short], "b": [announce(MAC_EXT, EXT, R1P2, ROUTER_OUT),
                                                    Ether(rebuilt(to_fip))],
                                "c": [announce(MAC_VM2, VM2, R1P1, "10.0.1.1")]})
    assert ipv4(out["b"]) == [] and ipv4(out["c"]) == []
    assert stats["drops"]["nat_icmp_quote_short"] == 2
    assert stats["slow_path"]["nat_icmp_errors"] == 0


# ---- bad NAT rules are refused, saying where ------------------------------------------------

BAD_NAT = [
    ({"type": "snat"}, ["rules[0].target", "needs a target"]),
    ({"type": "snat", "target": "10.0.0.1-10.0.0.0"}, ["rules[0].target", "ends before"]),
    ({"type": "snat", "target": "10.0.0.300"}, ["rules[0].target", "ip[-ip][:port[-port]]"]),
    ({"type": "dnat", "target": "10.0.0.1:90-80"}, ["rules[0].target", "port"]),
    ({"type": "dnat", "target": "10.0.0.1", "nat_targets": [{"addr_from": "10.0.0.2"}]},
     ["rules[0].target", "one of them"]),
    ({"type": "dnat", "nat_targets": [{"addr_from": "10.0.0.2", "port_to": 9}]},
     ["rules[0].nat_targets[0]", "port 0"]),
    ({"type": "rev_snat", "target": "10.0.0.1"}, ["rules[0].target", "no target"]),
    ({"type": "snat", "target": "10.0.0.1", "action": "jump"}, ["rules[0].action", "accept"]),
    ({"type": "snat", "target": "10.0.0.1:1024-2047", "fragment-policy": "any"},
     ["rules[0].fragment-policy", "header"]),
    ({"type": "accept", "target": "10.0.0.1"}, ["rules[0].action", "NAT rules only"]),
]


@pytest.mark.parametrize("rule,words", BAD_NAT, ids=["%d" % i for i in range(len(BAD_NAT))])
def test_bad_nat_rules_are_refused_with_the_field_named(tmp_path, rule, words):
    topo = topology()
    topo["chains"][0]["rules"] = [dict(rule, pos=1)]
    cfg = json.dumps({"topology_file": "topology.json",
                      "ports": [{"name": n, "device": "net_null%d" % i}
                                for i, n in enumerate("abc")]})
    rc, out = run_kairod_once(tmp_path, cfg, json.dumps(topo))
    assert rc == 1, out
    for w in words:
        assert w in out, (w, out)
