# SPDX-License-Identifier: Apache-2.0
"""Packet tests for rule chains and connection tracking: pcap in, pcap out, through a real kairod.

Most tests use one bridge with ports pa, pb, pc bound to interfaces a, b, c; chains are attached
as filters to its ports or to the bridge itself (MIDONET-MODEL §3, the operations guide's tables
7.1 and 7.2).  What passed is what left b (or the port named), byte for byte.
"""
import json

import pytest
from scapy.all import ARP, ICMP, IP, IPv6, TCP, UDP, Ether, Raw, raw, rdpcap

from kairo_harness import Kairod, flows_matching, run_kairod_once, write_pcap
from test_router_pcap import topology as router_topology

MAC_A, MAC_B, MAC_C = "02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c"
IP_A, IP_B = "10.0.0.1", "10.0.0.2"


def bridge(chains=(), port_groups=(), filters=None, bridge_filters=None):
    """One bridge, ports pa/pb/pc bound to a/b/c; filters: port id -> {inbound_filter: ...}."""
    ports = []
    for n in "abc":
        p = {"id": "p" + n}
        p.update((filters or {}).get("p" + n, {}))
        ports.append(p)
    b = {"id": "br0", "ports": ports}
    b.update(bridge_filters or {})
    topo = {"bridges": [b], "chains": list(chains),
            "bindings": [{"port": "p" + n, "interface": n} for n in "abc"]}
    if port_groups:
        topo["port_groups"] = list(port_groups)
    return topo


def start(tmp_path, inputs, topo, names=("a", "b", "c"), **extra):
    tmp_path.mkdir(parents=True, exist_ok=True)
    ports = []
    for i, n in enumerate(names):
        write_pcap(tmp_path / ("in_%s.pcap" % n), inputs.get(n, []))
        ports.append({"name": n, "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
            i, tmp_path / ("in_%s.pcap" % n), tmp_path / ("out_%s.pcap" % n))})
    extra.setdefault("slow_path", {"vport_bucket": 64})
    return Kairod(tmp_path / "kd", ports, topo, extra_config=extra)


def outputs(tmp_path, names=("a", "b", "c")):
    return {n: [bytes(p) for p in rdpcap(str(tmp_path / ("out_%s.pcap" % n)))] for n in names}


def run(tmp_path, inputs, topo, names=("a", "b", "c"), wait_s=0.0, **extra):
    """Run kairod until every input came in; return (outputs per interface, final stats)."""
    n_in = sum(len(v) for v in inputs.values())
    kd = start(tmp_path, inputs, topo, names, **extra)
    with kd:
        kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) >= n_in
                    and s["slow_path"]["injected"] + s["flow_cache"]["installed"] > 0,
                    what="%d packets in" % n_in)
        import time
        time.sleep(0.3 + wait_s)
        final = kd.stop()
    return outputs(tmp_path, names), final


def udp(src_mac=MAC_A, dst_mac=MAC_B, src=IP_A, dst=IP_B, sport=1000, dport=2000, tag=b"x",
        **ip):
    return Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst, **ip) / \
        UDP(sport=sport, dport=dport) / Raw(tag)


def chain(cid, *rules):
    return {"id": cid, "rules": [dict(r, pos=i + 1) for i, r in enumerate(rules)]}


# ---- every condition of table 7.2, matched and negated ------------------------------------

def v6(dst, src_mac=MAC_A, tag=b"x"):
    return Ether(src=src_mac, dst=MAC_B) / IPv6(src="2001:db8:9::1", dst=dst) / \
        UDP(sport=1, dport=2) / Raw(tag)


# (condition fields, a packet that meets them, one that does not), as a function of (src_mac, tag)
CONDITIONS = {
    "hw-src-masked": ({"hw-src": "02:00:00:00:00:00", "hw-src-mask": "ffff.ff00.0000"},
                      lambda m, t: udp(src_mac=m, tag=t),
                      lambda m, t: udp(src_mac="06" + m[2:], tag=t)),
    "hw-dst": ({"hw-dst": MAC_B}, lambda m, t: udp(src_mac=m, tag=t),
               lambda m, t: udp(src_mac=m, dst_mac="02:00:00:00:00:0d", tag=t)),
    "ethertype": ({"ethertype": 2048}, lambda m, t: udp(src_mac=m, tag=t),
                  lambda m, t: v6("2001:db8:1::5", m, t)),
    "tos": ({"tos": 32}, lambda m, t: udp(src_mac=m, tag=t, tos=32),
            lambda m, t: udp(src_mac=m, tag=t)),
    "proto": ({"proto": 17}, lambda m, t: udp(src_mac=m, tag=t),
              lambda m, t: Ether(src=m, dst=MAC_B) / IP(src=IP_A, dst=IP_B) /
              TCP(sport=1000, dport=2000, flags="A") / Raw(t)),
    "src": ({"src": "10.0.0.0/24"}, lambda m, t: udp(src_mac=m, tag=t),
            lambda m, t: udp(src_mac=m, src="10.1.0.1", tag=t)),
    "dst-ipv6": ({"dst": "2001:db8:1::/48"}, lambda m, t: v6("2001:db8:1::5", m, t),
                 lambda m, t: v6("2001:db8:2::5", m, t)),
    "src-port": ({"src-port": "1000-1010"}, lambda m, t: udp(src_mac=m, sport=1005, tag=t),
                 lambda m, t: udp(src_mac=m, sport=2000, tag=t)),
    "dst-port": ({"dst-port": 53}, lambda m, t: udp(src_mac=m, dport=53, tag=t),
                 lambda m, t: udp(src_mac=m, dport=54, tag=t)),
}


def negated(fields):
    out = {}
    for k, v in fields.items():
        out[k] = v if k.endswith("-mask") else "!" + str(v)
    return out


@pytest.mark.parametrize("name", sorted(CONDITIONS))
def test_each_condition_drops_what_it_matches_and_negated_what_it_does_not(tmp_path, name):
    fields, meets, misses = CONDITIONS[name]
    # One chain on the bridge: from pa, drop what meets the condition; from pc, what does not.
    rules = [dict(fields, type="drop", **{"in-ports": "pa"}),
             dict(negated(fields), type="drop", **{"in-ports": ["pc"]})]
    topo = bridge([chain("c1", *rules)], bridge_filters={"inbound_filter": "c1"})
    inputs = {"a": [meets(MAC_A, b"a-meets"), misses(MAC_A, b"a-misses")],
              "c": [meets(MAC_C, b"c-meets"), misses(MAC_C, b"c-misses")]}
    out, stats = run(tmp_path, inputs, topo)

    passed = sorted(out["b"])
    assert passed == sorted([bytes(misses(MAC_A, b"a-misses")), bytes(meets(MAC_C, b"c-meets"))])
    assert stats["drops"]["rule_drop"] == 2


def test_out_ports_in_ports_negated_and_port_groups(tmp_path):
    # pb's and pc's outbound filter: the out port is the port itself.
    out_rules = chain("out", {"type": "drop", "out-ports": "pb", "dst-port": 7},
                      {"type": "drop", "out-ports": "!pb", "dst-port": 8})
    # The bridge's inbound filter: pa is the only member of grp.
    in_rules = chain("in", {"type": "drop", "port-group": "grp", "dst-port": 10},
                     {"type": "drop", "port-group": "!grp", "dst-port": 9},
                     {"type": "drop", "in-ports": "!pa", "dst-port": 11})
    topo = bridge([out_rules, in_rules], port_groups=[{"id": "grp", "ports": ["pa"]}],
                  filters={"pb": {"outbound_filter": "out"}, "pc": {"outbound_filter": "out"}},
                  bridge_filters={"inbound_filter": "in"})
    sent = {p: udp(dport=p, tag=b"%d" % p) for p in (7, 8, 9, 10, 11)}
    out, stats = run(tmp_path, {"a": list(sent.values())}, topo)

    assert out["b"] == [bytes(sent[p]) for p in (8, 9, 11)]
    assert out["c"] == [bytes(sent[p]) for p in (7, 9, 11)]
    assert stats["drops"]["rule_drop"] >= 1


# ---- every type of table 7.1, jump and return ----------------------------------------------

def test_types_accept_continue_drop_jump_return_nest_as_the_guide_says(tmp_path):
    main = chain("main",
                 {"type": "continue", "dst-port": 1},
                 {"type": "accept", "dst-port": 10},
                 {"type": "drop", "dst-port": 10},        # never reached for 10
                 {"type": "jump", "jump-to": "sub"},
                 {"type": "drop", "dst-port": 20},        # 20 came back from sub by return
                 {"type": "drop", "dst-port": 30})        # 30 was accepted in sub
    sub = chain("sub",
                {"type": "return", "dst-port": 20},
                {"type": "accept", "dst-port": 30},
                {"type": "jump", "jump-to": "subsub"},
                {"type": "drop", "dst-port": 40})
    subsub = chain("subsub", {"type": "return", "dst-port": 40}, {"type": "drop", "dst-port": 50})
    topo = bridge([main, sub, subsub], filters={"pa": {"inbound_filter": "main"}})
    ports = [1, 10, 20, 30, 40, 50, 60]
    out, stats = run(tmp_path, {"a": [udp(dport=p, tag=b"%d" % p) for p in ports]}, topo)

    assert out["b"] == [bytes(udp(dport=p, tag=b"%d" % p)) for p in (1, 10, 30, 60)]
    assert stats["drops"]["rule_drop"] == 3
    # Each flow carries the tags of exactly the chains it read.
    assert len(flows_matching(stats, tp_dst=60)) == 1


def test_a_jump_loop_is_a_counted_drop(tmp_path):
    topo = bridge([chain("x", {"type": "jump", "jump-to": "y"}),
                   chain("y", {"type": "jump", "jump-to": "x"})],
                  filters={"pa": {"inbound_filter": "x"}})
    out, stats = run(tmp_path, {"a": [udp()]}, topo)
    assert out["b"] == [] and stats["drops"]["chain_jump_limit"] == 1


def test_reject_answers_icmp_admin_prohibited_and_tcp_rst(tmp_path):
    topo = bridge([chain("rej", {"type": "reject", "proto": 17}, {"type": "reject", "proto": 6})],
                  filters={"pa": {"inbound_filter": "rej"}})
    u = udp(sport=1234, dport=53, tag=b"query")
    syn = Ether(src=MAC_A, dst=MAC_B) / IP(src=IP_A, dst=IP_B) / \
        TCP(sport=40000, dport=22, seq=1000, flags="S")
    ack = Ether(src=MAC_A, dst=MAC_B) / IP(src=IP_A, dst=IP_B) / \
        TCP(sport=40001, dport=22, seq=5, ack=777, flags="A") / Raw(b"data")
    out, stats = run(tmp_path, {"a": [u, syn, ack]}, topo)

    quote = raw(u[IP])
    icmp = Ether(src=MAC_B, dst=MAC_A) / IP(src=IP_B, dst=IP_A, ttl=64, tos=0xc0, id=0) / \
        ICMP(type=3, code=13) / Raw(quote)
    rst_syn = Ether(src=MAC_B, dst=MAC_A) / IP(src=IP_B, dst=IP_A, ttl=64, id=0) / \
        TCP(sport=22, dport=40000, seq=0, ack=1001, flags="RA", window=0)
    rst_ack = Ether(src=MAC_B, dst=MAC_A) / IP(src=IP_B, dst=IP_A, ttl=64, id=0) / \
        TCP(sport=22, dport=40001, seq=777, ack=0, flags="R", window=0)

    def padded(p):
        b = raw(p)
        return b + b"\0" * max(0, 60 - len(b))
    assert out["a"] == [padded(icmp), padded(rst_syn), padded(rst_ack)]
    assert out["b"] == [] and stats["drops"]["rule_reject"] == 3
    assert stats["slow_path"]["rejects_sent"] == 3


# ---- the guide's examples ---------------------------------------------------------------------

def test_anti_spoofing_port_inbound_chain_of_the_guide(tmp_path):
    # chain2 of the guide (OS_PORT_..._INBOUND) and a security group it jumps to (chain4).
    inbound = chain("chain2",
                    {"type": "drop", "ethertype": 2048, "src": "!" + IP_A},
                    {"type": "drop", "hw-src": "!" + MAC_A},
                    {"type": "accept", "flow": "return-flow"},
                    {"type": "jump", "jump-to": "chain4"},
                    {"type": "drop", "ethertype": "!2054"})
    sg = chain("chain4", {"type": "accept", "ethertype": 2048, "proto": 6, "dst-port": 22},
               {"type": "accept", "ethertype": 2048, "proto": 1})
    topo = bridge([inbound, sg], filters={"pa": {"inbound_filter": "chain2"}})
    spoof_ip = udp(src="10.0.0.99", tag=b"spoof-ip")
    spoof_mac = udp(src_mac="02:00:00:00:00:99", tag=b"spoof-mac")
    arp = Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=MAC_A, psrc=IP_A, pdst=IP_B)
    other = udp(dport=5353, tag=b"mdns")
    ssh = Ether(src=MAC_A, dst=MAC_B) / IP(src=IP_A, dst=IP_B) / TCP(sport=5555, dport=22,
                                                                      flags="S")
    ping = Ether(src=MAC_A, dst=MAC_B) / IP(src=IP_A, dst=IP_B) / ICMP(id=1) / Raw(b"ping")
    out, stats = run(tmp_path, {"a": [spoof_ip, spoof_mac, arp, other, ssh, ping]}, topo)

    assert out["b"] == [bytes(arp), bytes(ssh), bytes(ping)]
    assert stats["drops"]["rule_drop"] == 3


def test_security_group_admits_ssh_icmp_and_only_return_traffic(tmp_path):
    """VM b sits behind router r1 (bridge2); its port's outbound filter is the security group.

    b's forward UDP leaves by port c (flooded); a's answers come through the router, which must
    resolve b first: they wait for b's ARP announcement, which follows b's forward packet in b's
    file, so the connection is always recorded before they are walked.
    """
    topo = router_topology()
    sg = chain("sg_in", {"type": "accept", "flow": "return-flow"},
               {"type": "accept", "ethertype": 2054},
               {"type": "accept", "proto": 6, "dst-port": 22},
               {"type": "accept", "proto": 1},
               {"type": "drop"})
    port_in = chain("port_in", {"type": "accept", "flow": "forward-flow"})
    topo["chains"] = [sg, port_in]
    b2 = topo["bridges"][1]
    b2["ports"][0].update(inbound_filter="port_in", outbound_filter="sg_in")
    b2["ports"].append({"id": "b2p3"})
    topo["bindings"][2] = {"port": "b2p3", "interface": "c"}  # c now sits on bridge2
    R1P1, R1P2 = "02:00:00:00:01:01", "02:00:00:00:02:01"
    MB = "02:00:00:00:02:02"
    fwd = Ether(src=MB, dst="02:00:00:00:02:99") / IP(src="10.0.2.2", dst="10.0.1.2") / \
        UDP(sport=5000, dport=6000) / Raw(b"fwd")
    announce = Ether(src=MB, dst=R1P2) / ARP(op=2, hwsrc=MB, psrc="10.0.2.2", hwdst=R1P2,
                                             pdst="10.0.2.1")

    def from_a(l4, tag):
        return Ether(src="02:00:00:00:01:02", dst=R1P1) / IP(src="10.0.1.2", dst="10.0.2.2") / \
            l4 / Raw(tag)
    answer = from_a(UDP(sport=6000, dport=5000), b"answer")
    stranger = from_a(UDP(sport=6001, dport=5000), b"stranger")
    ssh = from_a(TCP(sport=7000, dport=22, flags="S"), b"ssh")
    ping = from_a(ICMP(id=3), b"ping")
    out, stats = run(tmp_path, {"a": [answer, stranger, ssh, ping], "b": [fwd, announce]},
                     topo, flow_cache={"capacity": 1024, "idle_timeout_ms": 300},
                     slow_path={"vport_bucket": 64, "conntrack_idle_s": 1}, wait_s=2.5)

    got = sorted(Ether(f)[Raw].load for f in out["b"] if not Ether(f).haslayer(ARP))
    assert got == [b"answer", b"ping", b"ssh"]
    assert [f for f in out["c"] if not Ether(f).haslayer(ARP)] == [bytes(fwd)]
    sp = stats["slow_path"]
    assert sp["ct_created"] >= 1 and stats["drops"]["rule_drop"] >= 1
    # Idle flows went, then the connection they kept alive.
    assert sp["ct_expired"] >= 1 and sp["ct_entries"] == 0


def test_fragments_by_policy(tmp_path):
    rules = [{"type": "drop", "fragment-policy": "unfragmented", "dst": "10.0.0.7"},
             {"type": "drop", "proto": 17, "dst-port": 53},                 # header only
             {"type": "drop", "fragment-policy": "nonheader", "dst": "10.0.0.9"}]
    topo = bridge([chain("frag", *rules)], filters={"pa": {"inbound_filter": "frag"}})

    def frag(dst, dport, offset, mf, tag):
        ip = IP(src=IP_A, dst=dst, id=9, flags="MF" if mf else 0, frag=offset, proto=17)
        body = raw(UDP(sport=1, dport=dport, len=8 + 16) / Raw(tag.ljust(16, b"."))) \
            if offset == 0 else tag.ljust(16, b".")
        return Ether(src=MAC_A, dst=MAC_B) / ip / Raw(body)
    pkts = {
        "whole-7": udp(dst="10.0.0.7", tag=b"whole-7"),        # dropped (unfragmented)
        "head-7": frag("10.0.0.7", 99, 0, True, b"head-7"),    # passes
        "whole-53": udp(dst="10.0.0.8", dport=53, tag=b"whole-53"),  # dropped
        "head-53": frag("10.0.0.8", 53, 0, True, b"head-53"),  # dropped: header fragment
        "later-53": frag("10.0.0.8", 53, 2, False, b"later-53"),  # passes: no ports to read
        "later-9": frag("10.0.0.9", 53, 2, False, b"later-9"),  # dropped: nonheader
        "head-9": frag("10.0.0.9", 99, 0, True, b"head-9"),    # passes
    }
    out, stats = run(tmp_path, {"a": list(pkts.values())}, topo)
    assert out["b"] == [bytes(pkts[k]) for k in ("head-7", "later-53", "head-9")]
    assert stats["drops"]["rule_drop"] == 4


# ---- a chain edit removes exactly the flows that read it --------------------------------------

def test_editing_a_chain_invalidates_exactly_its_flows(tmp_path):
    def topo(port):
        return bridge([chain("ca", {"type": "drop", "dst-port": port}),
                       chain("cc", {"type": "drop", "dst-port": 1})],
                      filters={"pa": {"inbound_filter": "ca"}, "pc": {"inbound_filter": "cc"}})
    inputs = {"a": [udp(dport=p, tag=b"a") for p in (5, 6)],
              "c": [udp(src_mac=MAC_C, dport=p, tag=b"c") for p in (5, 6)]}
    kd = start(tmp_path, inputs, topo(5))
    with kd:
        before = kd.wait_for(lambda s: len(s["flow_list"]) >= 4, what="4 flows")
        dumped = kd.ctl("dump", "flows")
        assert len(flows_matching(before, in_port=0)) == 2
        after = kd.reload(topo(6))
        assert after["slow_path"]["topo_last_invalidated"] == 2
        assert flows_matching(after, in_port=0) == []
        assert len(flows_matching(after, in_port=2)) == 2
        kd.stop()
    assert dumped


# ---- bad chain definitions are refused, saying where -----------------------------------------

BAD = [
    ({"type": "jump"}, ["chains[0].rules[0].jump-to", "missing"]),
    ({"type": "jump", "jump-to": "nowhere"}, ["chains[0].rules[0].jump-to", "nowhere"]),
    ({"type": "drop", "src": "10.0.0.300/8"}, ["chains[0].rules[0].src", "CIDR"]),
    ({"type": "drop", "dst-port": "80-20"}, ["chains[0].rules[0].dst-port", "range"]),
    ({"type": "drop", "dst-port": 80, "fragment-policy": "nonheader"},
     ["chains[0].rules[0].fragment-policy", "header fragments"]),
    ({"type": "dnat"}, ["chains[0].rules[0].target", "needs a target"]),
    ({"type": "bounce"}, ["chains[0].rules[0].type", "not a rule type"]),
    ({"type": "drop", "in-ports": "pz"}, ["chains[0].rules[0].in-ports", "pz"]),
    ({"type": "drop", "hw-src": "02:00:00"}, ["chains[0].rules[0].hw-src", "MAC"]),
    ({"type": "drop", "flow": "sideways"}, ["chains[0].rules[0].flow", "return-flow"]),
    ({"type": "drop", "colour": "red"}, ["chains[0].rules[0]", "colour"]),
]


@pytest.mark.parametrize("rule,words", BAD, ids=[w[0].split(".")[-1] + "-%d" % i
                                                 for i, (_, w) in enumerate(BAD)])
def test_bad_chain_definitions_are_refused_with_the_field_named(tmp_path, rule, words):
    topo = bridge([{"id": "c1", "rules": [rule]}], filters={"pa": {"inbound_filter": "c1"}})
    cfg = json.dumps({"topology_file": "topology.json",
                      "ports": [{"name": n, "device": "net_null%d" % i}
                                for i, n in enumerate("abc")]})
    rc, out = run_kairod_once(tmp_path, cfg, json.dumps(topo))
    assert rc == 1, out
    for w in words:
        assert w in out, (w, out)


def test_a_filter_naming_no_chain_is_refused(tmp_path):
    topo = bridge([], filters={"pb": {"outbound_filter": "ghost"}})
    cfg = json.dumps({"topology_file": "topology.json",
                      "ports": [{"name": n, "device": "net_null%d" % i}
                                for i, n in enumerate("abc")]})
    rc, out = run_kairod_once(tmp_path, cfg, json.dumps(topo))
    assert rc == 1 and "bridges[0].ports[1].outbound_filter" in out and "ghost" in out, out
