# SPDX-License-Identifier: Apache-2.0
"""kairoctl flow explain: how a cached flow was decided, read back after its packets went.

The NAT namespace test's tenant router (test_nat_netns.py): vm1 pings the outside through
bridge1, router r1 (whose post-routing chain masquerades it to r1p2's address) and bridge2.
The echo request's flow is explained: every device and port it crossed in order, the rule
that translated it, the route r1 chose, the neighbour and MAC entries it is sent by, its NAT
binding, the meters, the topology version it was decided against.  A route added to r1 then
removes it (it read r1's routes): the removed flow's explanation says it no longer stands, and
why.
"""
import copy
import os

import pytest

from kairo_harness import KairoctlError
from test_nat_netns import EXT, ROUTER_OUT, nat_hosts, ping, sh, topology  # noqa: F401

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

VM1 = "10.1.0.11"
MATCH = ("--ip-src", VM1, "--ip-dst", EXT, "--ip-protocol", "1")


def mac_of(ns, iface):
    return sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/%s/address" % iface).stdout.strip()


def explain(kd, *match):
    return kd.ctl("flow", "explain", *match)


def test_a_masqueraded_ping_flow_is_explained_then_a_route_change_makes_it_stale(nat_hosts):
    kd, names = nat_hosts
    # The first echo request waits for r1 to resolve the outside; the next ones are cached.
    r = ping(names, "vm1", EXT, count=3)
    assert " 0% packet loss" in r.stdout, r.stdout + r.stderr
    got = explain(kd, *MATCH)
    assert got["matched"] >= 1 and got["removed"] == [], got
    f = got["flows"][0]
    version = kd.stats()["slow_path"]["topo_version"]
    assert f["decided_at_version"] == f["version_in_use"] == version
    assert f["still_valid"] is True and "in use" in f["why"]
    walk = f["walk"]
    expected = [
        "bridge bridge1: in through port b1p1",
        "router r1: in through port r1p1 (interior)",
        "chain pre: no rule decided: accept",
        "router r1: route 198.51.100.0/24 via port r1p2",
        "chain post: rule 2 (snat) matched",
        "bridge bridge2: in through port b2p9 (interior)",
    ]
    at = 0
    for want in expected:
        hits = [i for i, line in enumerate(walk) if line.startswith(want) and i >= at]
        assert hits, "%r not at or after step %d of %s" % (want, at, walk)
        at = hits[0]
    assert f["walk_truncated"] is False
    ext_mac = mac_of(names["ext"], names["ext"]).upper()  # as kairod writes MACs
    # The entries it is sent by: r1's neighbour for the outside, bridge2's MAC for it.
    assert {"router": "r1", "address": EXT, "mac": ext_mac} in f["neighbours"], f
    # The MACs it depends on: the VM's where bridge1 learned it, the outside's where bridge2 did.
    vm1_mac = mac_of(names["vm1"], names["vm1"]).upper()
    assert {"bridge": "bridge2", "mac": ext_mac, "port": "b2p1"} in f["macs"], f
    assert {"bridge": "bridge1", "mac": vm1_mac, "port": "b1p1"} in f["macs"], f
    assert f["mac_learned"] in (None, {"bridge": "bridge1", "mac": vm1_mac, "port": "b1p1"}), f
    # Its masquerade binding: the VM's echo identifier to one of the router address's.
    assert len(f["nat"]) == 1 and f["nat"][0].startswith("%s:" % VM1), f
    assert " -> %s:" % ROUTER_OUT in f["nat"][0], f
    assert "port:rx:b1p1" in f["meters"] and "device:r1" in f["meters"], f
    text = kd.ctl("flow", "explain", *MATCH, as_json=False)
    assert "chain post: rule 2 (snat) matched" in text and "still valid" in text, text

    # A route added to r1: the flow read r1's routes, so it went, and explain says why.
    topo = copy.deepcopy(topology(names))
    topo["routers"][0]["routes"] = [{"dst": "203.0.113.0/24", "port": "r1p2", "gateway": EXT}]
    kd.reload(topo)
    got = explain(kd, *MATCH)
    assert got["matched"] == 0 and got["flows"] == [], got
    assert got["removed"], got
    r = got["removed"][0]
    assert r["still_valid"] is False
    assert r["decided_at_version"] == version and r["removed_at_version"] > version
    assert r["why"] == "router r1 changed (its ports or routes)", r
    assert "chain post: rule 2 (snat) matched" in r["walk"], r
    text = kd.ctl("flow", "explain", *MATCH, as_json=False)
    assert "removed" in text and "router r1 changed" in text, text
    # Pinged again, the flow is decided anew against the version in use.
    r = ping(names, "vm1", EXT, count=3)
    assert " 0% packet loss" in r.stdout, r.stdout + r.stderr
    f = explain(kd, *MATCH)["flows"][0]
    assert f["decided_at_version"] == f["version_in_use"] > version


def test_explain_of_nothing_says_so_and_a_bad_match_is_refused(nat_hosts):
    kd, names = nat_hosts
    assert explain(kd, "--ip-src", "192.0.2.99") == {"flows": [], "matched": 0, "removed": []}
    text = kd.ctl("flow", "explain", "--ip-src", "192.0.2.99", as_json=False)
    assert "no flow matched" in text, text
    with pytest.raises(KairoctlError) as e:
        kd.ctl("flow", "explain", "--ip-src", "not-an-address")
    assert "ip-src" in str(e.value), str(e.value)
