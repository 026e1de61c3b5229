# SPDX-License-Identifier: Apache-2.0
"""A bad configuration or topology is refused: the message names the file, the field and what
is wrong, kairod exits non-zero, and nothing starts (no interface is created)."""
import json
import subprocess

import pytest

from kairo_harness import KAIROD, Kairod, bridge_topology, run_kairod_once

TOPO = json.dumps(bridge_topology(["p1", "p2"], {"p1": "vm1", "p2": "vm2"}))


def config(**over):
    c = {
        "topology_file": "topology.json",
        # Sizes the -m 256 of run_kairod_once holds: the tables are made before the ports, and
        # the default flow cache alone needs about 220 MiB without hugepages.
        "mbufs": 4095,
        "flow_cache": {"capacity": 1024},
        "ports": [
            {"name": "vm1", "device": "net_null0"},
            {"name": "vm2", "device": "net_null1"},
        ],
    }
    c.update(over)
    return json.dumps(c)


def link_exists(name):
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


CASES = [
    # (what is wrong, config text, topology text, words the message must contain)
    ("not JSON", '{"ports": [', TOPO, ["kairod.json", "line 1"]),
    ("unknown field", config(wokers=2), TOPO, ["kairod.json", "wokers", "unknown field"]),
    ("wrong type", config(workers="two"), TOPO, ["workers", "must be an integer"]),
    ("out of range", config(workers=99), TOPO, ["workers", "out of range"]),
    ("ring not power of two", config(slow_path={"upcall_ring_size": 1000}), TOPO,
     ["slow_path.upcall_ring_size", "power of two"]),
    ("bad role", config(ports=[{"name": "vm1", "device": "net_null0", "role": "core"}]), TOPO,
     ["ports[0].role", "core"]),
    ("duplicate port name", config(ports=[{"name": "vm1", "device": "net_null0"},
                                          {"name": "vm1", "device": "net_null1"}]), TOPO,
     ["ports[1].name", "duplicate"]),
    ("missing device", config(ports=[{"name": "vm1"}]), TOPO, ["ports[0].device", "missing"]),
    ("topology file missing", config(topology_file="nope.json"), TOPO, ["nope.json"]),
    ("binding to an unknown port", config(),
     json.dumps(bridge_topology(["p1"], {"p9": "vm1"})), ["topology.json", "bindings[0].port",
                                                          "p9"]),
    # A binding to an interface the config does not have is not refused: it waits for the
    # interface (tests/netns/test_ports_runtime.py).  A binding to an interior port is.
    ("binding to an interior port", config(),
     json.dumps({"bridges": [{"id": "b", "ports": [{"id": "bp", "peer": "rp"}]}],
                 "routers": [{"id": "r", "ports": [{"id": "rp", "address": "10.0.0.1",
                                                    "network": "10.0.0.0/24"}]}],
                 "bindings": [{"port": "bp", "interface": "vm1"}]}),
     ["bindings[0].port", "interior"]),
    ("duplicate object id", config(),
     json.dumps(bridge_topology(["br0"], {})), ["bridges[0].ports[0].id", "duplicate"]),
    # Ids are unique across kinds (topology/topology_ids.c keeps them all in one table).
    ("port id taken by a port of another bridge", config(),
     json.dumps({"bridges": [{"id": "b1", "ports": [{"id": "p1"}]},
                             {"id": "b2", "ports": [{"id": "p1"}]}]}),
     ["bridges[1].ports[0].id", 'duplicate id "p1"']),
    ("bridge id taken by a chain", config(),
     json.dumps({"bridges": [{"id": "c1"}], "chains": [{"id": "c1"}]}),
     ["bridges[0].id", 'duplicate id "c1"']),
    ("router port id taken by a bridge port", config(),
     json.dumps({"bridges": [{"id": "b1", "ports": [{"id": "p1"}]}],
                 "routers": [{"id": "r1", "ports": [{"id": "p1", "address": "10.0.1.1",
                                                     "network": "10.0.1.0/24"}]}]}),
     ["routers[0].ports[0].id", 'duplicate id "p1"']),
    ("port group id taken by a port", config(),
     json.dumps({"bridges": [{"id": "b1", "ports": [{"id": "p1"}]}],
                 "port_groups": [{"id": "p1", "ports": ["p1"]}]}),
     ["port_groups[0].id", 'duplicate id "p1"']),
    ("peer names a bridge, not a port", config(),
     json.dumps({"bridges": [{"id": "b1", "ports": [{"id": "p1", "peer": "b1"}]}]}),
     ["bridges[0].ports[0].peer", 'no port with id "b1"']),
    ("port group lists a bridge", config(),
     json.dumps({"bridges": [{"id": "b1", "ports": [{"id": "p1"}]}],
                 "port_groups": [{"id": "g1", "ports": ["p1", "b1"]}]}),
     ["port_groups[0].ports", 'no port with id "b1"']),
    ("interface bound twice", config(),
     json.dumps({"bridges": [{"id": "b", "ports": [{"id": "p1"}, {"id": "p2"}]}],
                 "bindings": [{"port": "p1", "interface": "vm1"},
                              {"port": "p2", "interface": "vm1"}]}),
     ["bindings[1].interface", "already bound"]),
    ("aging out of range", config(),
     json.dumps(bridge_topology(["p1"], {}, mac_aging_s=0)), ["mac_aging_s", "out of range"]),
]


@pytest.mark.parametrize("what,cfg,topo,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_anything_starts(tmp_path, what, cfg, topo, words):
    rc, out = run_kairod_once(tmp_path, cfg, topo)
    assert rc == 1, out
    for w in words:
        assert w in out, (w, out)
    # Refused before EAL: no DPDK banner, so no device was touched.
    assert "EAL:" not in out


def test_device_that_cannot_be_probed_stops_the_daemon_with_the_port_named(tmp_path):
    cfg = config(ports=[{"name": "vm1", "device": "net_nosuchdriver0"},
                        {"name": "vm2", "device": "net_null1"}])
    rc, out = run_kairod_once(tmp_path, cfg, TOPO)
    assert rc == 1, out
    assert 'port "vm1"' in out and "net_nosuchdriver0" in out


def test_a_pci_device_that_cannot_be_probed_is_refused_saying_what_it_needs(tmp_path):
    # The harness runs EAL with --no-pci, as for any configuration of virtual ports only; a
    # PCI address (a NIC, a VF) is still taken as a device, and the refusal says what a PCI
    # port needs (config/README.md, "PCI devices and VFs").
    cfg = config(ports=[{"name": "vf0", "device": "0000:ff:1f.7"},
                        {"name": "vm2", "device": "net_null1"}])
    rc, out = run_kairod_once(tmp_path, cfg, TOPO.replace('"vm1"', '"vf0"'))
    assert rc == 1, out
    assert 'kairod: port "vf0": device "0000:ff:1f.7" could not be probed: ' in out, out
    assert "bound to vfio-pci" in out and "without --no-pci" in out, out


def test_more_rx_queues_than_the_device_has_is_refused_and_creates_nothing(tmp_path):
    cfg = config(ports=[{"name": "vm1", "device": "net_tap9,iface=kbadq0", "rx_queues": 64},
                        {"name": "vm2", "device": "net_null1"}])
    rc, out = run_kairod_once(tmp_path, cfg, TOPO)
    assert rc == 1, out
    assert "ports[0].rx_queues" in out
    assert not link_exists("kbadq0")


def test_more_workers_than_lcores_is_refused(tmp_path):
    rc, out = run_kairod_once(tmp_path, config(workers=2), TOPO)
    assert rc == 1, out
    assert "workers" in out and "-l" in out


def test_check_config_accepts_the_shipped_configurations():
    from kairo_harness import ROOT
    for cfg in sorted((ROOT / "config").glob("*/kairod.json")):
        r = subprocess.run([str(KAIROD), "--", "--config", str(cfg), "--check-config"],
                           capture_output=True, text=True)
        assert r.returncode == 0, (cfg, r.stdout, r.stderr)


def test_usage_without_config_exits_2():
    r = subprocess.run([str(KAIROD)], capture_output=True, text=True)
    assert r.returncode == 2 and "--config" in r.stderr


def test_sigterm_stops_cleanly_and_prints_the_datapath_view(tmp_path):
    ports = [{"name": "vm1", "device": "net_null0,no-rx=1"},
             {"name": "vm2", "device": "net_null1,no-rx=1"}]
    kd = Kairod(tmp_path, ports, json.loads(TOPO))
    kd.start()
    final = kd.stop()
    assert "kairod: stopping" in kd.output and "Datapath kairo" in kd.output
    assert final["flows"] == 0 and len(final["ports"]) == 2
