# SPDX-License-Identifier: Apache-2.0
"""VM ports as NFV hosts attach them: vhost-user and memif, with dpdk-testpmd as the VM.

    vm1 (namespace, 10.79.0.1) --tap-- kairod bridge --vhost-user or memif-- vm2 (dpdk-testpmd)

vm2 is dpdk-testpmd in 5tswap mode: it sends every frame back with its MACs, IPv4 addresses
and UDP ports swapped, so a datagram vm1 sends to 10.79.0.2:5000 comes back as an answer
from there.  testpmd answers no ARP: vm1 has a permanent neighbour entry for vm2's MAC.
Each test sends datagrams of several sizes up to the MTU from a socket in vm1 and checks
that every one comes back byte for byte, then reads kairod's port counters (kairoctl show
ports) and flows (kairoctl dump flows): both ports and the one flow each way count exactly
those packets and bytes.

The vhost-user side (virtio_user in testpmd) hands kairod its memory as file descriptors,
so testpmd runs on hugepages with --in-memory --single-file-segments (memfd-backed, no
hugetlbfs mount needed; one descriptor per memory list instead of one per page, as vhost-user
takes at most 8 regions): the test reserves the pages and gives them back.  DPDK 22.11
refuses --in-memory with --no-huge, and without it --no-huge memory has no descriptor to
share.  kairod itself keeps --no-huge: a vhost-user back end maps the front end's memory and
copies into its own buffers.  memif needs no hugepages on either side: the memif driver
makes its own shared regions (memfd).

The last tests need no testpmd: what kairod does with the socket of a VM port that is not
ready for it (a stale one, one in use, a file; a memif server that is not there).
"""
import glob
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from kairo_harness import Kairod, bridge_topology, die_with_parent, run_kairod_once

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

TESTPMD = shutil.which("dpdk-testpmd")
VM1_IP, VM2_IP = "10.79.0.1", "10.79.0.2"
VM2_MAC = "02:00:00:00:79:02"
VM1_PORT, VM2_PORT = 40079, 5000
# Payloads from one byte to the largest a 1500-byte MTU carries in one IPv4/UDP packet.
SIZES = [1, 64, 512, 1000, 1472]
UDP_FRAME_OVERHEAD = 14 + 20 + 8
# testpmd's pages: its pool of 2048 buffers, rings and tables fit well in 64 x 2 MiB.
TESTPMD_HUGEPAGES = 64
HUGEPAGES = Path("/sys/kernel/mm/hugepages/hugepages-2048kB")
LINK_TIMEOUT_S = 60
# testpmd spins a core (it has no idle back-off): on two shared cores a kairod start beside
# it may take longer than the harness's usual 20 s.
START_TIMEOUT_S = 60


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def need_pmds(*names):
    """Skip when testpmd or a driver the test needs is not installed."""
    if TESTPMD is None:
        pytest.skip("dpdk-testpmd is not installed (Debian package dpdk)")
    for name in names:
        if not glob.glob("/usr/lib/*/dpdk/pmds-*/librte_%s.so*" % name):
            pytest.skip("DPDK driver %s is not installed (librte-%s23)"
                        % (name, name.replace("_", "-")))


@pytest.fixture(scope="module")
def hugepages():
    """TESTPMD_HUGEPAGES free 2 MiB pages for testpmd while the module runs, then given back.

    Only what was added is taken away again: pages someone else reserved stay theirs."""
    if not HUGEPAGES.exists():
        pytest.skip("this kernel has no 2 MiB hugepages")
    nr, free = HUGEPAGES / "nr_hugepages", HUGEPAGES / "free_hugepages"
    added = max(0, TESTPMD_HUGEPAGES - int(free.read_text()))
    if added:
        nr.write_text(str(int(nr.read_text()) + added))
    try:
        if int(free.read_text()) < TESTPMD_HUGEPAGES:
            pytest.skip("could not reserve %d free 2 MiB hugepages (%s free): the kernel "
                        "found no contiguous memory for them" % (TESTPMD_HUGEPAGES,
                                                                free.read_text().strip()))
        yield
    finally:
        if added:
            nr.write_text(str(max(0, int(nr.read_text()) - added)))


class TestPmd:
    """dpdk-testpmd as vm2: one virtual device, 5tswap forwarding, started at once.

    Its stdin is a pipe it waits on ("Press enter to exit"): closing it stops testpmd
    cleanly; a testpmd that does not stop is killed.  Its output goes to a log, unbuffered,
    so the test can wait for it to forward."""

    __test__ = False  # not a test class, despite its name
    _count = 0

    def __init__(self, workdir, vdev, hugepages):
        TestPmd._count += 1
        self.log_path = Path(workdir) / ("testpmd-%d.log" % TestPmd._count)
        prefix = "ktp%d_%d" % (os.getpid(), TestPmd._count)
        memory = (["--in-memory", "--single-file-segments", "--iova-mode=va"] if hugepages
                  else ["--no-huge", "--no-shconf", "-m", "128"])
        self.cmd = ["stdbuf", "-o0", "-e0", TESTPMD, "-l", "0-1", "--no-pci",
                    "--file-prefix", prefix, *memory, "--vdev", vdev, "--",
                    "--forward-mode=5tswap", "--auto-start", "--total-num-mbufs=2048"]
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        return self

    def output(self):
        return self.log_path.read_text(errors="replace")

    def wait_forwarding(self, timeout=LINK_TIMEOUT_S):
        """Until testpmd has started forwarding (it waits on stdin from then on)."""
        deadline = time.monotonic() + timeout
        while "Press enter to exit" not in self.output():
            if self.proc.poll() is not None:
                raise RuntimeError("testpmd exited %d:\n%s" % (self.proc.returncode,
                                                              self.output()))
            if time.monotonic() > deadline:
                raise AssertionError("testpmd not forwarding after %d s:\n%s"
                                     % (timeout, self.output()))
            time.sleep(0.1)

    def stop(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(20)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()


class Vm1:
    """kairod's tap interface in a namespace of its own, addressed, with vm2 as a static
    neighbour.  attach() again after a kairod restart: the new kairod makes a new tap."""

    def __init__(self):
        self.name = "kvm%d" % (os.getpid() % 100000)

    def port(self):
        return {"name": self.name, "device": "net_tap0,iface=%s" % self.name}

    def attach(self):
        n = self.name
        if sh("ip", "netns", "pids", n, check=False).returncode != 0:
            sh("ip", "netns", "add", n)
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "-n", n, "link", "set", "lo", "up")
        sh("ip", "link", "set", n, "netns", n)
        sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % n)
        sh("ip", "-n", n, "addr", "add", VM1_IP + "/24", "dev", n)
        sh("ip", "-n", n, "link", "set", n, "up")
        sh("ip", "-n", n, "neigh", "replace", VM2_IP, "lladdr", VM2_MAC, "dev", n,
           "nud", "permanent")

    def teardown(self):
        sh("ip", "netns", "del", self.name, check=False)


class VethVm1(Vm1):
    """vm1 on a veth pair instead: kairod opens the root end with net_af_packet, so the
    interface and the namespace's addresses outlive a kairod (a hand-over keeps them)."""

    def port(self):
        return {"name": self.name, "device": "net_af_packet0,iface=%s" % self.name}

    def attach(self):
        n, inner = self.name, self.name + "i"
        sh("ip", "netns", "add", n)
        sh("ip", "link", "add", n, "type", "veth", "peer", "name", inner)
        sh("ip", "link", "set", inner, "netns", n)
        # No IPv6 on the root end either: what its kernel sends there (router solicitations,
        # MLD) af_packet would take in as vm1's and flood, and the counts below be off.
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % n)
        sh("ip", "link", "set", n, "up")
        sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        # af_packet never fills in a checksum left to "hardware": the namespace writes them.
        sh("ip", "netns", "exec", n, "ethtool", "-K", inner, "tx", "off")
        sh("ip", "-n", n, "link", "set", "lo", "up")
        sh("ip", "-n", n, "addr", "add", VM1_IP + "/24", "dev", inner)
        sh("ip", "-n", n, "link", "set", inner, "up")
        sh("ip", "-n", n, "neigh", "replace", VM2_IP, "lladdr", VM2_MAC, "dev", inner,
           "nud", "permanent")

    def teardown(self):
        sh("ip", "link", "del", self.name, check=False)
        super().teardown()


# From vm1: each payload to vm2's port, and what came back from where (None: nothing in 5 s).
ECHO = """
import json, socket, sys
vm2, port, sizes = sys.argv[1], int(sys.argv[2]), [int(n) for n in sys.argv[3].split(",")]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[4])))
s.settimeout(5)
out = []
for n in sizes:
    data = bytes((i * 7 + n) % 251 for i in range(n))
    s.sendto(data, (vm2, port))
    try:
        got, frm = s.recvfrom(65535)
        out.append({"size": n, "same": got == data, "from": list(frm)})
    except socket.timeout:
        out.append({"size": n, "same": False, "from": None})
print(json.dumps(out))
"""


def echo(vm1, sizes=SIZES):
    r = sh("ip", "netns", "exec", vm1.name, "/usr/bin/python3", "-c", ECHO, VM2_IP,
           str(VM2_PORT), ",".join(map(str, sizes)), str(VM1_PORT))
    return json.loads(r.stdout)


def every_datagram_back(sizes=SIZES):
    return [{"size": n, "same": True, "from": [VM2_IP, VM2_PORT]} for n in sizes]


def ports_by_name(kd):
    return {p["name"]: p for p in kd.ctl("show", "ports")}


def wait_link(kd, name, up=True, timeout=LINK_TIMEOUT_S):
    """Poll kairoctl show ports until the port's link is up (or down); its row."""
    deadline = time.monotonic() + timeout
    while True:
        port = ports_by_name(kd)[name]
        if port["link_up"] == up:
            return port
        if time.monotonic() > deadline:
            raise AssertionError("port %s link not %s after %d s: %s"
                                 % (name, "up" if up else "down", timeout, port))
        time.sleep(0.1)


def udp_flow(kd, in_port):
    """The one UDP flow of packets that came in on DPDK port in_port."""
    flows = kd.ctl("dump", "flows", "--ip-protocol", "17", "--in-port", str(in_port))["flows"]
    assert len(flows) == 1, flows
    return flows[0]


def exchange(kd, vm1, vm2_name="vm2", sizes=SIZES):
    """vm1 sends each size to vm2 and gets it back byte for byte, and kairod counted it all.

    A first pair of datagrams lets the bridge learn both MACs (the first one is flooded, and
    its flow goes when vm2's MAC is learned); after it each direction has its flow.  Then
    every datagram and every answer hits those flows: each counts exactly the measured
    packets and bytes, and so do vm2's port counters (kairoctl show ports)."""
    assert echo(vm1, [1, 1]) == every_datagram_back([1, 1])
    ports = ports_by_name(kd)
    vm1_id, vm2_id = ports[vm1.name]["id"], ports[vm2_name]["id"]
    out_before, back_before = udp_flow(kd, vm1_id), udp_flow(kd, vm2_id)

    assert echo(vm1, sizes) == every_datagram_back(sizes)

    frames = [n + UDP_FRAME_OVERHEAD for n in sizes]
    after = ports_by_name(kd)
    for key, want in (("tx_packets", len(sizes)), ("tx_bytes", sum(frames)),
                      ("rx_packets", len(sizes)), ("rx_bytes", sum(frames))):
        assert after[vm2_name][key] - ports[vm2_name][key] == want, (key, after[vm2_name])
        assert after[vm1.name][key] - ports[vm1.name][key] == want, (key, after[vm1.name])
    out, back = udp_flow(kd, vm1_id), udp_flow(kd, vm2_id)
    assert "ip_src=%s" % VM1_IP in out["match"] and "tp_dst=%d" % VM2_PORT in out["match"]
    assert "ip_src=%s" % VM2_IP in back["match"] and "tp_src=%d" % VM2_PORT in back["match"]
    assert out["actions"] == "output:%d" % vm2_id, out
    assert back["actions"] == "output:%d" % vm1_id, back
    for now, was in ((out, out_before), (back, back_before)):
        assert now["packets"] - was["packets"] == len(sizes), (was, now)
        assert now["bytes"] - was["bytes"] == sum(frames), (was, now)


@pytest.fixture
def vm_ports(tmp_path):
    """Everything the test starts, stopped and removed even when it fails."""
    started = {"kairods": [], "testpmds": [], "sockets": []}
    vm1 = Vm1()
    yield vm1, started
    for tp in started["testpmds"]:
        tp.stop()
    for kd in started["kairods"]:
        try:
            kd.stop()
        except Exception:
            pass
    vm1.teardown()
    for path in started["sockets"]:
        if os.path.exists(path):
            os.unlink(path)


def socket_path(started, what):
    # sun_path holds 107 characters: a short path of its own, not one under tmp_path.
    path = "/tmp/kairo-%s-%d.sock" % (what, os.getpid())
    if os.path.exists(path):
        os.unlink(path)
    started["sockets"].append(path)
    return path


def two_vm_kairod(tmp_path, vm1, vm2_device, started):
    topo = bridge_topology(["p1", "p2"], {"p1": vm1.name, "p2": "vm2"})
    kd = Kairod(tmp_path / "kairod", [vm1.port(), {"name": "vm2", "device": vm2_device}], topo)
    started["kairods"].append(kd)
    return kd


def test_a_vhost_user_vm_served_by_kairod_gets_every_datagram_back(tmp_path, vm_ports,
                                                                   hugepages):
    # kairod is the vhost-user server (it makes the socket, as a VM's QEMU connects with
    # -chardev socket,path=SOCK); testpmd's virtio_user is the client.
    need_pmds("net_vhost", "net_virtio")
    vm1, started = vm_ports
    sock = socket_path(started, "vhost")
    kd = two_vm_kairod(tmp_path, vm1, "net_vhost0,iface=%s,queues=1" % sock, started)
    kd.start(timeout=START_TIMEOUT_S)
    assert ports_by_name(kd)["vm2"]["driver"] == "net_vhost"
    vm1.attach()
    tp = TestPmd(tmp_path, "net_virtio_user0,path=%s,queues=1,mac=%s" % (sock, VM2_MAC),
                 hugepages=True)
    started["testpmds"].append(tp)
    tp.start()
    tp.wait_forwarding()
    wait_link(kd, "vm2")

    exchange(kd, vm1)

    # Each port's RX buffers come from the pool of its socket, and that pool is shown.
    pools = kd.ctl("show", "datapath")["mbuf_pools"]
    for port in ports_by_name(kd).values():
        pool = pools["socket%d" % port["socket"]]
        assert pool["size"] == kd.config["mbufs"] and 0 < pool["in_use"] <= pool["size"]


def test_kairod_as_vhost_user_client_comes_back_to_the_vm_after_a_restart(tmp_path, vm_ports,
                                                                         hugepages):
    # testpmd's virtio_user is the server (as QEMU with -chardev socket,...,server=on, or OVS's
    # dpdkvhostuserclient ports): the socket is the VM's and outlives kairod.  A restarted
    # kairod connects again and the same testpmd, never restarted, answers again.
    need_pmds("net_vhost", "net_virtio")
    vm1, started = vm_ports
    sock = socket_path(started, "vhostc")
    tp = TestPmd(tmp_path, "net_virtio_user0,path=%s,queues=1,server=1,mac=%s"
                 % (sock, VM2_MAC), hugepages=True)
    started["testpmds"].append(tp)
    tp.start()
    # The server waits for its client inside its start-up, with its socket listening.
    deadline = time.monotonic() + LINK_TIMEOUT_S
    while not os.path.exists(sock):
        assert tp.proc.poll() is None, tp.output()
        assert time.monotonic() < deadline, "no vhost-user socket from testpmd:\n" + tp.output()
        time.sleep(0.1)
    kd = two_vm_kairod(tmp_path, vm1, "net_vhost0,iface=%s,queues=1,client=1" % sock, started)
    kd.start(timeout=START_TIMEOUT_S)
    vm1.attach()
    tp.wait_forwarding()
    wait_link(kd, "vm2")
    exchange(kd, vm1)

    kd.stop()
    assert tp.proc.poll() is None, "testpmd did not outlive kairod:\n" + tp.output()
    kd.start(timeout=START_TIMEOUT_S)
    vm1.attach()
    wait_link(kd, "vm2")
    exchange(kd, vm1)
    assert "reconnection succeeds" in tp.output()


def test_kairoctl_restart_hands_a_vhost_user_client_port_over_to_the_new_kairod(tmp_path,
                                                                                hugepages):
    # The hand-over of `kairoctl restart` with the ports that survive it: vm1 on a veth
    # (af_packet), vm2 a testpmd that is the vhost-user server.  The new kairod connects to the
    # same testpmd, never restarted, and every datagram comes back again.
    need_pmds("net_vhost", "net_virtio", "net_af_packet")
    vm1 = VethVm1()
    vm1.teardown()
    started = {"kairods": [], "testpmds": [], "sockets": []}
    try:
        sock = socket_path(started, "vhosth")
        tp = TestPmd(tmp_path, "net_virtio_user0,path=%s,queues=1,server=1,mac=%s"
                     % (sock, VM2_MAC), hugepages=True)
        started["testpmds"].append(tp)
        tp.start()
        deadline = time.monotonic() + LINK_TIMEOUT_S
        while not os.path.exists(sock):
            assert tp.proc.poll() is None, tp.output()
            assert time.monotonic() < deadline, "no vhost-user socket from testpmd"
            time.sleep(0.1)
        vm1.attach()
        kd = two_vm_kairod(tmp_path, vm1, "net_vhost0,iface=%s,queues=1,client=1" % sock,
                           started)
        kd.start(timeout=START_TIMEOUT_S)
        tp.wait_forwarding()
        wait_link(kd, "vm2")
        exchange(kd, vm1)

        old = kd.pid
        result = kd.restart()
        assert kd.pid != old and result["notes"] == []
        assert tp.proc.poll() is None, "testpmd did not outlive the hand-over:\n" + tp.output()
        wait_link(kd, "vm2")
        exchange(kd, vm1)
    finally:
        for t in started["testpmds"]:
            t.stop()
        for k in started["kairods"]:
            try:
                k.stop()
            except Exception:
                pass
        vm1.teardown()
        for path in started["sockets"]:
            if os.path.exists(path):
                os.unlink(path)


def test_a_memif_peer_gets_every_datagram_back_and_reconnects_after_its_restart(tmp_path,
                                                                               vm_ports):
    # kairod is the memif server: it starts whether or not the peer is there, and a peer
    # (the memif client, which connects when it starts) that restarts finds it again.
    need_pmds("net_memif")
    vm1, started = vm_ports
    sock = socket_path(started, "memif")
    kd = two_vm_kairod(tmp_path, vm1, "net_memif0,role=server,socket=%s,id=0" % sock, started)
    kd.start(timeout=START_TIMEOUT_S)
    vm1.attach()
    assert ports_by_name(kd)["vm2"]["link_up"] is False
    vdev = "net_memif0,role=client,socket=%s,id=0,mac=%s" % (sock, VM2_MAC)

    for attempt in range(2):
        tp = TestPmd(tmp_path, vdev, hugepages=False)
        started["testpmds"].append(tp)
        tp.start()
        tp.wait_forwarding()
        wait_link(kd, "vm2")
        exchange(kd, vm1)
        if attempt == 0:
            tp.stop()
            wait_link(kd, "vm2", up=False)


def test_a_memif_vm_port_added_and_removed_at_run_time(tmp_path, vm_ports):
    # An NFV host attaches a VM while kairod runs: vm2's binding waits for its interface,
    # kairoctl port add makes it, the VM's datagrams come back; kairoctl port remove takes it
    # away with its flows, and the binding waits again.
    need_pmds("net_memif")
    vm1, started = vm_ports
    sock = socket_path(started, "memifrt")
    topo = bridge_topology(["p1", "p2"], {"p1": vm1.name, "p2": "vm2"})
    kd = Kairod(tmp_path / "kairod", [vm1.port()], topo)
    started["kairods"].append(kd)
    kd.start(timeout=START_TIMEOUT_S)
    vm1.attach()
    waiting = [r for r in kd.ctl("show", "ports") if r["name"] == "vm2"]
    assert [r["state"] for r in waiting] == ["waiting"]
    added = kd.ctl("port", "add", "vm2", "net_memif0,role=server,socket=%s,id=0" % sock)
    tp = TestPmd(tmp_path, "net_memif0,role=client,socket=%s,id=0,mac=%s" % (sock, VM2_MAC),
                 hugepages=False)
    started["testpmds"].append(tp)
    tp.start()
    tp.wait_forwarding()
    wait_link(kd, "vm2")
    exchange(kd, vm1)

    kd.ctl("port", "remove", "vm2")
    flows = kd.ctl("dump", "flows")["flows"]
    assert not [f for f in flows if "output:%d" % added["id"] in f["actions"] or
                "in_port=%d," % added["id"] in f["match"]], flows
    assert [r["state"] for r in kd.ctl("show", "ports") if r["name"] == "vm2"] == ["waiting"]


def one_vm_port_config(tmp_path, device):
    """A kairod configuration with a null port and the VM port: (config, topology) texts."""
    topo = bridge_topology(["p1", "p2"], {"p1": "null", "p2": "vm2"})
    config = {"topology_file": "topology.json", "mbufs": 4095, "flow_cache": {"capacity": 1024},
              "control": {"socket": "/tmp/kairo-vmsock-%d.sock" % os.getpid()},
              "ports": [{"name": "null", "device": "net_null0,no-rx=1"},
                        {"name": "vm2", "device": device}]}
    return json.dumps(config), json.dumps(topo)


def test_a_vhost_user_socket_left_by_a_dead_kairod_is_replaced_and_one_in_use_is_refused(
        tmp_path, vm_ports):
    need_pmds("net_vhost")
    _, started = vm_ports
    sock = socket_path(started, "vhosts")
    device = "net_vhost0,iface=%s,queues=1" % sock

    # Something listens there (the VM's QEMU as a server, say): refused, and left alone.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock)
    listener.listen(1)
    rc, out = run_kairod_once(tmp_path / "in-use", *one_vm_port_config(tmp_path, device))
    assert rc == 1, out
    assert ('kairod: port "vm2": vhost-user socket %s is in use: a server listens there '
            "already" % sock) in out and "client=1" in out, out
    # Closed without unlinking: what a killed kairod leaves, a socket nobody answers on.
    listener.close()
    assert stat.S_ISSOCK(os.lstat(sock).st_mode)
    topo = bridge_topology(["p1", "p2"], {"p1": "null", "p2": "vm2"})
    kd = Kairod(tmp_path / "stale", [{"name": "null", "device": "net_null0,no-rx=1"},
                                     {"name": "vm2", "device": device}], topo)
    started["kairods"].append(kd)
    kd.start(timeout=START_TIMEOUT_S)
    assert 'port "vm2": removed the stale vhost-user socket %s' % sock in \
        kd.log_path.read_text()
    assert ports_by_name(kd)["vm2"]["link_up"] is False
    kd.stop()

    # A file that is no socket is someone else's: refused, and kept.
    Path(sock).write_text("not a socket\n")
    rc, out = run_kairod_once(tmp_path / "file", *one_vm_port_config(tmp_path, device))
    assert rc == 1, out
    assert ('kairod: port "vm2": vhost-user socket %s is a regular file, not a socket'
            % sock) in out, out
    assert Path(sock).read_text() == "not a socket\n"


def test_kairod_as_a_memif_client_with_no_server_is_refused_saying_why(tmp_path, vm_ports):
    # DPDK's memif client connects once, when its port starts: with no server it would fail
    # with a bare errno.  kairod names the socket and the ways out.
    need_pmds("net_memif")
    _, started = vm_ports
    sock = socket_path(started, "memifc")
    rc, out = run_kairod_once(tmp_path, *one_vm_port_config(
        tmp_path, "net_memif0,role=client,socket=%s,id=0" % sock))
    assert rc == 1, out
    assert ('kairod: port "vm2": no memif server listens on @%s: DPDK\'s memif client '
            "connects only when its port starts" % sock) in out, out
    assert "role=server" in out
