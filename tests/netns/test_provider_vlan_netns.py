# SPDX-License-Identifier: Apache-2.0
"""Provider networks against Linux: a VLAN device in an external namespace reaches a VM.

kairod has three tap ports: "up" (the uplink of physical network physnet1) moved into the
namespace "ext", and vm1, vm2 each in a namespace of its own.  Bridge br100 is a vlan provider
network (segmentation id 100) with vm1; brflat a flat one with vm2.  In ext, the kernel's VLAN
device up.100 (`ip link add link UP name UP.100 type vlan id 100`) has 10.100.0.1/24 and UP
itself 10.200.0.1/24.  Pings from ext reach both VMs; tshark on the uplink shows exactly tag
100 on the vlan network's frames and no tag on the flat network's.

A kernel built without 802.1Q (no "vlan" link type: `ip link add ... type vlan` says "Unknown
device type") cannot play the VLAN device: ext then sends the tagged echo request itself with
scapy from 10.100.0.1 (vm1 has a static neighbour entry for it), and the VM's answer must come
back tagged 100 all the same.
"""
import os
import subprocess
import sys

import pytest

from kairo_harness import Capture, Kairod

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

HANG_GUARD_S = 180


def sh(*cmd, check=True, timeout=HANG_GUARD_S):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def provider_net(tmp_path):
    tag = "v%d" % (os.getpid() % 1000)
    names = {"up": "k%sup" % tag, "vm1": "k%sv1" % tag, "vm2": "k%sv2" % tag}
    ports = [{"name": n, "device": "net_tap%d,iface=%s" % (i, names[n])}
             for i, n in enumerate(("up", "vm1", "vm2"))]
    topo = {"bridges": [
        {"id": "br100", "provider": {"type": "vlan", "physical_network": "physnet1",
                                     "segmentation_id": 100}, "ports": [{"id": "p1"}]},
        {"id": "brflat", "provider": {"type": "flat", "physical_network": "physnet1"},
         "ports": [{"id": "p2"}]}],
        "bindings": [{"port": "p1", "interface": "vm1"}, {"port": "p2", "interface": "vm2"}]}
    kd = Kairod(tmp_path, ports, topo, extra_config={"physical_networks": {"physnet1": "up"}})
    kd.start()
    addrs = {"up": None, "vm1": "10.100.0.11/24", "vm2": "10.200.0.12/24"}
    try:
        for n, dev in names.items():
            sh("ip", "netns", "del", dev, check=False)
            sh("ip", "netns", "add", dev)
            sh("ip", "link", "set", dev, "netns", dev)
            sh("ip", "netns", "exec", dev, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "netns", "exec", dev, "sysctl", "-qw",
               "net.ipv6.conf.default.disable_ipv6=1")
            sh("ip", "-n", dev, "link", "set", "lo", "up")
            if addrs[n]:
                sh("ip", "-n", dev, "addr", "add", addrs[n], "dev", dev)
            sh("ip", "-n", dev, "link", "set", dev, "up")
        up = names["up"]
        sh("ip", "-n", up, "addr", "add", "10.200.0.1/24", "dev", up)
        vlan_dev = sh("ip", "-n", up, "link", "add", "link", up, "name", up + ".100", "type",
                      "vlan", "id", "100", check=False).returncode == 0
        if vlan_dev:
            sh("ip", "-n", up, "addr", "add", "10.100.0.1/24", "dev", up + ".100")
            sh("ip", "-n", up, "link", "set", up + ".100", "up")
        else:
            sh("ip", "-n", names["vm1"], "neigh", "replace", "10.100.0.1", "lladdr",
               mac_of(up), "dev", names["vm1"])
        yield kd, names, vlan_dev
    finally:
        for dev in names.values():
            sh("ip", "netns", "del", dev, check=False)
        kd.stop()


def mac_of(dev):
    out = sh("ip", "-n", dev, "-o", "link", "show", dev).stdout
    return out.split("link/ether ")[1].split()[0]


def ping(ns, dst):
    return sh("ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", dst,
              check=False)


def uplink_icmp(names, count):
    """tshark on the uplink: count ICMP frames, tagged or not, each as (vlan ids, icmp type)."""
    up = names["up"]
    return Capture(up, ["-c", str(count), "-f", "icmp or (vlan and icmp)", "-T", "fields",
                        "-e", "vlan.id", "-e", "icmp.type", "-E", "separator=;"], ns=up)


def lines(cap):
    out, _ = cap.communicate(timeout=HANG_GUARD_S)
    return [ln.split(";") for ln in out.splitlines() if ln.strip()]


def tagged_echo(names):
    """Without a VLAN device: one echo request tagged 100 from ext's 10.100.0.1 to vm1."""
    up = names["up"]
    send = ("from scapy.all import Dot1Q, Ether, ICMP, IP, sendp\n"
            "sendp(Ether(src='%s', dst='%s') / Dot1Q(vlan=100) / "
            "IP(src='10.100.0.1', dst='10.100.0.11') / ICMP(id=7, seq=1), iface='%s', "
            "verbose=0)\n" % (mac_of(up), mac_of(names["vm1"]), up))
    sh("ip", "netns", "exec", up, sys.executable, "-c", send)


def test_a_vlan_provider_network_is_on_the_wire_with_exactly_its_tag(provider_net):
    kd, names, vlan_dev = provider_net
    cap = uplink_icmp(names, 2)
    if vlan_dev:
        r = ping(names["up"], "10.100.0.11")
        assert r.returncode == 0, r.stdout + r.stderr
    else:
        tagged_echo(names)
    got = lines(cap)
    # The echo request from up.100 and the VM's reply: both tagged 100, and only 100.
    assert sorted(got) == [["100", "0"], ["100", "8"]], got
    assert kd.ctl("show", "drops").get("vlan_not_allowed", 0) == 0


def test_a_flat_provider_network_is_untagged(provider_net):
    kd, names, _ = provider_net
    cap = uplink_icmp(names, 2)
    r = ping(names["up"], "10.200.0.12")
    assert r.returncode == 0, r.stdout + r.stderr
    got = lines(cap)
    assert sorted(got) == [["", "0"], ["", "8"]], got

