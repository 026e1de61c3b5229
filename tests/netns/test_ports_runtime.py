# SPDX-License-Identifier: Apache-2.0
"""Ports that come and go while kairod runs, bindings that wait for their interface, links.

"VMs" are network namespaces on kairod's tap interfaces, as in test_ping_netns.py.  The
topology binds three ports of one bridge to the interfaces vm1, vm2 and vm3; the daemon config
has only vm1 and vm2, so the third binding waits until `kairoctl port add vm3 ...` brings the
interface, and waits again once `kairoctl port remove vm3` took it away.  Meanwhile vm1 and
vm2 ping each other continuously: adding and removing a port must not cost them a packet.
"""
import os
import re
import subprocess
import time

import pytest

from kairo_harness import Kairod, KairoctlError, bridge_topology, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

NET = "10.78.0.%d"


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


class Vm:
    """A namespace holding one of kairod's taps, addressed NET % n."""

    def __init__(self, tag, n):
        self.n = n
        self.iface = "r%s%d" % (tag, n)
        self.ns = self.iface
        self.ip = NET % n

    def attach(self, from_ns=None):
        """Move the tap (in kairod's namespace, from_ns) into the VM's own and address it."""
        sh("ip", "netns", "del", self.ns, check=False)
        sh("ip", "netns", "add", self.ns)
        sh(*(["ip", "-n", from_ns] if from_ns else ["ip"]), "link", "set", self.iface, "netns",
           self.ns)
        address(self.ns, self.iface, self.ip)

    def run(self, *cmd, check=False):
        return sh("ip", "netns", "exec", self.ns, *cmd, check=check)

    def ping(self, ip, count=1):
        return self.run("ping", "-c", str(count), "-i", "0.2", "-W", "2", ip)

    def ping_until(self, ip, deadline_s=30):
        """Ping until one goes through (the first exchange carries ARP)."""
        deadline = time.monotonic() + deadline_s
        while True:
            r = self.ping(ip)
            if r.returncode == 0 or time.monotonic() > deadline:
                return r

    def flood_ping(self, ip, count):
        """ping -i 0.05 in the background: a Popen whose output says how many came back."""
        return subprocess.Popen(["ip", "netns", "exec", self.ns, "ping", "-q", "-c", str(count),
                                 "-i", "0.05", "-W", "1", ip],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def teardown(self):
        sh("ip", "netns", "del", self.ns, check=False)


def address(ns, iface, ip):
    # No IPv6: router solicitations and MLD would make the counters below wander.
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", iface)
    sh("ip", "-n", ns, "link", "set", iface, "up")


def replies(proc):
    """(transmitted, received) of a finished ping -q."""
    out, _ = proc.communicate(timeout=120)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def port_row(kd, name):
    rows = [p for p in kd.ctl("show", "ports") if p["name"] == name]
    return rows[0] if rows else None


def flows_through(kd, port_id):
    """Flows that came in on the DPDK port or send out of it."""
    flows = kd.ctl("dump", "flows")["flows"]
    return [f for f in flows if f["match"].startswith("in_port=%d," % port_id) or
            re.search(r"output:%d(\D|$)" % port_id, f["actions"])]


def log_has(kd, text):
    return text in kd.log_path.read_text()


@pytest.fixture
def two_vms_and_a_waiting_binding(tmp_path):
    tag = "%d" % (os.getpid() % 1000)
    vms = [Vm(tag, n) for n in (1, 2, 3)]
    ports = [{"name": "vm%d" % vm.n, "device": "net_tap%d,iface=%s" % (vm.n - 1, vm.iface)}
             for vm in vms[:2]]
    topo = bridge_topology(["p1", "p2", "p3"], {"p1": "vm1", "p2": "vm2", "p3": "vm3"})
    kd = Kairod(tmp_path, ports, topo)
    kd.start()
    try:
        for vm in vms[:2]:
            vm.attach()
        for a, b in ((0, 1), (1, 0)):
            r = vms[a].ping_until(vms[b].ip)
            assert r.returncode == 0, r.stdout
        yield kd, vms
    finally:
        # kairod first: the last namespace is its own.
        kd.stop()
        for vm in vms:
            vm.teardown()


def test_a_binding_made_before_its_port_waits_then_works_then_waits_again(
        two_vms_and_a_waiting_binding):
    kd, vms = two_vms_and_a_waiting_binding
    vm1, vm2, vm3 = vms
    # The topology names vm3, which the host does not have: accepted, and shown as waiting.
    waiting = port_row(kd, "vm3")
    assert waiting["state"] == "waiting" and waiting["binding"] == "p3" and waiting["id"] is None
    assert "p3 waits for interface vm3" in kd.log_path.read_text()
    text = kd.ctl("host", "host0", "list", "binding", as_json=False)
    assert re.search(r"interface vm3 port \S+ waiting", text), text
    view = kd.ctl("show", "ports", as_json=False)
    assert re.search(r"^-\s+vm3\s.*\bp3\s+waiting", view, re.M), view

    added = kd.ctl("port", "add", "vm3", "net_tap2,iface=%s" % vm3.iface)
    assert added["name"] == "vm3" and added["driver"] == "net_tap"
    assert log_has(kd, "agent.Interface DETECT vm3")
    wait_until(lambda: log_has(kd, "Port BIND p3 vm3"), what="Port BIND p3 vm3")
    vm3.attach()
    row = port_row(kd, "vm3")
    assert row["state"] == "bound" and row["binding"] == "p3" and row["id"] == added["id"]
    for vm in (vm1, vm2):
        r = vm.ping_until(vm3.ip)
        assert r.returncode == 0, r.stdout
    assert port_row(kd, "vm3")["rx_packets"] > 0
    assert "waiting" not in kd.ctl("host", "host0", "list", "binding", as_json=False)

    assert kd.ctl("port", "remove", "vm3") == {"name": "vm3", "removed": True}
    assert log_has(kd, "agent.Interface DELETE vm3") and log_has(kd, "Port UNBIND p3 vm3")
    assert port_row(kd, "vm3")["state"] == "waiting"
    # The device went with the port: the interface is gone from vm3's namespace.
    assert vm3.run("ip", "link", "show", vm3.iface).returncode != 0
    # The other two still talk.
    r = vm1.ping(vm2.ip, count=2)
    assert r.returncode == 0, r.stdout


def test_a_port_added_and_removed_while_two_vms_ping_costs_them_nothing(
        two_vms_and_a_waiting_binding):
    kd, vms = two_vms_and_a_waiting_binding
    vm1, vm2, vm3 = vms
    # 20 s of pings each way, every 50 ms: the whole add and remove happens inside them.
    pings = [vm1.flood_ping(vm2.ip, 400), vm2.flood_ping(vm1.ip, 400)]
    try:
        added = kd.ctl("port", "add", "vm3", "net_tap2,iface=%s" % vm3.iface)
        vm3.attach()
        for vm in (vm1, vm2):
            r = vm.ping_until(vm3.ip)
            assert r.returncode == 0, r.stdout
        vm3_id = added["id"]
        wait_until(lambda: flows_through(kd, vm3_id), what="flows through vm3")

        kd.ctl("port", "remove", "vm3")
        # Its flows went with it: the removal returns once the simulation dropped them.
        assert flows_through(kd, vm3_id) == []
        assert port_row(kd, "vm3")["state"] == "waiting"
        assert vm3.run("ip", "link", "show", vm3.iface).returncode != 0
        assert all(p.poll() is None for p in pings), "the pings ended before the removal"
    finally:
        results = [replies(p) for p in pings]
    for sent, got in results:
        assert sent == 400 and got == sent, results
    stats = kd.stats()
    assert stats["lost"] == 0


def test_a_refused_add_changes_nothing_and_forwarding_goes_on(two_vms_and_a_waiting_binding):
    kd, vms = two_vms_and_a_waiting_binding
    vm1, vm2, _ = vms
    before = [(p["name"], p["id"], p["state"]) for p in kd.ctl("show", "ports")]
    with pytest.raises(KairoctlError) as e:
        kd.ctl("port", "add", "vm2", "net_tap5,iface=rzz%d" % os.getpid())
    assert 'port "vm2": the name is in use' in e.value.stderr
    with pytest.raises(KairoctlError) as e:
        # More RX queues than net_tap has: refused after the probe, which is undone.
        kd.ctl("port", "add", "vm3", "net_tap6,iface=rzy%d" % (os.getpid() % 10000),
               "rx-queues", "64")
    assert "rx_queues: 64" in e.value.stderr and "at most" in e.value.stderr
    assert sh("ip", "link", "show", "rzy%d" % (os.getpid() % 10000), check=False).returncode != 0
    assert [(p["name"], p["id"], p["state"]) for p in kd.ctl("show", "ports")] == before
    r = vm1.ping(vm2.ip, count=2)
    assert r.returncode == 0, r.stdout


class KairodInNamespace(Kairod):
    """kairod run inside a network namespace of its own: its taps are created there."""

    def __init__(self, ns, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ns = ns

    def command(self):
        return ["ip", "netns", "exec", self.ns] + super().command()


def test_a_link_down_takes_the_port_out_of_floods_and_its_flows_out(tmp_path):
    # net_tap (DPDK 22.11) hears of its interface's link only in the namespace it was made in:
    # kairod runs in a namespace of its own, where vm3's tap stays (that namespace is vm3's),
    # and vm1's and vm2's taps move to theirs.
    tag = "%d" % (os.getpid() % 1000)
    vms = [Vm(tag, n) for n in (1, 2, 3)]
    kns = vms[2].ns
    sh("ip", "netns", "del", kns, check=False)
    sh("ip", "netns", "add", kns)
    ports = [{"name": "vm%d" % vm.n, "device": "net_tap%d,iface=%s" % (vm.n - 1, vm.iface)}
             for vm in vms]
    topo = bridge_topology(["p1", "p2", "p3"], {"p1": "vm1", "p2": "vm2", "p3": "vm3"})
    kd = KairodInNamespace(kns, tmp_path, ports, topo)
    try:
        kd.start()
        for vm in vms[:2]:
            vm.attach(from_ns=kns)
        vm1, vm2, vm3 = vms
        address(kns, vm3.iface, vm3.ip)
        for a, b in ((vm1, vm3), (vm2, vm3), (vm1, vm2)):
            r = a.ping_until(b.ip)
            assert r.returncode == 0, r.stdout
        vm3_id = port_row(kd, "vm3")["id"]
        assert flows_through(kd, vm3_id)

        sh("ip", "-n", kns, "link", "set", vm3.iface, "down")
        wait_until(lambda: not port_row(kd, "vm3")["link_up"], what="vm3's link down")
        wait_until(lambda: log_has(kd, "agent.Interface UPDATE vm3 link down"), what="UPDATE")
        # The flows out of it are gone with the change (the flows in from it may stay:
        # nothing arrives on a port whose link is down).
        wait_until(lambda: not [f for f in flows_through(kd, vm3_id)
                                if "output:%d" % vm3_id in f["actions"]],
                   what="no flow out of vm3")
        # Broadcasts between vm1 and vm2 still reach vm2, and no longer vm3.
        tx3 = port_row(kd, "vm3")["tx_packets"]
        rx2 = port_row(kd, "vm2")["tx_packets"]
        vm1.run("ping", "-b", "-c", "5", "-i", "0.05", "-W", "1", NET % 255)
        wait_until(lambda: port_row(kd, "vm2")["tx_packets"] >= rx2 + 5, what="floods to vm2")
        assert port_row(kd, "vm3")["tx_packets"] == tx3
        r = vm1.ping(vm2.ip, count=2)
        assert r.returncode == 0, r.stdout
        # Unicast to vm3's MAC is dropped under its own name.
        assert vm1.ping(vm3.ip).returncode != 0
        assert kd.ctl("show", "drops")["link_down"] > 0

        sh("ip", "-n", kns, "link", "set", vm3.iface, "up")
        wait_until(lambda: port_row(kd, "vm3")["link_up"], what="vm3's link up")
        assert log_has(kd, "agent.Interface UPDATE vm3 link up")
        r = vm1.ping_until(vm3.ip)
        assert r.returncode == 0, r.stdout
        tx3 = port_row(kd, "vm3")["tx_packets"]
        vm1.run("ping", "-b", "-c", "5", "-i", "0.05", "-W", "1", NET % 255)
        wait_until(lambda: port_row(kd, "vm3")["tx_packets"] >= tx3 + 5, what="floods to vm3")
    finally:
        # kairod first: the last namespace is its own.
        kd.stop()
        for vm in vms:
            vm.teardown()
