# SPDX-License-Identifier: Apache-2.0
"""A restart keeps connections, NAT bindings and learned MACs: a plain stop and start with
restart.state_file, and the hand-over of `kairoctl restart`.

    vm1 10.1.0.11 (masquerade) --+                                      +-- ext 198.51.100.2
    vm2 10.1.0.12 (floating IP --+ bridge1 -- r1p1 10.1.0.1  r1  r1p2 -- bridge2
        198.51.100.12)           |             198.51.100.1
    vm3 10.1.0.13 --------------+

Every "VM" is a network namespace on a veth pair; kairod opens the root-namespace end with
net_af_packet, so the interface and the namespace's addresses live on while kairod restarts.
A TCP connection through masquerade and one through the floating IP are opened before the
restart and carry on after it: the server sees the same public address and port, and no
reset comes.  vm3's port shows whether a frame to a MAC learned before the restart was flooded.
"""
import json
import os
import signal
import subprocess
import time

import pytest

from kairo_harness import HANG_GUARD_S, Kairod, KairoctlError

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

ROUTER_OUT, FIP, EXT = "198.51.100.1", "198.51.100.12", "198.51.100.2"
HOSTS = {  # role: (address/prefix, gateway, bridge port)
    "vm1": ("10.1.0.11/24", "10.1.0.1", "b1p1"),
    "vm2": ("10.1.0.12/24", "10.1.0.1", "b1p2"),
    "vm3": ("10.1.0.13/24", "10.1.0.1", "b1p3"),
    "ext": ("198.51.100.2/24", None, "b2p1"),
}


def sh(*cmd, check=True, timeout=HANG_GUARD_S):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)


def topology(names):
    pre = {"id": "pre", "rules": [
        {"pos": 1, "type": "dnat", "dst": FIP, "action": "accept", "target": "10.1.0.12"},
        {"pos": 2, "type": "rev_snat", "dst": ROUTER_OUT, "action": "accept"}]}
    post = {"id": "post", "rules": [
        {"pos": 1, "type": "snat", "src": "10.1.0.12", "action": "accept", "target": FIP},
        {"pos": 2, "type": "snat", "out-ports": "r1p2", "action": "accept",
         "target": ROUTER_OUT + ":20000-30000"}]}
    return {
        "bridges": [
            {"id": "bridge1", "ports": [{"id": "b1p1"}, {"id": "b1p2"}, {"id": "b1p3"},
                                        {"id": "b1p9", "peer": "r1p1"}]},
            {"id": "bridge2", "ports": [{"id": "b2p1"}, {"id": "b2p9", "peer": "r1p2"}]},
        ],
        "routers": [{"id": "r1", "inbound_filter": "pre", "outbound_filter": "post", "ports": [
            {"id": "r1p1", "address": "10.1.0.1", "network": "10.1.0.0/24"},
            {"id": "r1p2", "address": ROUTER_OUT, "network": "198.51.100.0/24"}]}],
        "chains": [pre, post],
        "bindings": [{"port": HOSTS[r][2], "interface": names[r]} for r in HOSTS],
    }


def hosts_setup(names):
    """A namespace per role on a veth pair; kairod gets the root end (names[role])."""
    for r, (addr, gw, _) in HOSTS.items():
        ns, root, inner = names[r], names[r], names[r] + "i"
        sh("ip", "netns", "del", ns, check=False)
        sh("ip", "link", "del", root, check=False)
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", root, "type", "veth", "peer", "name", inner)
        sh("ip", "link", "set", inner, "netns", ns)
        sh("ip", "link", "set", root, "up")
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        # A veth leaves checksums to "hardware" that af_packet never fills in: the namespace's
        # kernel writes them, as a VM's NIC driver would.
        sh("ip", "netns", "exec", ns, "ethtool", "-K", inner, "tx", "off")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "addr", "add", addr, "dev", inner)
        sh("ip", "-n", ns, "link", "set", inner, "up")
        if gw:
            sh("ip", "-n", ns, "route", "add", "default", "via", gw)
    sh("ip", "-n", names["ext"], "route", "add", FIP + "/32", "via", ROUTER_OUT)


def hosts_teardown(names):
    for n in names.values():
        sh("ip", "netns", "del", n, check=False)
        sh("ip", "link", "del", n, check=False)


def ports(names):
    return [{"name": names[r], "device": "net_af_packet%d,iface=%s" % (i, names[r])}
            for i, r in enumerate(HOSTS)]


@pytest.fixture
def hosts(tmp_path):
    tag = "r%d" % (os.getpid() % 1000)
    names = {r: "k%s%s" % (tag, r) for r in HOSTS}
    hosts_setup(names)
    kds = []
    try:
        yield names, tmp_path, kds
    finally:
        for kd in kds:
            try:
                kd.stop()
            except Exception:
                pass
        hosts_teardown(names)


# A server that keeps its connection: every line it reads is answered with the address and
# port it sees the client at; every line on its stdin is sent to the client unasked.
SERVER = """
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1)
print("listening", flush=True)
c, peer = s.accept()
def push():
    for line in sys.stdin:
        c.sendall(line.encode())
threading.Thread(target=push, daemon=True).start()
for line in c.makefile("rb"):
    c.sendall(("%s:%d\\n" % peer).encode())
"""

# A client that keeps one connection: each line on stdin goes out and the answer is printed;
# "recv" prints the next line the server sent unasked.  Connecting is retried until the
# deadline (the route may need ARP first).
CLIENT = """
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 20
while True:
    try:
        s = socket.create_connection((host, port), timeout=5)
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.1)
s.settimeout(15)
f = s.makefile("rb")
for line in sys.stdin:
    if line.strip() != "recv":
        s.sendall(line.encode())
    print(f.readline().decode().strip(), flush=True)
"""


class Conversation:
    """A TCP connection from client_ns to host:port, served in server_ns, kept open."""

    def __init__(self, names, server_ns, client_ns, host, port):
        self.srv = subprocess.Popen(["ip", "netns", "exec", names[server_ns], "/usr/bin/python3",
                                     "-c", SERVER, str(port)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.srv.stdout.readline().strip() == "listening", self.srv.stderr.read()
        self.cli = subprocess.Popen(["ip", "netns", "exec", names[client_ns], "/usr/bin/python3",
                                     "-c", CLIENT, host, str(port)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def say(self, word):
        """One line there and back on the same connection: where the server sees us."""
        self.cli.stdin.write(word + "\n")
        self.cli.stdin.flush()
        answer = self.cli.stdout.readline().strip()
        assert answer, "no answer on the connection: %s" % self.cli.stderr.read()
        return answer

    def push(self, word):
        """One line from the server, unasked: the first packet through kairod is an answer."""
        self.srv.stdin.write(word + "\n")
        self.srv.stdin.flush()
        return self.say("recv")

    def close(self):
        for p in (self.cli, self.srv):
            if p.poll() is None:
                p.kill()
            p.wait()


def port_stats(kd, name):
    return next(p for p in kd.stats()["ports"] if p["name"] == name)


def udp_to(names, src, dst_ip, count=1):
    """count datagrams from src to dst_ip:9 (discard), sent with no ARP (a permanent entry)."""
    sh("ip", "netns", "exec", names[src], "/usr/bin/python3", "-c",
       "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
       "for i in range(%d): s.sendto(b'x', ('%s', 9))" % (count, dst_ip))


def mac_of(names, role):
    out = sh("ip", "-n", names[role], "-j", "link", "show", names[role] + "i").stdout
    return json.loads(out)[0]["address"]


def learn_and_pin(names, kd):
    """vm2 and vm1 speak (kairod learns their MACs); vm1 gets a permanent neighbour entry for vm2
    so that what it sends to vm2 later needs no ARP broadcast."""
    sh("ip", "netns", "exec", names["vm2"], "ping", "-c", "1", "-W", "2", "10.1.0.11")
    sh("ip", "-n", names["vm1"], "neigh", "replace", "10.1.0.12", "lladdr", mac_of(names, "vm2"),
       "dev", names["vm1"] + "i", "nud", "permanent")


# Counts the frames to vm2's MAC and UDP port 9 that reach vm3's interface (a packet socket sees
# frames for other MACs too), until a line comes on stdin.
SNIFFER = """
import select, socket, sys
mac = bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
print("ready", flush=True)
n = 0
while True:
    r, _, _ = select.select([s, sys.stdin], [], [])
    if sys.stdin in r:
        break
    f = s.recv(2048)
    if f[:6] == mac and f[12:14] == b"\\x08\\x00" and f[23] == 17 and f[36:38] == b"\\x00\\x09":
        n += 1
print(n, flush=True)
"""


def assert_no_flood_to_vm3(names, kd):
    """Datagrams from vm1 to vm2's MAC go out of vm2's port alone: none reaches vm3."""
    sniff = subprocess.Popen(["ip", "netns", "exec", names["vm3"], "/usr/bin/python3", "-c",
                              SNIFFER, names["vm3"] + "i", mac_of(names, "vm2")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert sniff.stdout.readline().strip() == "ready"
        vm2_before = port_stats(kd, names["vm2"])["tx_packets"]
        udp_to(names, "vm1", "10.1.0.12", count=20)
        kd.wait_for(lambda s: next(p for p in s["ports"] if p["name"] == names["vm2"])
                    ["tx_packets"] >= vm2_before + 20, what="20 datagrams out of vm2's port")
        out, _ = sniff.communicate("stop\n", timeout=10)
        assert out.strip() == "0", "%s datagrams for vm2 flooded to vm3" % out.strip()
    finally:
        if sniff.poll() is None:
            sniff.kill()
            sniff.wait()


def test_a_stop_and_start_with_a_state_file_keeps_connections_bindings_and_macs(hosts):
    names, tmp, kds = hosts
    state = tmp / "kairo.state"
    kd = Kairod(tmp, ports(names), topology(names),
                extra_config={"restart": {"state_file": str(state)}})
    kds.append(kd)
    kd.start()
    masq = Conversation(names, "ext", "vm1", EXT, 7000)
    fip = Conversation(names, "vm2", "ext", FIP, 7001)
    try:
        seen_masq = masq.say("one")
        assert seen_masq.startswith(ROUTER_OUT + ":")
        seen_fip = fip.say("one")
        assert seen_fip.startswith(EXT + ":")
        learn_and_pin(names, kd)
        kd.stop()
        assert state.exists()
        kd.start()
        assert "restored" in kd.log_path.read_text()
        assert not state.exists() and (tmp / "kairo.state.loaded").exists()
        # Before anything else goes through: vm2's MAC is known, not flooded for.
        assert_no_flood_to_vm3(names, kd)
        # The answers come first: they find the binding; a reset would end the client.
        assert masq.push("two") == "two"
        assert fip.push("two") == "two"
        assert masq.say("three") == seen_masq
        assert fip.say("three") == seen_fip
    finally:
        masq.close()
        fip.close()


def test_kairoctl_restart_hands_over_and_keeps_connections_bindings_and_macs(hosts):
    names, tmp, kds = hosts
    kd = Kairod(tmp, ports(names), topology(names))
    kds.append(kd)
    kd.start()
    masq = Conversation(names, "ext", "vm1", EXT, 7000)
    fip = Conversation(names, "vm2", "ext", FIP, 7001)
    try:
        seen_masq = masq.say("one")
        assert seen_masq.startswith(ROUTER_OUT + ":")
        seen_fip = fip.say("one")
        assert seen_fip.startswith(EXT + ":")
        learn_and_pin(names, kd)
        old = kd.pid
        result = kd.restart()
        assert kd.pid != old and result["pid"] == kd.pid
        with pytest.raises(ProcessLookupError):
            os.kill(old, 0)
        assert result["notes"] == []  # af_packet ports: nothing lost
        assert_no_flood_to_vm3(names, kd)
        assert masq.push("two") == "two"
        assert fip.push("two") == "two"
        assert masq.say("three") == seen_masq
        assert fip.say("three") == seen_fip
        # The new process answers on the same socket, and a second restart works alike.
        result = kd.restart()
        assert masq.push("four") == "four"
        assert masq.say("five") == seen_masq
    finally:
        masq.close()
        fip.close()
    kd.stop()
    assert "handed over" in kd.output


def test_a_restart_into_a_config_made_invalid_is_refused_and_the_old_one_forwards_on(hosts):
    names, tmp, kds = hosts
    kd = Kairod(tmp, ports(names), topology(names))
    kds.append(kd)
    kd.start()
    masq = Conversation(names, "ext", "vm1", EXT, 7000)
    try:
        seen = masq.say("one")
        good = (tmp / "kairod.json").read_text()
        bad = json.loads(good)
        bad["flow_cache"]["capacity"] = 1  # below the minimum
        (tmp / "kairod.json").write_text(json.dumps(bad))
        with pytest.raises(KairoctlError) as e:
            kd.ctl("restart")
        assert "kairod.json" in e.value.stderr and "flow_cache.capacity" in e.value.stderr
        assert "forwards on" in e.value.stderr
        (tmp / "kairod.json").write_text(good)
        assert kd.poll() is None
        assert masq.say("two") == seen
    finally:
        masq.close()


def test_a_port_added_at_run_time_is_still_there_after_kairoctl_restart(hosts):
    # vm3's interface is not in the config file: kairoctl adds it, and the new kairod must
    # open it too, or every VM attached since the start would lose its port to a restart.
    names, tmp, kds = hosts
    file_ports = [p for p in ports(names) if p["name"] != names["vm3"]]
    vm3 = next(p for p in ports(names) if p["name"] == names["vm3"])
    kd = Kairod(tmp, file_ports, topology(names))
    kds.append(kd)
    kd.start()
    kd.ctl("port", "add", vm3["name"], vm3["device"])
    ping = ["ip", "netns", "exec", names["vm1"], "ping", "-c", "1", "-W", "2", "10.1.0.13"]
    deadline = time.monotonic() + 20
    while sh(*ping, check=False).returncode != 0:
        assert time.monotonic() < deadline, "vm1 never reached vm3 through the added port"
    kd.restart()
    rows = {r["name"]: r for r in kd.ctl("show", "ports")}
    assert rows[names["vm3"]]["state"] == "bound" and rows[names["vm3"]]["binding"] == "b1p3"
    deadline = time.monotonic() + 20
    while sh(*ping, check=False).returncode != 0:
        assert time.monotonic() < deadline, "vm1 cannot reach vm3 after the restart"
    kd.stop()
    assert "port(s) added at run time taken over" in kd.output


def test_a_port_added_at_run_time_is_opened_again_after_a_stop_and_start(hosts):
    # What a systemd restart does: restart.state_file keeps the ports kairoctl added beside
    # the state image, and the next start opens them with the file's.
    names, tmp, kds = hosts
    state = tmp / "kairo.state"
    file_ports = [p for p in ports(names) if p["name"] != names["vm3"]]
    vm3 = next(p for p in ports(names) if p["name"] == names["vm3"])
    kd = Kairod(tmp, file_ports, topology(names),
                extra_config={"restart": {"state_file": str(state)}})
    kds.append(kd)
    kd.start()
    kd.ctl("port", "add", vm3["name"], vm3["device"])
    kd.stop()
    assert json.loads((tmp / "kairo.state.ports").read_text()) == [
        {"name": vm3["name"], "device": vm3["device"], "role": "vport", "rx_queues": 1,
         "rx_desc": 1024, "tx_desc": 1024, "promiscuous": True}]
    kd.start()
    rows = {r["name"]: r for r in kd.ctl("show", "ports")}
    assert rows[names["vm3"]]["state"] == "bound" and rows[names["vm3"]]["binding"] == "b1p3"
    ping = ["ip", "netns", "exec", names["vm1"], "ping", "-c", "1", "-W", "2", "10.1.0.13"]
    deadline = time.monotonic() + 20
    while sh(*ping, check=False).returncode != 0:
        assert time.monotonic() < deadline, "vm1 cannot reach vm3 after the stop and start"
    kd.stop()
    assert "1 port(s) added at run time opened again" in kd.output
