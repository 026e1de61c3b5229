# SPDX-License-Identifier: Apache-2.0
"""Namespace tests: "VMs" in network namespaces, attached to kairod by tap interfaces.

The kernel's own IP stacks send and answer; kairod only bridges.  The tests read kairod's
counters to check which packets hit the flow cache.
"""
import os
import subprocess
import time

import pytest

from kairo_harness import Kairod, bridge_topology, flows_matching

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


class Vms:
    """Move kairod's tap interfaces into namespaces of their own and address them."""

    def __init__(self, tag, n):
        self.names = ["k%s%d" % (tag, i) for i in range(1, n + 1)]

    def ports(self):
        return [{"name": n, "device": "net_tap%d,iface=%s" % (i, n)}
                for i, n in enumerate(self.names)]

    def setup(self):
        for i, n in enumerate(self.names, start=1):
            sh("ip", "netns", "del", n, check=False)
            sh("ip", "netns", "add", n)
            sh("ip", "link", "set", n, "netns", n)
            # No IPv6: router solicitations and MLD would make the counters below wander.
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "-n", n, "link", "set", "lo", "up")
            sh("ip", "-n", n, "addr", "add", "10.77.0.%d/24" % i, "dev", n)
            sh("ip", "-n", n, "link", "set", n, "up")

    def teardown(self):
        for n in self.names:
            sh("ip", "netns", "del", n, check=False)

    def ping(self, src, dst_ip, count=1):
        return sh("ip", "netns", "exec", self.names[src], "ping", "-c", str(count), "-i", "0.2",
                  "-W", "2", dst_ip, check=False)


@pytest.fixture
def two_vms(tmp_path):
    vms = Vms("p%d" % (os.getpid() % 1000), 2)
    topo = bridge_topology(["p1", "p2"], {"p1": vms.names[0], "p2": vms.names[1]})
    kd = Kairod(tmp_path, vms.ports(), topo)
    kd.start()
    try:
        vms.setup()
        yield kd, vms
    finally:
        vms.teardown()
        kd.stop()


def icmp_flows(stats, icmp_type):
    return flows_matching(stats, eth_type="0x0800", proto=1, icmp_type=icmp_type)


def test_vms_on_one_bridge_ping_and_the_second_ping_hits_the_cache(two_vms):
    kd, vms = two_vms
    # One ping session (one echo identifier, so one flow each way): the first request and
    # reply miss and are simulated into flows, the next two of each hit them.
    first = vms.ping(0, "10.77.0.2", count=3)
    assert first.returncode == 0, first.stdout + first.stderr
    after = kd.wait_for(lambda s: len(icmp_flows(s, 0)) == 1 and
                        icmp_flows(s, 0)[0]["packets"] == 2, what="echo reply flow hit twice")
    assert len(icmp_flows(after, 8)) == 1
    assert icmp_flows(after, 8)[0]["packets"] == 2
    assert after["hits"] >= 4
    assert after["slow_path"]["mac_learned"] == 2

    # Another session is another identifier: flows of its own, the first pair's untouched.
    second = vms.ping(0, "10.77.0.2", count=2)
    assert second.returncode == 0, second.stdout + second.stderr
    later = kd.stats()
    assert len(icmp_flows(later, 8)) == 2
    assert sorted(f["packets"] for f in icmp_flows(later, 8)) == [1, 2]


def test_malformed_frames_from_a_vm_are_counted_and_pings_still_work(two_vms):
    kd, vms = two_vms
    assert vms.ping(0, "10.77.0.2").returncode == 0
    # A raw socket inside the VM sends a frame with an IPv4 header length of 4 words,
    # and one cut inside its IPv4 header.
    script = (
        "from scapy.all import Ether, IP, UDP, sendp\n"
        "bad = Ether(dst='ff:ff:ff:ff:ff:ff') / IP(ihl=4, dst='10.77.0.2') / UDP()\n"
        "short = bytes(Ether(dst='ff:ff:ff:ff:ff:ff') / IP(dst='10.77.0.2'))[:24]\n"
        "sendp(bad, iface='%s', verbose=0)\n"
        "sendp(short, iface='%s', verbose=0)\n" % (vms.names[0], vms.names[0]))
    sh("ip", "netns", "exec", vms.names[0], "/usr/bin/python3", "-c", script)
    stats = kd.wait_for(lambda s: s["drops"]["ipv4_bad_ihl"] == 1 and
                        s["drops"]["ipv4_truncated"] == 1, what="malformed drops counted")
    assert stats["drops"]["ipv4_bad_ihl"] == 1
    result = vms.ping(1, "10.77.0.1", count=2)
    assert result.returncode == 0, result.stdout


def test_three_vms_share_a_bridge_and_each_pair_talks(tmp_path):
    vms = Vms("t%d" % (os.getpid() % 1000), 3)
    topo = bridge_topology(["p1", "p2", "p3"],
                           {"p1": vms.names[0], "p2": vms.names[1], "p3": vms.names[2]})
    with Kairod(tmp_path, vms.ports(), topo) as kd:
        try:
            vms.setup()
            for src in range(3):
                for dst in range(3):
                    if src != dst:
                        r = vms.ping(src, "10.77.0.%d" % (dst + 1))
                        assert r.returncode == 0, (src, dst, r.stdout)
            stats = kd.stats()
        finally:
            vms.teardown()
    # Unicast flows output to exactly one port once both ends are learned.
    for f in icmp_flows(stats, 8) + icmp_flows(stats, 0):
        assert f["actions"].count("output") == 1, f
    assert stats["slow_path"]["mac_learned"] == 3
    assert stats["lost"] == 0


def ping_until(vms, src, dst_ip, deadline_s=30):
    """Ping until one goes through (the first exchange carries ARP): the last result."""
    deadline = time.monotonic() + deadline_s
    while True:
        r = vms.ping(src, dst_ip, count=1)
        if r.returncode == 0 or time.monotonic() > deadline:
            return r


# Datagrams from vm1 to a closed port of vm2, each from a source port of its own: the kernel's
# tap picks a queue per flow, so their way in (and the port unreachables back) spread over both
# RX queues of each tap.
SPRAY_UDP = """
import socket, sys
for port in range(40000, 40064):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.sendto(b"x" * 32, (sys.argv[1], 9))
    s.close()
"""


def test_two_workers_split_the_rx_queues_and_both_forward(tmp_path):
    # Three lcores on two CPUs: the main one and two workers; each tap has two RX queues,
    # spread over the workers, and every worker has its own TX queue on every port.
    vms = Vms("w%d" % (os.getpid() % 1000), 2)
    ports = vms.ports()
    for p in ports:
        p["rx_queues"] = 2
        # net_tap fills each RX queue with a buffer per descriptor: 2 ports x 2 queues x 1024
        # would take every one of the harness's 4095 buffers, and a queue left without any
        # receives nothing (counted as rx_dropped).  256 each leaves the pool room to spare.
        p["rx_desc"] = 256
    topo = bridge_topology(["p1", "p2"], {"p1": vms.names[0], "p2": vms.names[1]})
    with Kairod(tmp_path, ports, topo, workers=2, lcores="0@0,1@1,2@1") as kd:
        try:
            vms.setup()
            # Both ways, each until it goes through: no fixed wait for ARP under load.
            for i in range(2):
                r = ping_until(vms, i, "10.77.0.%d" % (2 - i))
                assert r.returncode == 0, r.stdout
            for i in range(4):
                r = vms.ping(i % 2, "10.77.0.%d" % (2 - i % 2), count=2)
                assert r.returncode == 0, r.stdout
            sh("ip", "netns", "exec", vms.names[0], "/usr/bin/python3", "-c", SPRAY_UDP,
               "10.77.0.2")
            # Each worker received packets of its own queues.
            stats = kd.wait_for(lambda s: len(s["lcores"]) == 2 and
                                all(l["rx_packets"] > 0 for l in s["lcores"]),
                                timeout=30, what="both workers to receive packets")
        finally:
            vms.teardown()
    assert sum(l["rx_packets"] for l in stats["lcores"]) == \
        sum(p["rx_packets"] for p in stats["ports"])
    assert stats["hits"] > 0


def test_a_mac_that_moves_to_another_port_takes_its_flows_with_it(tmp_path):
    # vm1 talks to vm2; then vm2 goes away and vm3 takes over its MAC and address (a VM
    # migrated to another port).  vm1's ARP cache still points at that MAC, so its next ping is
    # unicast at once: it reaches vm3 only if the flows towards the old port were invalidated
    # when the bridge saw the MAC arrive on vm3's port.
    vms = Vms("m%d" % (os.getpid() % 1000), 3)
    topo = bridge_topology(["p1", "p2", "p3"],
                           {"p1": vms.names[0], "p2": vms.names[1], "p3": vms.names[2]})
    with Kairod(tmp_path, vms.ports(), topo) as kd:
        try:
            vms.setup()
            assert vms.ping(0, "10.77.0.2", count=2).returncode == 0
            before = kd.stats()
            mac = sh("ip", "-n", vms.names[1], "-j", "link", "show", vms.names[1]).stdout
            mac = mac.split('"address":"')[1].split('"')[0]
            sh("ip", "-n", vms.names[1], "link", "set", vms.names[1], "down")
            sh("ip", "-n", vms.names[2], "link", "set", vms.names[2], "down")
            sh("ip", "-n", vms.names[2], "link", "set", vms.names[2], "address", mac)
            sh("ip", "-n", vms.names[2], "addr", "flush", "dev", vms.names[2])
            sh("ip", "-n", vms.names[2], "addr", "add", "10.77.0.2/24", "dev", vms.names[2])
            sh("ip", "-n", vms.names[2], "link", "set", vms.names[2], "up")
            # vm3 speaks once from the moved MAC (its ARP for vm1): the bridge relearns it.
            assert vms.ping(2, "10.77.0.1").returncode == 0
            r = vms.ping(0, "10.77.0.2", count=2)
            after = kd.stats()
        finally:
            vms.teardown()
    assert r.returncode == 0, r.stdout
    assert after["slow_path"]["mac_moved"] == before["slow_path"]["mac_moved"] + 1
    assert after["flow_cache"]["invalidated"] > before["flow_cache"]["invalidated"]
    to_moved = flows_matching(after, in_port=0, eth_dst=mac.upper(), icmp_type=8)
    assert len(to_moved) == 1 and to_moved[0]["actions"] == "output:2"
