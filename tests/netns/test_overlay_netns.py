# SPDX-License-Identifier: Apache-2.0
"""Namespace tests for the overlay: real kernels at both ends of every tunnel.

1. Interop with an independent implementation: a namespace holds a Linux kernel ``vxlan``
   device, the remote VTEP.  A "VM" behind kairod (a tap) and the host behind the kernel's
   VXLAN device are on one virtual bridge (a VTEP binding, VNI 5000): they ping and exchange
   TCP.  The kernel decapsulates what kairod encapsulated and the other way round.

       vm (10.7.0.1) -tap- kairod -af_packet- kovu ==veth== kovp 192.168.60.2 -- vx0 10.7.0.2
                          underlay 192.168.60.1                 (namespace kovv: the VTEP)

2. Two kairod instances, each in a namespace of its own, joined by a veth underlay; one
   tunnel zone; a bridge spanning both hosts, and a router (simulated wherever a packet
   enters) serving a VM on host-a from a VM on host-b.

       host-a: a1 10.8.1.11 (bridge1), a2 10.8.2.12 (bridge2)      underlay 192.168.61.1
       host-b: b1 10.8.1.21 (bridge1)                               underlay 192.168.61.2
       router r1: 10.8.1.1 on bridge1, 10.8.2.1 on bridge2
"""
import hashlib
import os
import subprocess
import time

import pytest

from kairo_harness import HANG_GUARD_S, Kairod

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

TAG = "%d" % (os.getpid() % 1000)


def sh(*cmd, check=True, timeout=HANG_GUARD_S):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)


def netns_add(name):
    sh("ip", "netns", "del", name, check=False)
    sh("ip", "netns", "add", name)
    sh("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    sh("ip", "-n", name, "link", "set", "lo", "up")


def vm_setup(ns, ifname, addr, mtu, gw=None, from_ns=None):
    """Move kairod's tap into namespace ns and address it."""
    netns_add(ns)
    if from_ns:
        sh("ip", "-n", from_ns, "link", "set", ifname, "netns", ns)
    else:
        sh("ip", "link", "set", ifname, "netns", ns)
    sh("ip", "-n", ns, "addr", "add", addr, "dev", ifname)
    # The MTU a virtual port behind a tunnel has (kairoctl show tunnels: vport_mtu_vxlan),
    # as the troubleshooting guide says a VM must be given.
    sh("ip", "-n", ns, "link", "set", ifname, "mtu", str(mtu), "up")
    if gw:
        sh("ip", "-n", ns, "route", "add", "default", "via", gw)


def ping(ns, dst, count=1):
    return sh("ip", "netns", "exec", ns, "ping", "-c", str(count), "-i", "0.2", "-W", "2", dst,
              check=False)


def ping_until(ns, dst, tries=5):
    """The first ping may lose its first packet while ARP (overlay and underlay) settles."""
    for _ in range(tries):
        r = ping(ns, dst)
        if r.returncode == 0:
            return r
    return r


TCP_SERVER = r"""
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001)); s.listen(1); print("listening", flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    h.update(d); n += len(d)
c.sendall(("%d %s" % (n, h.hexdigest())).encode()); c.close()
"""

TCP_CLIENT = r"""
import socket, sys
data = bytes(range(256)) * (int(sys.argv[2]) // 256)
c = socket.create_connection((sys.argv[1], 5001), timeout=20); c.sendall(data)
c.shutdown(socket.SHUT_WR); print(c.recv(1024).decode())
"""


def tcp_exchange(server_ns, server_ip, client_ns, size):
    srv = subprocess.Popen(["ip", "netns", "exec", server_ns, "/usr/bin/python3", "-c",
                            TCP_SERVER, server_ip], stdout=subprocess.PIPE, text=True)
    try:
        assert srv.stdout.readline().strip() == "listening"
        r = sh("ip", "netns", "exec", client_ns, "/usr/bin/python3", "-c", TCP_CLIENT,
               server_ip, str(size), timeout=60)
        return r.stdout.strip()
    finally:
        srv.kill()
        srv.wait()


# ---- 1. the kernel's VXLAN device as the remote VTEP ----

@pytest.fixture
def kernel_vtep(tmp_path):
    vm, vtep = "kovm" + TAG, "kovv" + TAG
    up, upp = "kovu" + TAG, "kovp" + TAG
    sh("ip", "link", "del", up, check=False)
    netns_add(vtep)
    sh("ip", "link", "add", up, "type", "veth", "peer", "name", upp)
    sh("ip", "link", "set", upp, "netns", vtep)
    sh("ip", "link", "set", up, "up")
    sh("ip", "-n", vtep, "addr", "add", "192.168.60.2/24", "dev", upp)
    sh("ip", "-n", vtep, "link", "set", upp, "up")
    # A veth leaves TCP checksums to "hardware" (CHECKSUM_PARTIAL) that af_packet never
    # fills in: the kernel's own VTEP must put them on the wire, as a NIC would.
    sh("ip", "netns", "exec", vtep, "ethtool", "-K", upp, "tx", "off")
    sh("ip", "-n", vtep, "link", "add", "vx0", "type", "vxlan", "id", "5000", "remote",
       "192.168.60.1", "local", "192.168.60.2", "dstport", "4789", "dev", upp)
    sh("ip", "-n", vtep, "addr", "add", "10.7.0.2/24", "dev", "vx0")
    sh("ip", "-n", vtep, "link", "set", "vx0", "up")
    topo = {
        "bridges": [{"id": "b1", "ports": [{"id": "p-vm"}, {"id": "p-vtep"}]}],
        "hosts": [{"id": "host-a"}],
        "tunnel_zones": [{"id": "tzv", "type": "vtep",
                          "members": [{"host": "host-a", "address": "192.168.60.1"}]}],
        "bindings": [{"port": "p-vm", "host": "host-a", "interface": vm}],
        "vtep_bindings": [{"port": "p-vtep", "vni": 5000, "address": "192.168.60.2"}],
    }
    ports = [{"name": vm, "device": "net_tap0,iface=%s" % vm},
             {"name": "up", "device": "net_af_packet0,iface=%s" % up, "role": "uplink"}]
    kd = Kairod(tmp_path, ports, topo, extra_config={
        "host_id": "host-a",
        "underlay": {"interface": "up", "address": "192.168.60.1/24", "mtu": 1500}})
    kd.start()
    try:
        mtu = kd.ctl("show", "tunnels")["vport_mtu_vxlan"]
        vm_setup(vm, vm, "10.7.0.1/24", mtu)
        yield kd, vm, vtep
    finally:
        sh("ip", "netns", "del", vm, check=False)
        sh("ip", "netns", "del", vtep, check=False)
        sh("ip", "link", "del", up, check=False)
        kd.stop()


def test_vm_and_host_behind_the_kernel_vxlan_ping_both_ways(kernel_vtep):
    kd, vm, vtep = kernel_vtep
    r = ping_until(vm, "10.7.0.2")
    assert r.returncode == 0, r.stdout + r.stderr
    r = ping(vtep, "10.7.0.1", count=3)
    assert r.returncode == 0, r.stdout + r.stderr
    t = kd.ctl("show", "tunnels")
    peer = [p for p in t["peers"] if p["peer"] == "192.168.60.2"][0]
    assert peer["type"] == "vtep" and peer["next_hop_mac"] is not None
    # Both directions crossed the tunnel: kairod encapsulated and decapsulated.
    assert peer["tx_packets"] >= 4 and peer["rx_packets"] >= 4
    assert not any(peer["rx_errors"].values()), peer["rx_errors"]
    # The kernel learned the VM's MAC behind kairod's underlay address (its FDB).
    fdb = sh("ip", "netns", "exec", vtep, "bridge", "fdb", "show", "dev", "vx0").stdout
    assert "dst 192.168.60.1" in fdb


def test_tcp_between_vm_and_host_behind_the_kernel_vxlan(kernel_vtep):
    kd, vm, vtep = kernel_vtep
    assert ping_until(vm, "10.7.0.2").returncode == 0
    size = 1 << 20
    want = hashlib.sha256(bytes(range(256)) * (size // 256)).hexdigest()
    # Full-sized segments: 1450-byte IP packets fill the tunnel exactly.
    assert tcp_exchange(vtep, "10.7.0.2", vm, size) == "%d %s" % (size, want)
    assert tcp_exchange(vm, "10.7.0.1", vtep, size) == "%d %s" % (size, want)
    stats = kd.stats()
    assert stats["drops"]["tunnel_mtu_exceeded"] == 0
    peer = [p for p in stats["tunnels"]["peers"] if p["peer"] == "192.168.60.2"][0]
    assert peer["tx_bytes"] > size and peer["rx_bytes"] > size


# ---- 2. two kairod instances joined by a veth underlay ----

class NsKairod(Kairod):
    """A kairod started inside a network namespace (its taps and uplink are created there)."""

    def __init__(self, netns, *args, **kw):
        super().__init__(*args, **kw)
        self.netns = netns

    def command(self):
        return ["ip", "netns", "exec", self.netns] + super().command()


def two_host_topology(a1, a2, b1):
    return {
        "bridges": [
            {"id": "bridge1", "ports": [{"id": "b1-a1"}, {"id": "b1-b1"},
                                        {"id": "b1-r", "peer": "r1p1"}]},
            {"id": "bridge2", "ports": [{"id": "b2-a2"}, {"id": "b2-r", "peer": "r1p2"}]},
        ],
        "routers": [{"id": "r1", "ports": [
            {"id": "r1p1", "address": "10.8.1.1", "network": "10.8.1.0/24"},
            {"id": "r1p2", "address": "10.8.2.1", "network": "10.8.2.0/24"}]}],
        "hosts": [{"id": "host-a"}, {"id": "host-b"}],
        "tunnel_zones": [{"id": "tz", "type": "vxlan", "members": [
            {"host": "host-a", "address": "192.168.61.1"},
            {"host": "host-b", "address": "192.168.61.2"}]}],
        "bindings": [{"port": "b1-a1", "host": "host-a", "interface": a1},
                     {"port": "b2-a2", "host": "host-a", "interface": a2},
                     {"port": "b1-b1", "host": "host-b", "interface": b1}],
    }


@pytest.fixture
def two_hosts(tmp_path):
    ha, hb = "kova" + TAG, "kovb" + TAG
    a1, a2, b1 = "kva1" + TAG, "kva2" + TAG, "kvb1" + TAG
    ua, ub = "kvua" + TAG, "kvub" + TAG
    netns_add(ha)
    netns_add(hb)
    sh("ip", "link", "add", ua, "type", "veth", "peer", "name", ub)
    sh("ip", "link", "set", ua, "netns", ha)
    sh("ip", "link", "set", ub, "netns", hb)
    sh("ip", "-n", ha, "link", "set", ua, "up")
    sh("ip", "-n", hb, "link", "set", ub, "up")
    topo = two_host_topology(a1, a2, b1)
    kds = []
    try:
        for ns, host, addr, vms, uplink in ((ha, "host-a", "192.168.61.1", (a1, a2), ua),
                                             (hb, "host-b", "192.168.61.2", (b1,), ub)):
            ports = [{"name": v, "device": "net_tap%d,iface=%s" % (i, v)}
                     for i, v in enumerate(vms)]
            ports.append({"name": "up", "device": "net_af_packet0,iface=%s" % uplink,
                          "role": "uplink"})
            kd = NsKairod(ns, tmp_path / host, ports, topo, extra_config={
                "host_id": host,
                "underlay": {"interface": "up", "address": addr + "/24", "mtu": 1500}})
            kd.start()
            kds.append(kd)
        vm_setup("a1" + TAG, a1, "10.8.1.11/24", 1450, "10.8.1.1", from_ns=ha)
        vm_setup("a2" + TAG, a2, "10.8.2.12/24", 1450, "10.8.2.1", from_ns=ha)
        vm_setup("b1" + TAG, b1, "10.8.1.21/24", 1450, "10.8.1.1", from_ns=hb)
        yield kds[0], kds[1]
    finally:
        for ns in ("a1" + TAG, "a2" + TAG, "b1" + TAG):
            sh("ip", "netns", "del", ns, check=False)
        for kd in kds:
            kd.stop()
        sh("ip", "netns", "del", ha, check=False)
        sh("ip", "netns", "del", hb, check=False)


def test_vms_on_two_hosts_ping_across_one_bridge(two_hosts):
    kda, kdb = two_hosts
    r = ping_until("a1" + TAG, "10.8.1.21")
    assert r.returncode == 0, r.stdout + r.stderr
    r = ping("b1" + TAG, "10.8.1.11", count=3)
    assert r.returncode == 0, r.stdout + r.stderr
    ta, tb = kda.ctl("show", "tunnels"), kdb.ctl("show", "tunnels")
    pa = [p for p in ta["peers"] if p["peer"] == "192.168.61.2"][0]
    pb = [p for p in tb["peers"] if p["peer"] == "192.168.61.1"][0]
    assert pa["tx_packets"] >= 4 and pb["rx_packets"] >= 4
    assert pb["tx_packets"] >= 4 and pa["rx_packets"] >= 4
    assert pa["next_hop_mac"] is not None and pb["next_hop_mac"] is not None
    # What came through the tunnel was delivered by key, not simulated again: host-b
    # simulated only what its own VM sent (and ARP on the underlay).
    sa = kda.stats()
    assert sum(v for k, v in sa["drops"].items() if k.startswith("tunnel_")) == 0


def test_a_router_on_one_host_serves_a_vm_on_the_other(two_hosts):
    kda, kdb = two_hosts
    # b1 (host-b) to a2 (host-a, another subnet): routed wherever the packet enters.
    r = ping_until("b1" + TAG, "10.8.2.12")
    assert r.returncode == 0, r.stdout + r.stderr
    r = ping("a2" + TAG, "10.8.1.21", count=3)
    assert r.returncode == 0, r.stdout + r.stderr
    # The gateway answers from either host.
    assert ping("b1" + TAG, "10.8.1.1").returncode == 0
    # Each host's copy of the router learned the other host's VM from the ARP answers
    # passed on through the tunnel.
    assert kda.ctl("show", "tunnels")["arp_shared"] + \
        kdb.ctl("show", "tunnels")["arp_shared"] >= 1
    sb = kdb.stats()
    assert sb["slow_path"]["arp_resolved"] >= 1
