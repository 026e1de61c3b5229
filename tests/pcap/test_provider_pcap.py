# SPDX-License-Identifier: Apache-2.0
"""Provider networks (seed 003 §7) on packets: pcap in, pcap out, through a real kairod.

The daemon maps physical network physnet1 to its port "up" ("physical_networks"); three
bridges are provider networks on it: br100 (vlan, segmentation id 100) with VM port vm1, br200
(vlan, 200) with vm2, brflat (flat) with vm3.  On the uplink a network's frames carry exactly
its tag (none for flat); the VMs see them untagged; what no network carries is dropped and
counted.  Refusals: a physnet no port maps, a vlan network without a segmentation id or with
one outside 1-4094, a flat one with an id, each naming the field.
"""
import json

import pytest
from scapy.all import ARP, Dot1Q, Ether, IP, Raw, UDP, rdpcap

from kairo_harness import Kairod, run_kairod_once, write_pcap

BCAST = "ff:ff:ff:ff:ff:ff"
NAMES = ("up", "vm1", "vm2", "vm3")


def frame(src, dst=BCAST, sport=1000, *tags):
    f = Ether(src=src, dst=dst)
    for t in tags:
        f = f / Dot1Q(vlan=t)
    return bytes(f / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=sport, dport=2000) /
                 Raw(b"kairo"))


def arp(src, *tags):
    f = Ether(src=src, dst=BCAST)
    for t in tags:
        f = f / Dot1Q(vlan=t)
    return bytes(f / ARP(op=1, hwsrc=src, psrc="10.0.0.1", pdst="10.0.0.9"))


def provider(kind, seg=None):
    p = {"type": kind, "physical_network": "physnet1"}
    if seg is not None:
        p["segmentation_id"] = seg
    return p


TOPO = {
    "bridges": [
        {"id": "br100", "provider": provider("vlan", 100), "ports": [{"id": "p1"}]},
        {"id": "br200", "provider": provider("vlan", 200), "ports": [{"id": "p2"}]},
        {"id": "brflat", "provider": provider("flat"), "ports": [{"id": "p3"}]},
    ],
    "bindings": [{"port": "p1", "interface": "vm1"}, {"port": "p2", "interface": "vm2"},
                 {"port": "p3", "interface": "vm3"}],
}


def run(tmp_path, inputs):
    tmp_path.mkdir(parents=True, exist_ok=True)
    devs = []
    for i, n in enumerate(NAMES):
        write_pcap(tmp_path / ("in_%s.pcap" % n), inputs.get(n, []))
        devs.append({"name": n, "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
            i, tmp_path / ("in_%s.pcap" % n), tmp_path / ("out_%s.pcap" % n))})
    n_in = sum(len(v) for v in inputs.values())
    kd = Kairod(tmp_path / "kd", devs, TOPO,
                extra_config={"physical_networks": {"physnet1": "up"}})
    with kd:
        kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) >= n_in,
                    what="%d packets received" % n_in)
        drops = kd.ctl("show", "drops")
        stats = kd.stop()
    out = {n: [bytes(p) for p in rdpcap(str(tmp_path / ("out_%s.pcap" % n)))] for n in NAMES}
    return out, stats, drops


def test_the_uplink_frames_reach_the_network_their_tag_names_untagged(tmp_path):
    a100 = arp("02:00:00:00:01:00", 100)
    a200 = arp("02:00:00:00:02:00", 200)
    aflat = arp("02:00:00:00:03:00")
    a300 = arp("02:00:00:00:04:00", 300)
    out, stats, drops = run(tmp_path, {"up": [a100, a200, aflat, a300]})

    assert out["vm1"] == [arp("02:00:00:00:01:00")]
    assert out["vm2"] == [arp("02:00:00:00:02:00")]
    assert out["vm3"] == [aflat]
    assert out["up"] == []
    assert stats["drops"]["vlan_not_allowed"] == 1
    assert drops["vlan_not_allowed"] == 1


def test_a_vm_reaches_the_wire_with_exactly_its_segmentation_id(tmp_path):
    vm1 = [arp("02:00:00:00:00:11"), frame("02:00:00:00:00:11", "02:00:00:00:00:99", 7)]
    out, stats, _ = run(tmp_path / "vlan", {"vm1": vm1})
    assert out["up"] == [arp("02:00:00:00:00:11", 100),
                         frame("02:00:00:00:00:11", "02:00:00:00:00:99", 7, 100)]
    assert out["vm2"] == [] and out["vm3"] == []


def test_a_flat_network_is_untagged_and_drops_what_it_does_not_carry(tmp_path):
    vm3 = [arp("02:00:00:00:00:33"), frame("02:00:00:00:00:33", BCAST, 8, 100)]
    out, stats, drops = run(tmp_path, {"vm3": vm3})
    # Untagged on the wire; the VM's tagged frame is not the flat network's: dropped.
    assert out["up"] == [arp("02:00:00:00:00:33")]
    assert out["vm1"] == [] and out["vm2"] == []
    assert drops["vlan_not_allowed"] == 1


def config(**over):
    c = {"topology_file": "topology.json", "mbufs": 4095, "flow_cache": {"capacity": 1024},
         "ports": [{"name": "up", "device": "net_null0"}, {"name": "vm1", "device": "net_null1"}],
         "physical_networks": {"physnet1": "up"}}
    c.update(over)
    return json.dumps(c)


def topo(prov):
    return json.dumps({"bridges": [{"id": "br", "provider": prov, "ports": [{"id": "p1"}]}],
                       "bindings": [{"port": "p1", "interface": "vm1"}]})


REFUSED = [
    ("physnet no port maps", config(), topo({"type": "flat", "physical_network": "physnet2"}),
     ["bridges[0].provider.physical_network", "physnet2", "no port of this host maps it"]),
    ("vlan without id", config(), topo(provider("vlan")),
     ["bridges[0].provider.segmentation_id", "missing"]),
    ("vlan id 4095", config(), topo(provider("vlan", 4095)),
     ["bridges[0].provider.segmentation_id", "out of range [1, 4094]"]),
    ("vlan id 0", config(), topo(provider("vlan", 0)),
     ["bridges[0].provider.segmentation_id", "out of range [1, 4094]"]),
    ("flat with an id", config(), topo(provider("flat", 100)),
     ["bridges[0].provider.segmentation_id", "a flat network has none"]),
    ("unknown type", config(), topo(provider("gre", 5)),
     ["bridges[0].provider.type", "flat or vlan"]),
    ("mapping to no port", config(physical_networks={"physnet1": "eth9"}), topo(provider("flat")),
     ["physical_networks.physnet1", "eth9", "not the name of a port"]),
    ("physnet on the underlay", config(
        ports=[{"name": "up", "device": "net_null0", "role": "uplink"},
               {"name": "vm1", "device": "net_null1"}],
        underlay={"interface": "up", "address": "192.168.50.1/24"}), topo(provider("flat")),
     ["physical_networks.physnet1", "the underlay's interface"]),
    ("one segment twice", config(),
     json.dumps({"bridges": [{"id": "a", "provider": provider("vlan", 7)},
                             {"id": "b", "provider": provider("vlan", 7)}]}),
     ["bridges[1].provider", "already bridge a's"]),
    ("uplink bound as well", config(),
     json.dumps({"bridges": [{"id": "a", "provider": provider("flat"), "ports": [{"id": "x"}]}],
                 "bindings": [{"port": "x", "interface": "up"}]}),
     ["bindings[0].interface", "already bound to port \"a/provider\""]),
]


@pytest.mark.parametrize("what,cfg,topo_text,words", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_bad_provider_network_is_refused_naming_the_field(tmp_path, what, cfg, topo_text,
                                                            words):
    rc, out = run_kairod_once(tmp_path, cfg, topo_text)
    assert rc == 1, out
    for w in words:
        assert w in out, (w, out)
