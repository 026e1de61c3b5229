# SPDX-License-Identifier: Apache-2.0
"""Three VMs on two bridges behind one router, pinging across subnets through kairod.

    vm1 10.1.0.11 --+                                   +-- vm3 10.2.0.13
                    bridge1 -- r1p1 10.1.0.1  router  r1p2 10.2.0.1 -- bridge2
    vm2 10.1.0.12 --+

The VMs are network namespaces with their own kernel IP stacks: they ARP for their gateway,
the router ARPs for them, and everything a ping needs is answered by kairod's simulation or by
the kernels at the ends.
"""
import copy
import os
import signal
import subprocess
import time

import pytest

from kairo_harness import Kairod, flows_matching

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

VMS = {  # name suffix: (address, gateway, bridge port)
    1: ("10.1.0.11", "10.1.0.1", "b1p1"),
    2: ("10.1.0.12", "10.1.0.1", "b1p2"),
    3: ("10.2.0.13", "10.2.0.1", "b2p1"),
}


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def topology(names, r1p2_up=True, ipv6=False):
    topo = {
        "bridges": [
            {"id": "bridge1", "ports": [{"id": "b1p1"}, {"id": "b1p2"},
                                        {"id": "b1p9", "peer": "r1p1"}]},
            {"id": "bridge2", "ports": [{"id": "b2p1"}, {"id": "b2p9", "peer": "r1p2"}]},
        ],
        "routers": [{"id": "r1", "ports": [
            {"id": "r1p1", "address": "10.1.0.1", "network": "10.1.0.0/24"},
            {"id": "r1p2", "address": "10.2.0.1", "network": "10.2.0.0/24",
             "admin_state_up": r1p2_up}]}],
        "bindings": [{"port": VMS[i][2], "interface": names[i]} for i in VMS],
    }
    if ipv6:
        for port, net in zip(topo["routers"][0]["ports"], ("2001:db8:1", "2001:db8:2")):
            port.update(address6=net + "::1", network6=net + "::/64")
    return topo


@pytest.fixture
def routed_vms(tmp_path):
    tag = "r%d" % (os.getpid() % 1000)
    names = {i: "k%s%d" % (tag, i) for i in VMS}
    ports = [{"name": names[i], "device": "net_tap%d,iface=%s" % (i, names[i])} for i in VMS]
    kd = Kairod(tmp_path, ports, topology(names))
    kd.start()
    try:
        for i, (addr, gw, _) in VMS.items():
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


VMS6 = {  # name suffix: (address, gateway)
    1: ("2001:db8:1::11", "2001:db8:1::1"),
    2: ("2001:db8:1::12", "2001:db8:1::1"),
    3: ("2001:db8:2::13", "2001:db8:2::1"),
}


@pytest.fixture
def routed_vms6(tmp_path):
    """The same VMs speaking IPv6 only; nodad addresses, so they are usable at once."""
    tag = "s%d" % (os.getpid() % 1000)
    names = {i: "k%s%d" % (tag, i) for i in VMS}
    ports = [{"name": names[i], "device": "net_tap%d,iface=%s" % (i, names[i])} for i in VMS]
    kd = Kairod(tmp_path, ports, topology(names, ipv6=True))
    kd.start()
    try:
        for i, (addr, gw) in VMS6.items():
            n = names[i]
            sh("ip", "netns", "del", n, check=False)
            sh("ip", "netns", "add", n)
            sh("ip", "link", "set", n, "netns", n)
            sh("ip", "-n", n, "link", "set", "lo", "up")
            sh("ip", "-n", n, "-6", "addr", "add", addr + "/64", "dev", n, "nodad")
            sh("ip", "-n", n, "link", "set", n, "up")
            sh("ip", "-n", n, "-6", "route", "add", "default", "via", gw)
        yield kd, names
    finally:
        for n in names.values():
            sh("ip", "netns", "del", n, check=False)
        kd.stop()


def ping(names, src, dst, count=1, ttl=None):
    cmd = ["ip", "netns", "exec", names[src], "ping", "-c", str(count), "-i", "0.2", "-W", "2"]
    if ":" in dst:
        cmd.append("-6")
    if ttl:
        cmd += ["-t", str(ttl)]
    return sh(*cmd, dst, check=False)


def routed_echo_flows(stats):
    return [f for f in flows_matching(stats, proto=1, icmp_type=8) if "dec_ttl" in f["actions"]]


def test_vms_on_two_subnets_ping_through_the_router_and_repeats_hit_the_cache(routed_vms):
    kd, names = routed_vms
    for src, dst in ((1, "10.2.0.13"), (3, "10.1.0.12"), (2, "10.2.0.13"), (1, "10.1.0.12"),
                     (1, "10.1.0.1"), (3, "10.1.0.1")):
        r = ping(names, src, dst)
        assert r.returncode == 0, (src, dst, r.stdout, r.stderr)
    before = kd.stats()
    r = ping(names, 1, "10.2.0.13", count=4)
    assert r.returncode == 0, r.stdout
    after = kd.stats()
    # A new session (echo identifier) misses once each way; its three repeats crossed the
    # router in the fast path, on the flow whose own actions rewrite the MACs and lower the TTL.
    assert after["misses"] >= before["misses"] + 2
    flow = [f for f in routed_echo_flows(after) if "ip_dst=10.2.0.13" in f["match"] and
            "ip_src=10.1.0.11" in f["match"]]
    assert len(flow) == 2 and max(f["packets"] for f in flow) == 3
    assert flow[0]["actions"].startswith("check(ttl>1,len<=1500),dec_ttl:1,set_eth_src:")
    assert after["slow_path"]["arp_replies"] >= 1      # a VM asked for its gateway
    assert after["slow_path"]["arp_resolved"] >= 3     # the router learned all three VMs


def test_ttl_one_across_the_router_gets_time_exceeded_from_the_gateway(routed_vms):
    kd, names = routed_vms
    assert ping(names, 1, "10.2.0.13").returncode == 0
    r = ping(names, 1, "10.2.0.13", ttl=1)
    assert r.returncode != 0
    assert "10.1.0.1" in r.stdout and "Time to live exceeded" in r.stdout
    assert kd.stats()["drops"]["ttl_expired"] == 1


def test_a_router_port_going_down_invalidates_exactly_the_flows_through_it(routed_vms):
    kd, names = routed_vms
    assert ping(names, 1, "10.2.0.13").returncode == 0
    assert ping(names, 1, "10.1.0.12").returncode == 0
    before = kd.stats()
    same_bridge = [f for f in flows_matching(before, proto=1, icmp_type=8)
                   if "ip_dst=10.1.0.12" in f["match"]]
    assert routed_echo_flows(before) and same_bridge

    down = kd.reload(topology(names, r1p2_up=False))
    # The routed flows are gone; the flow between vm1 and vm2 (same bridge) is untouched.
    assert routed_echo_flows(down) == []
    assert [f["match"] for f in flows_matching(down, proto=1, icmp_type=8)
            if "ip_dst=10.1.0.12" in f["match"]] == [f["match"] for f in same_bridge]
    assert down["slow_path"]["topo_last_invalidated"] >= 2
    assert ping(names, 1, "10.2.0.13").returncode != 0

    kd.reload(topology(names))
    assert ping(names, 1, "10.2.0.13").returncode == 0


def test_a_bad_topology_on_reload_changes_nothing(routed_vms):
    kd, names = routed_vms
    assert ping(names, 1, "10.2.0.13").returncode == 0
    version = kd.stats()["slow_path"]["topo_version"]
    bad = copy.deepcopy(topology(names))
    bad["routers"][0]["ports"][0]["address"] = "10.9.9.9"   # outside its network
    kd.topology = bad
    kd.write_files()
    kd.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while "topology not reloaded" not in kd.log_path.read_text():
        assert time.monotonic() < deadline, kd.log_path.read_text()
        time.sleep(0.05)
    stats = kd.stats()
    assert stats["slow_path"]["topo_version"] == version
    assert "topology not reloaded" in kd.log_path.read_text()
    assert ping(names, 1, "10.2.0.13").returncode == 0


def routed_echo6_flows(stats, src, dst):
    return [f for f in flows_matching(stats, proto=58, icmp_type=128, ip_src=src, ip_dst=dst)
            if "dec_hop_limit" in f["actions"]]


def test_vms_ping6_across_the_router_and_repeats_hit_the_cache(routed_vms6):
    kd, names = routed_vms6
    # The kernels solicit their gateway, the router solicits them: both sides of RFC 4861.
    for src, dst in ((1, "2001:db8:2::13"), (3, "2001:db8:1::12"), (2, "2001:db8:2::13"),
                     (1, "2001:db8:1::1"), (3, "2001:db8:1::1")):
        r = ping(names, src, dst)
        assert r.returncode == 0, (src, dst, r.stdout, r.stderr)
    before = routed_echo6_flows(kd.stats(), "2001:db8:1::11", "2001:db8:2::13")
    r = ping(names, 1, "2001:db8:2::13", count=4)
    assert r.returncode == 0, r.stdout
    after = kd.stats()
    # A new session (echo identifier) is a flow of its own: its first request missed, the
    # three repeats crossed the router in the fast path (the kernels' multicast chatter may
    # miss meanwhile, so count the flow's packets).
    flow = routed_echo6_flows(after, "2001:db8:1::11", "2001:db8:2::13")
    assert len(before) == 1 and len(flow) == 2
    flow = [max(flow, key=lambda f: f["packets"])]
    assert flow[0]["packets"] == 3
    assert flow[0]["actions"].startswith("check6(hlim>1,len<=1500),dec_hop_limit:1,"
                                         "set_eth_src:")
    assert after["slow_path"]["nd_adverts"] >= 1      # a VM asked for its gateway
    assert after["slow_path"]["nd_resolved"] >= 3     # the router learned all three VMs


def test_hop_limit_one_across_the_router_gets_time_exceeded_from_the_gateway(routed_vms6):
    kd, names = routed_vms6
    assert ping(names, 1, "2001:db8:2::13").returncode == 0
    r = ping(names, 1, "2001:db8:2::13", ttl=1)
    assert r.returncode != 0
    assert "2001:db8:1::1" in r.stdout, r.stdout
    assert kd.stats()["drops"]["ttl_expired"] == 1
