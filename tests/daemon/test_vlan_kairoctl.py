# SPDX-License-Identifier: Apache-2.0
"""A bridge port's VLANs through kairoctl, in the midonet-cli grammar.

`bridge B port P set vlan V` makes an access port, `... set trunk-vlans 10,20` (or `all`) a
trunk, `none` clears either; `list port` and `port P show` say so.  A VLAN id outside 1-4094,
a bad or repeated trunk entry and a port with both settings are refused naming the word or the
field, and a refused edit leaves the topology file byte for byte as it was.
"""
import json
import subprocess

from kairo_harness import KAIROCTL, Kairod, write_pcap


def ctl_fail(kd, *words):
    r = subprocess.run([str(KAIROCTL), "--socket", kd.socket] + list(words),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0, r.stdout
    return r.stderr


def test_vlan_words_on_bridge_ports(tmp_path):
    write_pcap(tmp_path / "in.pcap", [])
    ports = [{"name": "a", "device": "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (
        tmp_path / "in.pcap", tmp_path / "out.pcap")}]
    with Kairod(tmp_path / "kd", ports, {"bridges": []}) as kd:
        topo_file = tmp_path / "kd" / "topology.json"
        assert kd.ctl("bridge", "create", "name", "br", as_json=False).split() == ["bridge0"]
        assert kd.ctl("bridge", "bridge0", "add", "port", "vlan", "10",
                      as_json=False).split() == ["bridge0:port0"]
        assert kd.ctl("bridge", "bridge0", "add", "port", "trunk-vlans", "10,20",
                      as_json=False).split() == ["bridge0:port1"]
        assert kd.ctl("bridge", "bridge0", "add", "port", as_json=False).split() == \
            ["bridge0:port2"]
        kd.ctl("bridge", "bridge0", "port", "port2", "set", "trunk-vlans", "all", as_json=False)

        listing = kd.ctl("bridge", "bridge0", "list", "port", as_json=False).splitlines()
        assert listing == ["port port0 device bridge0 state up vlan 10",
                           "port port1 device bridge0 state up trunk-vlans 10,20",
                           "port port2 device bridge0 state up trunk-vlans all"]
        doc = json.loads(topo_file.read_text())
        assert [{k: p.get(k) for k in ("vlan", "trunk_vlans") if k in p}
                for p in doc["bridges"][0]["ports"]] == \
            [{"vlan": 10}, {"trunk_vlans": [10, 20]}, {"trunk_vlans": "all"}]

        before = topo_file.read_text()
        assert 'vlan "4095"' in ctl_fail(kd, "bridge", "bridge0", "port", "port0", "set",
                                         "vlan", "4095")
        assert "a VLAN id is 1 to 4094" in ctl_fail(kd, "bridge", "bridge0", "port", "port0",
                                                    "set", "vlan", "0")
        assert "VLAN 10 listed twice" in ctl_fail(kd, "bridge", "bridge0", "port", "port1",
                                                  "set", "trunk-vlans", "10,30,10")
        assert "trunk-vlans" in ctl_fail(kd, "bridge", "bridge0", "port", "port1", "set",
                                         "trunk-vlans", "10,x")
        # Both on one port: the check of the whole document names the field.
        err = ctl_fail(kd, "bridge", "bridge0", "port", "port0", "set", "trunk-vlans", "20")
        assert "bridges[0].ports[0].trunk_vlans" in err and "not both" in err, err
        assert topo_file.read_text() == before
        # Router ports take no VLAN.
        assert kd.ctl("router", "create", as_json=False).split() == ["router0"]
        before = topo_file.read_text()
        assert "vlan" in ctl_fail(kd, "router", "router0", "add", "port", "address",
                                  "10.0.0.1", "net", "10.0.0.0/24", "vlan", "10")
        assert topo_file.read_text() == before

        # none clears: an access port becomes a trunk in two steps.
        kd.ctl("bridge", "bridge0", "port", "port0", "set", "vlan", "none", "trunk-vlans",
               "30", as_json=False)
        shown = kd.ctl("bridge", "bridge0", "port", "port0", "show", as_json=False)
        assert shown.strip() == "port port0 device bridge0 state up trunk-vlans 30"


def test_provider_words_on_bridges(tmp_path):
    write_pcap(tmp_path / "in.pcap", [])
    ports = [{"name": "up", "device": "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (
        tmp_path / "in.pcap", tmp_path / "out.pcap")}]
    with Kairod(tmp_path / "kd", ports, {"bridges": []},
                extra_config={"physical_networks": {"physnet1": "up"}}) as kd:
        topo_file = tmp_path / "kd" / "topology.json"
        assert kd.ctl("bridge", "create", "name", "pub", "provider-type", "vlan",
                      "physical-network", "physnet1", "segmentation-id", "100",
                      as_json=False).split() == ["bridge0"]
        assert kd.ctl("bridge", "list", as_json=False).splitlines() == [
            "bridge bridge0 name pub state up provider-type vlan physical-network physnet1 "
            "segmentation-id 100"]
        doc = json.loads(topo_file.read_text())
        assert doc["bridges"][0]["provider"] == {"type": "vlan", "physical_network": "physnet1",
                                                 "segmentation_id": 100}
        before = topo_file.read_text()
        assert "flat, vlan or none" in ctl_fail(kd, "bridge", "bridge0", "set", "provider-type",
                                                "gre")
        err = ctl_fail(kd, "bridge", "bridge0", "set", "provider-type", "flat")
        assert "bridges[0].provider.segmentation_id" in err and "a flat network has none" in err
        err = ctl_fail(kd, "bridge", "create", "provider-type", "flat", "physical-network",
                       "physnet2")
        assert "provider.physical_network" in err and "no port of this host maps it" in err
        assert "segmentation-id \"4095\"" in ctl_fail(kd, "bridge", "bridge0", "set",
                                                      "segmentation-id", "4095")
        assert topo_file.read_text() == before
        # To flat: the id goes with the type, in one edit.
        kd.ctl("bridge", "bridge0", "set", "provider-type", "flat", "segmentation-id", "none",
               as_json=False)
        assert kd.ctl("bridge", "list", as_json=False).splitlines() == [
            "bridge bridge0 name pub state up provider-type flat physical-network physnet1"]
        kd.ctl("bridge", "bridge0", "set", "provider-type", "none", as_json=False)
        assert "provider" not in json.loads(topo_file.read_text())["bridges"][0]
