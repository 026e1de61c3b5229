# SPDX-License-Identifier: Apache-2.0
"""Topology editing through kairoctl in the midonet-cli grammar, and what the daemon then does.

The daemon starts with an empty topology and two tap interfaces, each moved into a network
namespace with its own kernel (vm1 10.1.0.11, vm2 10.2.0.12).  Everything else is built with
kairoctl only: two bridges, a router between them, the peer links, the bindings to the
interfaces, a chain with a metered rule on the router.  Then the VMs ping each other and the
flows, port counters, meters and trace lines kairoctl reports are checked against the pings.

Bad input: unknown words, bad addresses and CIDRs, aliases that name nothing, dangling
references.  A refused command leaves the topology file byte for byte as it was, the aliases
as they were, and forwarding as it was.
"""
import json
import os
import subprocess
import time

import pytest

from kairo_harness import KAIROCTL, Kairod, KairoctlError

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

VMS = {1: ("10.1.0.11", "10.1.0.1"), 2: ("10.2.0.12", "10.2.0.1")}


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def ctl_fail(kd, *words):
    """Run kairoctl expecting a refusal: (exit code, stderr)."""
    r = subprocess.run([str(KAIROCTL), "--socket", kd.socket] + list(words),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0, r.stdout
    return r.returncode, r.stderr


def made(kd, *words):
    """An edit that makes something: the alias it prints."""
    out = kd.ctl(*words, as_json=False).split()
    assert len(out) == 1, out
    return out[0]


def topo_version(kd):
    return kd.ctl("show", "datapath")["slow_path"]["topo_version"]


def settle(kd, timeout=10):
    """Wait until the daemon runs the store's last document (its version stops moving)."""
    deadline = time.monotonic() + timeout
    last = topo_version(kd)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = topo_version(kd)
        if now == last:
            return now
        last = now
    raise AssertionError("topology version still moving")


@pytest.fixture
def vms(tmp_path):
    tag = "t%d" % (os.getpid() % 1000)
    names = {i: "k%s%d" % (tag, i) for i in VMS}
    ports = [{"name": "vm%d" % i, "device": "net_tap%d,iface=%s" % (i, names[i])} for i in VMS]
    kd = Kairod(tmp_path, ports, {"bridges": []})
    kd.start()
    try:
        for i, (addr, gw) in VMS.items():
            n = names[i]
            sh("ip", "netns", "del", n, check=False)
            sh("ip", "netns", "add", n)
            sh("ip", "link", "set", n, "netns", n)
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "-n", n, "link", "set", "lo", "up")
            sh("ip", "-n", n, "addr", "add", addr + "/24", "dev", n)
            sh("ip", "-n", n, "link", "set", n, "up")
            sh("ip", "-n", n, "route", "add", "default", "via", gw)
        yield kd, names
    finally:
        for n in names.values():
            sh("ip", "netns", "del", n, check=False)
        kd.stop()


def ping(names, src, dst, count=1):
    return sh("ip", "netns", "exec", names[src], "ping", "-c", str(count), "-i", "0.2", "-W",
              "2", dst, check=False)


def build(kd):
    """The whole topology, through kairoctl only; returns the ids the checks need."""
    assert made(kd, "bridge", "create", "name", "left") == "bridge0"
    assert made(kd, "bridge", "create", "name", "right") == "bridge1"
    assert made(kd, "bridge", "bridge0", "add", "port") == "bridge0:port0"
    assert made(kd, "bridge", "bridge0", "add", "port") == "bridge0:port1"
    assert made(kd, "bridge", "bridge1", "add", "port") == "bridge1:port0"
    assert made(kd, "bridge", "bridge1", "add", "port") == "bridge1:port1"
    assert made(kd, "router", "create", "name", "edge") == "router0"
    assert made(kd, "router", "router0", "add", "port", "address", "10.1.0.1", "net",
                "10.1.0.0/24") == "router0:port0"
    assert made(kd, "router", "router0", "add", "port", "address", "10.2.0.1", "net",
                "10.2.0.0/24") == "router0:port1"
    kd.ctl("router", "router0", "port", "port0", "set", "peer", "bridge0:port1", as_json=False)
    kd.ctl("bridge", "bridge1", "port", "port1", "set", "peer", "router0:port1", as_json=False)
    kd.ctl("host", "host0", "add", "binding", "port", "bridge0:port0", "interface", "vm1",
           as_json=False)
    # The guide's other word order.
    kd.ctl("host", "host0", "binding", "add", "interface", "vm2", "port", "bridge1:port0",
           as_json=False)
    assert made(kd, "chain", "create", "name", "edge-in") == "chain0"
    assert made(kd, "chain", "chain0", "add", "rule", "ethertype", "2048", "proto", "1",
                "type", "accept", "meter", "icmp-in") == "chain0:rule0"
    assert made(kd, "chain", "chain0", "add", "rule", "proto", "17", "dst-port", "9",
                "pos", "1", "type", "drop") == "chain0:rule1"
    kd.ctl("router", "router0", "set", "infilter", "chain0", as_json=False)
    ids = {}
    for b in ("bridge0", "bridge1"):
        for p in kd.ctl("bridge", b, "list", "port")["objects"]:
            ids["%s:%s" % (b, p["alias"])] = p["id"]
    ids["router0"] = kd.ctl("list", "router")["objects"][0]["id"]
    return ids


def meter(kd, name):
    return kd.ctl("meter", "get", name)[0]


def test_a_topology_built_with_kairoctl_forwards_and_reports_what_went_through(vms):
    kd, names = vms
    ids = build(kd)
    settle(kd)
    # What the operator reads back is what was asked for, in midonet-cli's words.
    assert kd.ctl("list", "bridge", as_json=False).splitlines() == [
        "bridge bridge0 name left state up", "bridge bridge1 name right state up"]
    assert kd.ctl("router", "router0", "list", "port", as_json=False).splitlines() == [
        "port port0 device router0 state up address 10.1.0.1 net 10.1.0.0/24 "
        "peer bridge0:port1",
        "port port1 device router0 state up address 10.2.0.1 net 10.2.0.0/24 "
        "peer bridge1:port1"]
    assert kd.ctl("chain", "chain0", "list", "rule", as_json=False).splitlines() == [
        "rule rule1 proto 17 dst-port 9 pos 1 type drop",
        "rule rule0 ethertype 2048 proto 1 pos 2 type accept meter icmp-in"]
    assert kd.ctl("host", "host0", "list", "binding", as_json=False).splitlines() == [
        "host host0 interface vm1 port bridge0:port0",
        "host host0 interface vm2 port bridge1:port0"]
    assert kd.ctl("list", "router", as_json=False).strip() == \
        "router router0 name edge state up infilter chain0"

    # The first ping resolves the VMs' and the router's neighbours; then count exactly.
    r = ping(names, 1, "10.2.0.12", count=3)
    assert r.returncode == 0, r.stdout + r.stderr
    rx1 = meter(kd, "port:rx:" + ids["bridge0:port0"])
    tx2 = meter(kd, "port:tx:" + ids["bridge1:port0"])
    icmp = meter(kd, "icmp-in")
    router = meter(kd, "device:" + ids["router0"])
    ports = {p["name"]: p for p in kd.ctl("show", "ports")}
    n = 5
    r = ping(names, 1, "10.2.0.12", count=n)
    assert r.returncode == 0 and "%d received" % n in r.stdout, r.stdout
    # Requests and replies both enter the router and pass its chain's metered rule.
    deadline = time.monotonic() + 5
    while meter(kd, "icmp-in")["packets"] < icmp["packets"] + 2 * n and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    after = meter(kd, "icmp-in")
    assert after["packets"] == icmp["packets"] + 2 * n
    # 98-byte echo frames, both ways.
    assert after["bytes"] == icmp["bytes"] + 2 * n * 98
    assert meter(kd, "device:" + ids["router0"])["packets"] >= router["packets"] + 2 * n
    # vm1's port took the requests (and maybe an ARP refresh), vm2's port let them out.
    got_rx = meter(kd, "port:rx:" + ids["bridge0:port0"])["packets"] - rx1["packets"]
    got_tx = meter(kd, "port:tx:" + ids["bridge1:port0"])["packets"] - tx2["packets"]
    assert n <= got_rx <= n + 2 and n <= got_tx <= n + 2, (got_rx, got_tx)
    ports_after = {p["name"]: p for p in kd.ctl("show", "ports")}
    assert ports_after["vm1"]["rx_packets"] - ports["vm1"]["rx_packets"] == got_rx
    assert ports_after["vm2"]["tx_packets"] - ports["vm2"]["tx_packets"] >= n

    # The echo requests' flows (one per ping run: the echo id is in the key): routed, and
    # the last run's hit by every request after its first.
    flows = kd.ctl("dump", "flows", "--ip-src", "10.1.0.11", "--ip-dst", "10.2.0.12",
                   "--ip-protocol", "1")
    assert flows["matched"] == 2
    assert max(f["packets"] for f in flows["flows"]) == n - 1
    assert all("dec_ttl:1" in f["actions"] for f in flows["flows"])

    # A traced ping names the devices, the chain and the rule it went through.
    kd.ctl("trace", "add", "--ip-dst", "10.2.0.12", "--ip-protocol", "1", "-l", "1")
    assert ping(names, 1, "10.2.0.12").returncode == 0
    text = kd.ctl("trace", "read", as_json=False)
    assert "bridge left: in through port" in text
    assert "router edge: in through port" in text
    assert "chain edge-in: rule 2" in text and "(accept) matched" in text
    assert "to interface vm2" in text


def test_a_floating_ip_added_with_kairoctl_translates_the_traffic(vms):
    kd, names = vms
    build(kd)
    # The guide's floating IP for vm2: dnat in the router's pre-routing chain, snat in a
    # post-routing chain made for it; vm1 pings the public address and is answered from it.
    fip = "192.0.2.12"
    assert made(kd, "chain", "chain0", "add", "rule", "dst", fip, "pos", "1", "type", "dnat",
                "action", "accept", "target", "10.2.0.12") == "chain0:rule2"
    assert made(kd, "chain", "create", "name", "edge-out") == "chain1"
    assert made(kd, "chain", "chain1", "add", "rule", "src", "10.2.0.12", "type", "snat",
                "action", "accept", "target", fip) == "chain1:rule0"
    kd.ctl("router", "router0", "set", "outfilter", "chain1", as_json=False)
    settle(kd)
    r = ping(names, 1, fip, count=3)
    assert r.returncode == 0 and "3 received" in r.stdout and "from %s" % fip in r.stdout, \
        r.stdout + r.stderr
    there = kd.ctl("dump", "flows", "--ip-src", "10.1.0.11", "--ip-dst", fip)
    assert there["matched"] == 1
    assert "set_ipv4_dst:10.2.0.12" in there["flows"][0]["actions"]
    back = kd.ctl("dump", "flows", "--ip-src", "10.2.0.12", "--ip-dst", "10.1.0.11")
    assert back["matched"] == 1 and "set_ipv4_src:%s" % fip in back["flows"][0]["actions"]
    assert kd.ctl("show", "datapath")["slow_path"]["nat_static"] >= 2


def test_refused_edits_change_nothing_and_say_what_and_where(vms):
    kd, names = vms
    build(kd)
    version = settle(kd)
    assert ping(names, 1, "10.2.0.12", count=2).returncode == 0
    doc = (kd.dir / "topology.json").read_bytes()
    refused = [
        (["topo", "frob"], "\"frob\": unknown command"),
        (["bridge", "bridge0", "frob"], "bridge bridge0 \"frob\""),
        (["bridge", "bridge9", "add", "port"], "bridge \"bridge9\": no such bridge"),
        (["router", "router0", "port", "port7", "set", "state", "down"],
         "port \"port7\": no such port"),
        (["router", "router0", "add", "port", "address", "10.3.0.300", "net", "10.3.0.0/24"],
         "address \"10.3.0.300\": not an IPv4 address"),
        (["router", "router0", "add", "port", "address", "10.3.0.1", "net", "10.3.0.0/33"],
         "net \"10.3.0.0/33\": not an IPv4 CIDR"),
        (["router", "router0", "add", "port", "address", "10.3.0.1", "net", "10.4.0.0/24"],
         "address: not inside the port's network"),
        (["router", "router0", "add", "route", "dst", "10.9.0.0/16", "gw", "10.1.0.400"],
         "gw \"10.1.0.400\""),
        (["router", "router0", "add", "route", "dst", "10.9.0.0/16", "port", "bridge0:port0"],
         "is not a port of router"),
        (["chain", "chain0", "add", "rule", "src", "10.0.0.0/8"], "type missing"),
        (["chain", "chain0", "add", "rule", "hw-src", "02:00:00", "type", "drop"],
         "hw-src \"02:00:00\": not a MAC address"),
        (["chain", "chain0", "add", "rule", "in-ports", "bridge0:port9", "type", "drop"],
         "port \"bridge0:port9\": no such port"),
        (["chain", "chain0", "add", "rule", "type", "jump", "jump-to", "chain5"],
         "chain \"chain5\": no such chain"),
        # Dangling: the router's inbound filter still names the chain.
        (["chain", "chain0", "delete"], "inbound_filter: no chain with id"),
        # Bound twice: the loader names the binding.
        (["host", "host0", "add", "binding", "port", "bridge0:port1", "interface", "vm1"],
         "bindings[2]"),
        (["host", "host0", "add", "binding", "port", "bridge1:port1", "interface", "vm2"],
         "is interior"),
        (["bridge", "create", "name", "x", "state", "sideways"], "state \"sideways\""),
    ]
    for words, says in refused:
        code, err = ctl_fail(kd, *words)
        assert code == 1 and says in err, (words, err)
    assert (kd.dir / "topology.json").read_bytes() == doc
    time.sleep(0.3)
    assert topo_version(kd) == version
    assert ping(names, 1, "10.2.0.12", count=2).returncode == 0
    # The refused create took no alias: the next bridge is still bridge2.
    assert made(kd, "bridge", "create", "name", "third") == "bridge2"
    # kairoctl's own usage errors say so with exit status 2.
    r = subprocess.run([str(KAIROCTL), "--socket", kd.socket, "frobnicate"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "unknown command" in r.stderr


def test_edits_apply_at_once_and_deleted_aliases_are_not_reused(vms):
    kd, names = vms
    ids = build(kd)
    settle(kd)
    assert ping(names, 1, "10.2.0.12").returncode == 0
    # Admin state down on vm2's port: pings stop; up again: they pass.
    kd.ctl("bridge", "bridge1", "port", "port0", "set", "state", "down", as_json=False)
    settle(kd)
    assert ping(names, 1, "10.2.0.12").returncode != 0
    kd.ctl("bridge", "bridge1", "port", "port0", "set", "state", "up", as_json=False)
    settle(kd)
    assert ping(names, 1, "10.2.0.12").returncode == 0
    # A drop rule in front of the accept: ICMP stops at the router.
    assert made(kd, "chain", "chain0", "add", "rule", "proto", "1", "pos", "1", "type",
                "drop") == "chain0:rule2"
    settle(kd)
    assert ping(names, 1, "10.2.0.12").returncode != 0
    kd.ctl("chain", "chain0", "delete", "rule", "rule2", as_json=False)
    settle(kd)
    assert ping(names, 1, "10.2.0.12").returncode == 0
    # rule2 is gone for good: the next rule is rule3, and rule2 names nothing.
    assert made(kd, "chain", "chain0", "add", "rule", "proto", "6", "type", "drop") == \
        "chain0:rule3"
    code, err = ctl_fail(kd, "chain", "chain0", "delete", "rule", "rule2")
    assert "rule \"rule2\": no such rule" in err
    # A new port bound to an interface the daemon does not have (yet): the binding waits.
    assert made(kd, "bridge", "bridge0", "add", "port") == "bridge0:port2"
    kd.ctl("host", "host0", "add", "binding", "port", "bridge0:port2", "interface", "eth7",
           as_json=False)
    settle(kd)
    assert "interface eth7 port bridge0:port2 waiting" in kd.ctl(
        "host", "host0", "list", "binding", as_json=False)
    # One binding per interface, whether it is here or not.
    assert made(kd, "bridge", "bridge0", "add", "port") == "bridge0:port3"
    code, err = ctl_fail(kd, "host", "host0", "add", "binding", "port", "bridge0:port3",
                         "interface", "eth7")
    assert "interface \"eth7\" is already bound to port" in err
    # Objects are named by id as well as by alias.
    bridge0 = kd.ctl("list", "bridge")["objects"][0]["id"]
    assert kd.ctl("show", "bridge", bridge0, as_json=False).startswith(
        "bridge bridge0 name left")
    assert kd.ctl("bridge", bridge0, "port", ids["bridge0:port0"], "show",
                  as_json=False).startswith("port port0 device bridge0 state up")


def test_port_groups_tunnel_zones_hosts_and_nat_rules_are_written_to_the_document(vms):
    kd, _ = vms
    build(kd)
    assert made(kd, "port-group", "create", "name", "uplinks", "stateful", "true") == "pgroup0"
    kd.ctl("port-group", "pgroup0", "add", "member", "port", "router0:port0", as_json=False)
    assert kd.ctl("port-group", "pgroup0", "list", "member", as_json=False).strip() == \
        "port-group pgroup0 port router0:port0"
    assert made(kd, "host", "create", "name", "compute-2", "id", "host-b") == "host1"
    assert made(kd, "tunnel-zone", "create", "name", "tz", "type", "vxlan") == "tzone0"
    kd.ctl("tunnel-zone", "tzone0", "add", "member", "host", "host1", "address",
           "192.168.50.2", as_json=False)
    assert kd.ctl("list", "tunnel-zone", as_json=False).strip() == "tzone tzone0 name tz type vxlan"
    assert kd.ctl("tunnel-zone", "tzone0", "list", "member", as_json=False).strip() == \
        "zone tzone0 host host1 address 192.168.50.2"
    # The guide's floating IP: dnat in pre-routing, rev_dnat... as the chain list shows them.
    assert made(kd, "chain", "create", "name", "dnat-test") == "chain1"
    assert made(kd, "chain", "chain1", "add", "rule", "dst", "198.51.100.4", "in-ports",
                "router0:port0", "pos", "1", "type", "dnat", "action", "accept", "target",
                "10.2.0.12") == "chain1:rule0"
    assert made(kd, "chain", "chain1", "add", "rule", "src", "10.2.0.0/24", "type", "snat",
                "action", "accept", "target", "198.51.100.10-198.51.100.11:1024-65535") == \
        "chain1:rule1"
    assert kd.ctl("chain", "chain1", "list", "rule", as_json=False).splitlines() == [
        "rule rule0 dst 198.51.100.4 in-ports router0:port0 pos 1 type dnat action accept "
        "target 10.2.0.12",
        "rule rule1 src 10.2.0.0/24 pos 2 type snat action accept "
        "target 198.51.100.10-198.51.100.11:1024-65535"]
    doc = json.loads((kd.dir / "topology.json").read_text())
    rules = doc["chains"][1]["rules"]
    assert rules[0]["nat_targets"] == [{"addr_from": "10.2.0.12", "addr_to": "10.2.0.12",
                                        "port_from": 0, "port_to": 0}]
    assert rules[1]["nat_targets"] == [{"addr_from": "198.51.100.10",
                                        "addr_to": "198.51.100.11",
                                        "port_from": 1024, "port_to": 65535}]
    assert rules[0]["in-ports"] == doc["routers"][0]["ports"][0]["id"]
    code, err = ctl_fail(kd, "chain", "chain1", "add", "rule", "type", "dnat", "action",
                         "accept", "target", "10.0.0.9-10.0.0.1")
    assert "target \"10.0.0.9-10.0.0.1\"" in err
