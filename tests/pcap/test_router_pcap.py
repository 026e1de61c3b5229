# SPDX-License-Identifier: Apache-2.0
"""Packet tests for virtual routers: pcap in, pcap out, through a real kairod.

Topology (MidoNet's "two subnets behind one router"), every port a net_pcap device:

    a (10.0.1.2) -- bridge1 -- r1p1 10.0.1.1/24            r1p2 10.0.2.1/24 -- bridge2 -- b
                                        router r1                              (10.0.2.2)
                                 r1p3 10.0.3.1/24 -- bridge3 -- c (10.0.3.2)

The router answers what is addressed to it (ARP, echo) and sends ICMP errors back the way the
packet came; forwarded packets leave with the egress port's MAC, the next hop's MAC and one
TTL less.  Where a test needs a next hop resolved, the next hop announces itself with an ARP
reply on its own port; the router may also have asked first (its request can come before or
after that reply), so the router's own ARP requests are set aside before comparing.
"""
from scapy.all import ARP, ICMP, IP, UDP, Ether, Raw, raw

from kairo_harness import Kairod, flows_matching
from test_bridge_pcap import write_pcap
from scapy.all import rdpcap

MAC_A, MAC_B, MAC_C = "02:00:00:00:01:02", "02:00:00:00:02:02", "02:00:00:00:03:02"
R1P1, R1P2, R1P3 = "02:00:00:00:01:01", "02:00:00:00:02:01", "02:00:00:00:03:01"
IFACES = ("a", "b", "c")


def topology(routes=(), r1p2_mtu=1500, router_up=True):
    return {
        "bridges": [
            {"id": "bridge1", "ports": [{"id": "b1p1"}, {"id": "b1p2", "peer": "r1p1"}]},
            {"id": "bridge2", "ports": [{"id": "b2p1"}, {"id": "b2p2", "peer": "r1p2"}]},
            {"id": "bridge3", "ports": [{"id": "b3p1"}, {"id": "b3p2", "peer": "r1p3"}]},
        ],
        "routers": [{
            "id": "r1", "admin_state_up": router_up,
            "ports": [
                {"id": "r1p1", "address": "10.0.1.1", "network": "10.0.1.0/24", "mac": R1P1},
                {"id": "r1p2", "address": "10.0.2.1", "network": "10.0.2.0/24", "mac": R1P2,
                 "mtu": r1p2_mtu},
                {"id": "r1p3", "address": "10.0.3.1", "network": "10.0.3.0/24", "mac": R1P3},
            ],
            "routes": list(routes),
        }],
        "bindings": [{"port": "b1p1", "interface": "a"}, {"port": "b2p1", "interface": "b"},
                     {"port": "b3p1", "interface": "c"}],
    }


def run(tmp_path, inputs, topo=None, wait_s=0.0, **extra):
    """Run kairod over the inputs; return (outputs per port as bytes, final stats)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    ports = []
    for i, n in enumerate(IFACES):
        write_pcap(tmp_path / ("in_%s.pcap" % n), inputs.get(n, []))
        ports.append({"name": n, "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
            i, tmp_path / ("in_%s.pcap" % n), tmp_path / ("out_%s.pcap" % n))})
    n_in = sum(len(v) for v in inputs.values())
    kd = Kairod(tmp_path / "kd", ports, topo or topology(), extra_config=extra or None)
    with kd:
        kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) >= n_in,
                    what="%d packets in" % n_in)
        if wait_s:
            import time
            time.sleep(wait_s)
        final = kd.stop()
    out = {n: [bytes(p) for p in rdpcap(str(tmp_path / ("out_%s.pcap" % n)))] for n in IFACES}
    return out, final


def is_router_arp_request(frame):
    p = Ether(frame)
    return p.haslayer(ARP) and p[ARP].op == 1 and p.src in (R1P1, R1P2, R1P3)


def not_arp_requests(frames):
    return [f for f in frames if not is_router_arp_request(f)]


def echo(src_mac, dst_mac, src, dst, ttl=64, sport=0, size=0, df=False):
    return Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst, ttl=ttl,
                                                flags="DF" if df else 0) / \
        ICMP(type=8, id=7, seq=sport) / Raw(b"k" * (size or 16))


def announce(mac, ip, router_mac, router_ip):
    """An unsolicited ARP reply to the router: it learns the sender (RFC 826 merge)."""
    return Ether(src=mac, dst=router_mac) / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=router_mac,
                                                pdst=router_ip)


def routed(pkt, src_mac, dst_mac, hops=1):
    """What the router sends on: new MACs, TTL lower, IPv4 checksum recomputed."""
    p = pkt.copy()
    p[Ether].src, p[Ether].dst = src_mac, dst_mac
    p[IP].ttl -= hops
    del p[IP].chksum
    return raw(Ether(raw(p)))


def icmp_of(frame):
    p = Ether(frame)
    return p[IP], p[ICMP]


def test_two_subnets_behind_one_router_forward_with_rewritten_macs_and_ttl(tmp_path):
    pings = [echo(MAC_A, R1P1, "10.0.1.2", "10.0.2.2", sport=i) for i in range(3)]
    out, stats = run(tmp_path, {"a": pings,
                                "b": [announce(MAC_B, "10.0.2.2", R1P2, "10.0.2.1")]})

    assert not_arp_requests(out["b"]) == [routed(p, R1P2, MAC_B) for p in pings]
    for f in out["b"]:
        if is_router_arp_request(f):
            assert Ether(f)[ARP].pdst == "10.0.2.2" and Ether(f)[ARP].psrc == "10.0.2.1"
    assert out["a"] == [] and out["c"] == []
    flows = flows_matching(stats, in_port=0, ip_dst="10.0.2.2", icmp_type=8)
    assert len(flows) == 1
    assert flows[0]["actions"] == ("check(ttl>1,len<=1500),dec_ttl:1,set_eth_src:%s,"
                                   "set_eth_dst:%s,output:1" % (R1P2.upper(), MAC_B.upper()))


def test_the_router_answers_arp_and_ping_for_its_own_address(tmp_path):
    who_has = Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=MAC_A, psrc="10.0.1.2",
                                                              pdst="10.0.1.1")
    ping = echo(MAC_A, R1P1, "10.0.1.2", "10.0.1.1")
    out, stats = run(tmp_path, {"a": [who_has, ping]})

    reply = Ether(out["a"][0])
    assert reply[Ether].src == R1P1 and reply[Ether].dst == MAC_A
    assert reply[ARP].op == 2 and reply[ARP].psrc == "10.0.1.1" and reply[ARP].hwsrc == R1P1
    assert reply[ARP].pdst == "10.0.1.2" and reply[ARP].hwdst == MAC_A
    pong_ip, pong = icmp_of(out["a"][1])
    assert Ether(out["a"][1]).dst == MAC_A and Ether(out["a"][1]).src == R1P1
    assert pong_ip.src == "10.0.1.1" and pong_ip.dst == "10.0.1.2"
    assert pong.type == 0 and pong.id == 7 and pong[Raw].load == b"k" * 16
    assert len(out["a"]) == 2 and out["b"] == [] and out["c"] == []
    assert stats["drops"]["router_consumed"] == 2


def test_ttl_one_is_answered_with_time_exceeded_quoting_the_packet(tmp_path):
    doomed = echo(MAC_A, R1P1, "10.0.1.2", "10.0.2.2", ttl=1)
    out, stats = run(tmp_path, {"a": [doomed]})

    ip, icmp = icmp_of(out["a"][0])
    assert (icmp.type, icmp.code) == (11, 0)
    assert ip.src == "10.0.1.1" and ip.dst == "10.0.1.2"
    assert bytes(icmp.payload)[:20] == raw(doomed[IP])[:20]
    assert stats["drops"]["ttl_expired"] == 1 and out["b"] == []


def test_no_route_blackhole_and_reject_routes(tmp_path):
    routes = [{"dst": "203.0.113.0/24", "type": "blackhole"},
              {"dst": "198.51.100.0/24", "type": "reject"}]
    pkts = [echo(MAC_A, R1P1, "10.0.1.2", "192.0.2.1"),      # no route
            echo(MAC_A, R1P1, "10.0.1.2", "203.0.113.5"),    # blackhole: silence
            echo(MAC_A, R1P1, "10.0.1.2", "198.51.100.7")]   # reject
    out, stats = run(tmp_path, {"a": pkts}, topo=topology(routes=routes))

    answers = [icmp_of(f)[1] for f in out["a"]]
    assert [(i.type, i.code) for i in answers] == [(3, 0), (3, 13)]
    assert stats["drops"]["no_route"] == 1
    assert stats["drops"]["blackhole_route"] == 1
    assert stats["drops"]["reject_route"] == 1
    # The blackhole verdict is cached like any other flow.
    assert flows_matching(stats, ip_dst="203.0.113.5")[0]["actions"] == \
        "drop(blackhole_route)"


def test_too_big_for_the_egress_mtu(tmp_path):
    big_df = echo(MAC_A, R1P1, "10.0.1.2", "10.0.2.2", size=1200, df=True)
    big = echo(MAC_A, R1P1, "10.0.1.2", "10.0.2.2", sport=1, size=1200)
    out, stats = run(tmp_path, {"a": [big_df, big],
                                "b": [announce(MAC_B, "10.0.2.2", R1P2, "10.0.2.1")]},
                     topo=topology(r1p2_mtu=1000))

    ip, icmp = icmp_of(out["a"][0])
    assert (icmp.type, icmp.code) == (3, 4)
    assert icmp.nexthopmtu == 1000
    assert len(out["a"]) == 1 and not_arp_requests(out["b"]) == []
    assert stats["drops"]["frag_needed"] == 1 and stats["drops"]["mtu_exceeded"] == 1


def test_an_unanswered_next_hop_is_retried_then_reported_unreachable(tmp_path):
    lost = echo(MAC_A, R1P1, "10.0.1.2", "10.0.2.99")
    out, stats = run(tmp_path, {"a": [lost]}, wait_s=4.0)

    requests = [Ether(f) for f in out["b"]]
    assert len(requests) == 3 and all(r[ARP].pdst == "10.0.2.99" for r in requests)
    ip, icmp = icmp_of(out["a"][0])
    assert (icmp.type, icmp.code) == (3, 1) and ip.dst == "10.0.1.2"
    assert stats["drops"]["arp_unresolved"] == 1
    # It waited in the simulation's waiting room until its deadline, then was given up on.
    assert stats["waiting_room"]["neighbour"] == {"waiting": 0, "parked": 1, "resumed": 0,
                                                  "timed_out": 1, "refused": 0}


def test_equal_weight_routes_share_flows_and_a_heavier_route_wins(tmp_path):
    def default_routes(w_b, w_c):
        return [{"dst": "0.0.0.0/0", "gateway": "10.0.2.254", "port": "r1p2", "weight": w_b},
                {"dst": "0.0.0.0/0", "gateway": "10.0.3.254", "port": "r1p3", "weight": w_c}]

    # 24 flows: fewer than the packets one unresolved next hop may hold (ARP_QUEUE_MAX), so
    # none is lost whichever comes first, the flows or the gateways' announcements.  The
    # split between equal routes follows the flows' hashes: the same on every run.
    flows = [Ether(src=MAC_A, dst=R1P1) / IP(src="10.0.1.2", dst="192.0.2.%d" % (i + 1)) /
             UDP(sport=1000 + i, dport=53) for i in range(24)]
    gws = {"b": [announce("02:00:00:00:02:fe", "10.0.2.254", R1P2, "10.0.2.1")],
           "c": [announce("02:00:00:00:03:fe", "10.0.3.254", R1P3, "10.0.3.1")]}

    out, _ = run(tmp_path / "equal", dict(a=flows, **gws), topo=topology(default_routes(100, 100)),
                 slow_path={"vport_bucket": 64})
    via_b, via_c = not_arp_requests(out["b"]), not_arp_requests(out["c"])
    assert len(via_b) + len(via_c) == 24
    assert len(via_b) >= 4 and len(via_c) >= 4

    out, _ = run(tmp_path / "heavy", dict(a=flows, **gws), topo=topology(default_routes(100, 200)),
                 slow_path={"vport_bucket": 64})
    assert len(not_arp_requests(out["c"])) == 24 and not_arp_requests(out["b"]) == []


def test_an_admin_down_router_drops(tmp_path):
    out, stats = run(tmp_path, {"a": [echo(MAC_A, R1P1, "10.0.1.2", "10.0.2.2")]},
                     topo=topology(router_up=False))
    assert out == {"a": [], "b": [], "c": []}
    assert stats["drops"]["router_down"] == 1


def test_router_to_router_peering_with_static_routes_decrements_ttl_twice(tmp_path):
    topo = topology(routes=[{"dst": "10.0.9.0/24", "gateway": "10.0.8.2", "port": "r1p4"}])
    topo["routers"][0]["ports"].append({"id": "r1p4", "address": "10.0.8.1",
                                        "network": "10.0.8.0/30", "mac": "02:00:00:00:08:01",
                                        "peer": "r2p1"})
    topo["routers"].append({
        "id": "r2",
        "ports": [{"id": "r2p1", "address": "10.0.8.2", "network": "10.0.8.0/30",
                   "mac": "02:00:00:00:08:02"},
                  {"id": "r2p2", "address": "10.0.9.1", "network": "10.0.9.0/24",
                   "mac": "02:00:00:00:09:01"}],
        "routes": [{"dst": "10.0.1.0/24", "gateway": "10.0.8.1", "port": "r2p1"}]})
    topo["bridges"][2]["ports"][1]["peer"] = "r2p2"      # bridge3 now hangs off r2
    del topo["routers"][0]["ports"][2]                     # and r1p3 goes away
    ping = echo(MAC_A, R1P1, "10.0.1.2", "10.0.9.2")
    out, stats = run(tmp_path, {"a": [ping],
                                "c": [announce(MAC_C, "10.0.9.2", "02:00:00:00:09:01",
                                               "10.0.9.1")]}, topo=topo)

    # r1 learns r2's address by ARP across the interior link; the ping crosses both routers.
    forwarded = [f for f in out["c"] if not Ether(f).haslayer(ARP)]
    assert forwarded == [routed(ping, "02:00:00:00:09:01", MAC_C, hops=2)]
    flows = flows_matching(stats, in_port=0, ip_dst="10.0.9.2", icmp_type=8)
    assert flows and flows[0]["actions"].startswith("check(ttl>2,len<=1500),dec_ttl:2,")
