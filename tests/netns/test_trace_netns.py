# SPDX-License-Identifier: Apache-2.0
"""Packet tracing (mm-trace) through kairoctl, on real pings across the router.

The topology is test_router_netns.py's: vm1 and vm2 on bridge1, vm3 on bridge2, router r1
between.  A tracer matching vm1 -> vm3 echo requests with a limit of two traces exactly two of
three pings: every step of their walk is a line under the packet's cookie, their flows are not
cached while the tracer lives, and once it dies the third request installs its flow again.
"""
import collections
import os

import pytest

from kairo_harness import KairoctlError
from test_router_netns import ping, routed_vms  # noqa: F401 (the fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

REQUEST = ["--ip-src", "10.1.0.11", "--ip-dst", "10.2.0.13", "--ip-protocol", "1"]


def echo_request_flows(kd):
    return kd.ctl("dump", "flows", *REQUEST)


def lines_by_cookie(lines):
    packets = collections.OrderedDict()
    for line in lines:
        packets.setdefault(line["cookie"], []).append(line["text"])
    return packets


def test_a_tracer_traces_its_limit_of_packets_step_by_step_then_dies(routed_vms):  # noqa: F811
    kd, names = routed_vms
    assert ping(names, 1, "10.2.0.13").returncode == 0
    assert echo_request_flows(kd)["matched"] == 1

    added = kd.ctl("trace", "add", *REQUEST, "--limit", "2")
    assert added["tracer"] == "--debug --ip-src 10.1.0.11 --ip-dst 10.2.0.13 --ip-protocol 1 --limit 2"
    # Its packets must reach the simulation: the cached flow went with the tracer's arrival.
    assert echo_request_flows(kd)["matched"] == 0

    r = ping(names, 1, "10.2.0.13", count=3)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout

    packets = lines_by_cookie(kd.ctl("trace", "read")["lines"])
    assert len(packets) == 2, packets
    for cookie, steps in packets.items():
        assert steps[0].startswith("tracer %d: 98 bytes in on DPDK port" % added["id"])
        assert "flow miss" in steps[0] and "ip_dst=10.2.0.13" in steps[0]
        walk = steps[1:]
        expected = [
            "bridge bridge1: in through port b1p1",
            "bridge bridge1: destination is router port r1p1, linked through port b1p9",
            "out through port b1p9 to its peer r1p1",
            "router r1: in through port r1p1 (interior)",
            "router r1: route 10.2.0.0/24 via port r1p2 (normal, weight 100, connected)",
            "router r1: next hop 10.2.0.13 is at ",
            "out through port r1p2 to its peer b2p9",
            "bridge bridge2: in through port b2p9 (interior)",
            "bridge bridge2: destination learned on port b2p1",
            "out through port b2p1 to interface %s" % names[3],
        ]
        at = 0
        for want in expected:  # in this order, other lines may come between
            while at < len(walk) and not walk[at].startswith(want):
                at += 1
            assert at < len(walk), "no %r after the earlier steps in %s" % (want, steps)
        assert steps[-1].startswith("result: check(ttl>1,len<=1500),dec_ttl:1,set_eth_src:")
        assert steps[-1].endswith("(not cached: traced)")

    listed = kd.ctl("trace", "list")
    assert listed["tracers"] == [] and listed["tracers_expired"] == 1
    assert listed["packets_traced"] == 2
    # The tracer is gone: the third request was simulated untraced and its flow installed.
    assert echo_request_flows(kd)["matched"] == 1

    # The same lines are in the daemon's log, each under its cookie.
    log = kd.log_path.read_text()
    for cookie, steps in packets.items():
        assert "cookie:%s %s" % (cookie, steps[-1]) in log

    # Read back one packet's lines by its cookie, as grep would.
    first = next(iter(packets))
    one = kd.ctl("trace", "read", "--cookie", "cookie:" + first)["lines"]
    assert [l["text"] for l in one] == packets[first]


def test_trace_read_resumes_after_the_last_line_seen(routed_vms):  # noqa: F811
    kd, names = routed_vms
    kd.ctl("trace", "add", "--ip-dst", "10.2.0.13", "--ip-protocol", "1", "-t")
    assert ping(names, 1, "10.2.0.13").returncode == 0
    first = kd.ctl("trace", "read")
    assert first["lines"] and first["last"] == first["lines"][-1]["seq"]
    # The trace level adds the headers at each device and the flow's tags.
    texts = [l["text"] for l in first["lines"]]
    assert any(t.startswith("  headers: in_port=") for t in texts)
    assert any(t.startswith("  tag 0x") for t in texts)
    assert kd.ctl("trace", "read", "--since", str(first["last"]))["lines"] == []
    assert ping(names, 1, "10.2.0.13").returncode == 0
    later = kd.ctl("trace", "read", "--since", str(first["last"]))["lines"]
    assert later and all(l["seq"] > first["last"] for l in later)
    assert kd.ctl("trace", "flush")["removed"] == 1


def test_tracers_are_removed_by_their_options_and_bad_ones_are_refused(routed_vms):  # noqa: F811
    kd, _ = routed_vms
    kd.ctl("trace", "add", "--ip-dst", "10.2.0.13", "--dst-port", "80")
    kd.ctl("trace", "add", "--mac-src", "02:00:00:00:00:01", "-l", "5")
    with pytest.raises(KairoctlError) as e:
        kd.ctl("trace", "add", "--ip-dst", "10.2.0.13", "--dst-port", "80")
    assert e.value.returncode == 1 and "already there" in e.value.stderr
    for bad, says in ((["--ip-dst", "10.2.0"], "--ip-dst: \"10.2.0\" is not an IPv4 or IPv6"),
                      (["--mac-src", "02:00:00"], "--mac-src"),
                      (["--dst-port", "70000"], "--dst-port"),
                      (["--limit", "0"], "--limit")):
        with pytest.raises(KairoctlError) as e:
            kd.ctl("trace", "add", *bad)
        assert e.value.returncode == 1 and says in e.value.stderr, e.value.stderr
    # Nothing half-added by the refusals.
    listed = kd.ctl("trace", "list", as_json=False)
    assert listed.splitlines() == [
        "tracer 1: --debug --ip-dst 10.2.0.13 --dst-port 80  (matched 0)",
        "tracer 2: --debug --mac-src 02:00:00:00:00:01 --limit 5  (matched 0)",
    ]
    assert kd.ctl("trace", "remove", "--ip-dst", "10.2.0.13", "--dst-port", "80")["removed"] == 1
    assert kd.ctl("trace", "remove", "--id", "2")["removed"] == 1
    assert kd.ctl("trace", "list")["tracers"] == []
