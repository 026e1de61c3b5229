# SPDX-License-Identifier: Apache-2.0
"""kairoctl port add / port remove refused, and the config file's ports read again on SIGHUP.

Two net_pcap ports a and b on one bridge; a's capture goes through once at start.  Every
refused command is answered with what was wrong (DPDK's own words where DPDK refused) and
changes nothing: `show ports` reads the same before and after.
"""
import json
import os
import signal

import pytest
from scapy.all import Ether, IP, UDP

from kairo_harness import Kairod, KairoctlError, bridge_topology, wait_until, write_pcap

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (EAL)")


@pytest.fixture
def daemon(tmp_path):
    write_pcap(tmp_path / "in_a.pcap", [Ether(src="02:00:00:00:00:0a", dst="02:00:00:00:00:0b") /
                                        IP(src="10.0.0.1", dst="10.0.0.2") / UDP()] * 3)
    write_pcap(tmp_path / "in_b.pcap", [])
    ports = [{"name": n, "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
        i, tmp_path / ("in_%s.pcap" % n), tmp_path / ("out_%s.pcap" % n))}
        for i, n in enumerate("ab")]
    topo = bridge_topology(["pa", "pb", "pc"], {"pa": "a", "pb": "b", "pc": "c"})
    with Kairod(tmp_path / "kd", ports, topo) as kd:
        kd.wait_for(lambda s: s["ports"][1]["tx_packets"] == 3, what="a's frames out of b")
        yield kd


def ports_of(kd):
    return [(p["name"], p["id"], p["state"]) for p in kd.ctl("show", "ports")]


def refused(kd, *args):
    with pytest.raises(KairoctlError) as e:
        kd.ctl(*args)
    return e.value.stderr


def test_bad_port_commands_are_refused_and_change_nothing(daemon):
    kd = daemon
    before = ports_of(kd)
    assert before == [("a", 0, "bound"), ("b", 1, "bound"), ("c", None, "waiting")]
    cases = [
        # A driver DPDK does not have: rte_dev_probe's error, in DPDK's words.
        (["port", "add", "c", "net_nosuchdriver0"],
         'port "c": device "net_nosuchdriver0" could not be probed: '),
        (["port", "add", "b", "net_null0"], 'port "b": the name is in use (DPDK port 1'),
        (["port", "add", "c", kd.config["ports"][0]["device"]],
         'port "c": device "net_pcap0" is used by port "a"'),
        (["port", "remove", "nosuch"], 'no port "nosuch" (kairoctl show ports lists them)'),
        (["port", "add", "c", "net_null0", "role", "spine"], 'role "spine": vport or uplink'),
        (["port", "add", "c", "net_null0", "speed", "10"],
         '"speed": not an option of port add (role vport|uplink, rx-queues N, mtu N)'),
        (["port", "add", "c", "net_null0", "rx-queues", "0"],
         'rx-queues "0": a number from 1 to 64'),
        (["port", "add", "c", "net_null0", "mtu"], "mtu: missing value"),
        (["port", "add", "c"], "DEVARGS"),
    ]
    for args, says in cases:
        err = refused(kd, *args)
        assert says in err, (args, err)
        assert ports_of(kd) == before, args
    # DPDK's text itself: whatever rte_strerror says for the probe's error follows the colon.
    err = refused(kd, "port", "add", "c", "net_nosuchdriver0")
    assert err.split("could not be probed: ")[1].strip() != ""


def test_a_port_added_then_removed_leaves_no_trace_and_its_name_serves_again(daemon):
    kd = daemon
    before = ports_of(kd)
    added = kd.ctl("port", "add", "c", "net_null0")
    assert added["driver"] == "net_null" and added["id"] == 2
    row = [p for p in kd.ctl("show", "ports") if p["name"] == "c"][0]
    assert row["state"] == "bound" and row["binding"] == "pc"
    assert kd.ctl("port", "remove", "c") == {"name": "c", "removed": True}
    assert ports_of(kd) == before
    # The device was removed: the same devargs probe again, and DPDK gives the id back.
    assert kd.ctl("port", "add", "c", "net_null0")["id"] == 2
    text = kd.ctl("show", "ports", as_json=False).splitlines()
    assert text[0].split()[:8] == ["id", "name", "role", "driver", "socket", "link_up", "binding",
                                   "state"]
    assert kd.ctl("help", "port", "add", as_json=False).startswith(
        "usage: kairoctl port add NAME DEVARGS [OPTION...]")


def test_sighup_reads_the_config_files_ports_again(daemon):
    kd = daemon
    log = kd.log_path
    kd.config["ports"].append({"name": "c", "device": "net_null3", "rx_queues": 1})
    kd.write_files()
    kd.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "agent.Interface DETECT c" in log.read_text(), what="c added")
    row = [p for p in kd.ctl("show", "ports") if p["name"] == "c"][0]
    assert row["driver"] == "net_null" and row["state"] == "bound"
    # A field that is not a port takes effect at restart: said so, nothing else done.
    kd.config["ports"].pop()
    kd.config["worker_sleep_max_us"] = 150
    kd.write_files()
    kd.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "agent.Interface DELETE c" in log.read_text(), what="c removed")
    assert "fields other than ports changed: they take effect at restart" in log.read_text()
    assert [p["state"] for p in kd.ctl("show", "ports") if p["name"] == "c"] == ["waiting"]
    # A file that does not load changes nothing.
    (kd.dir / "kairod.json").write_text(json.dumps({"ports": "many"}))
    kd.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "ports not read again, they stay as they are" in log.read_text(),
               what="the bad file refused")
    assert [p["name"] for p in kd.ctl("show", "ports")] == ["a", "b", "c"]
