# SPDX-License-Identifier: Apache-2.0
"""NAT between real kernels: a masqueraded VM and a VM with a floating IP, behind kairod's router.

    vm1 10.1.0.11 (masquerade) --+                                      +-- ext 198.51.100.2
                                 bridge1 -- r1p1 10.1.0.1  r1  r1p2 198.51.100.1 -- bridge2
    vm2 10.1.0.12 (floating IP --+
        198.51.100.12)

The outside knows nothing of 10.1.0.0/24: it has its own subnet and a route to the floating IP
by the router.  The kernels at the ends check every IPv4, TCP, UDP and ICMP checksum of what
kairod translated, and answer only what reached them intact.
"""
import os
import select
import subprocess
import time

import pytest

from kairo_harness import HANG_GUARD_S, Kairod, flows_matching

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

ROUTER_OUT, FIP, EXT = "198.51.100.1", "198.51.100.12", "198.51.100.2"
HOSTS = {  # role: (address/prefix, gateway, bridge port)
    "vm1": ("10.1.0.11/24", "10.1.0.1", "b1p1"),
    "vm2": ("10.1.0.12/24", "10.1.0.1", "b1p2"),
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
            {"id": "bridge1", "ports": [{"id": "b1p1"}, {"id": "b1p2"},
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
    """Move kairod's taps into a namespace each (named by role), addressed as HOSTS says."""
    for r, (addr, gw, _) in HOSTS.items():
        n = names[r]
        sh("ip", "netns", "del", n, check=False)
        sh("ip", "netns", "add", n)
        sh("ip", "link", "set", n, "netns", n)
        sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        sh("ip", "-n", n, "link", "set", "lo", "up")
        sh("ip", "-n", n, "addr", "add", addr, "dev", n)
        sh("ip", "-n", n, "link", "set", n, "up")
        if gw:
            sh("ip", "-n", n, "route", "add", "default", "via", gw)
    # The outside reaches the floating IP by the router, as an upstream router would.
    sh("ip", "-n", names["ext"], "route", "add", FIP + "/32", "via", ROUTER_OUT)


@pytest.fixture
def nat_hosts(tmp_path):
    tag = "n%d" % (os.getpid() % 1000)
    names = {r: "k%s%s" % (tag, r) for r in HOSTS}
    ports = [{"name": names[r], "device": "net_tap%d,iface=%s" % (i, names[r])}
             for i, r in enumerate(HOSTS)]
    kd = Kairod(tmp_path, ports, topology(names))
    kd.start()
    try:
        hosts_setup(names)
        yield kd, names
    finally:
        for n in names.values():
            sh("ip", "netns", "del", n, check=False)
        kd.stop()


# A one-shot server: accepts one TCP connection (or one UDP datagram), answers with the address
# it saw the client come from, and prints that address.
SERVER = """
import socket, sys
proto, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.settimeout(15)
if proto == "tcp":
    s.listen(1)
print("ready", flush=True)
if proto == "tcp":
    c, peer = s.accept()
    c.recv(100)
    c.sendall(("seen %s:%d" % peer).encode())
    c.close()
else:
    data, peer = s.recvfrom(100)
    s.sendto(("seen %s:%d" % peer).encode(), peer)
print("%s:%d" % peer, flush=True)
"""

CLIENT = """
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.settimeout(10)
s.bind(("0.0.0.0", 4242))
if proto == "tcp":
    s.connect((host, port))
    s.sendall(b"hello")
    print(s.recv(100).decode(), flush=True)
else:
    s.sendto(b"hello", (host, port))
    data, peer = s.recvfrom(100)
    print(data.decode(), "from %s:%d" % peer, flush=True)
"""


def start_server(names, ns, code, *args, stdin=None):
    """Run a server's code in ns; return once it says it is bound (its first line, "ready")."""
    srv = subprocess.Popen(["ip", "netns", "exec", names[ns], "/usr/bin/python3", "-c", code,
                            *args], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    ready, _, _ = select.select([srv.stdout], [], [], HANG_GUARD_S)
    line = srv.stdout.readline() if ready else ""
    if line.strip() != "ready":
        srv.kill()
        raise RuntimeError("the server in %s did not start: %r %s" % (ns, line, srv.stderr.read()))
    return srv


def exchange(names, server_ns, client_ns, proto, connect_to, port=7000):
    """Run SERVER in server_ns and CLIENT in client_ns; return (server's view, client's view)."""
    srv = start_server(names, server_ns, SERVER, proto, str(port))
    cli = sh("ip", "netns", "exec", names[client_ns], "/usr/bin/python3", "-c", CLIENT, proto,
             connect_to, str(port), check=False, timeout=30)
    out, err = srv.communicate(timeout=30)
    assert cli.returncode == 0, cli.stderr
    assert srv.returncode == 0, err
    return out.strip(), cli.stdout.strip()


def ping(names, src, dst, count=2):
    return sh("ip", "netns", "exec", names[src], "ping", "-c", str(count), "-i", "0.3", "-W",
              "2", dst, check=False, timeout=30)


@pytest.mark.parametrize("proto", ["tcp", "udp"])
def test_masqueraded_vm_reaches_the_outside_which_sees_only_the_router(nat_hosts, proto):
    kd, names = nat_hosts
    seen, answer = exchange(names, "ext", "vm1", proto, EXT)
    addr, port = seen.split(":")
    assert addr == ROUTER_OUT and 20000 <= int(port) <= 30000
    # The answer came back through rev_snat to the VM's own port, checksums intact.
    assert answer.startswith("seen %s" % seen)
    stats = kd.stats()
    out_flows = flows_matching(stats, ip_src="10.1.0.11", ip_dst=EXT, tp_src=4242)
    assert out_flows and "set_ipv4_src:%s:%s" % (ROUTER_OUT, port) in out_flows[0]["actions"]
    back = flows_matching(stats, ip_src=EXT, ip_dst=ROUTER_OUT, tp_dst=int(port))
    assert back and "set_ipv4_dst:10.1.0.11:4242" in back[0]["actions"]
    assert stats["slow_path"]["nat_bindings"] >= 1


def test_both_vms_ping_out_and_get_their_own_replies(nat_hosts):
    kd, names = nat_hosts
    for vm in ("vm1", "vm2"):
        r = ping(names, vm, EXT)
        assert " 0% packet loss" in r.stdout, (vm, r.stdout, r.stderr)
    stats = kd.stats()
    assert flows_matching(stats, ip_src="10.1.0.12", ip_dst=EXT, icmp_type=8)
    assert any("set_ipv4_src:%s" % FIP in f["actions"]
               for f in flows_matching(stats, ip_src="10.1.0.12", icmp_type=8))


def test_the_floating_ip_is_reachable_from_outside_with_the_source_kept(nat_hosts):
    kd, names = nat_hosts
    r = ping(names, "ext", FIP)
    assert " 0% packet loss" in r.stdout, r.stdout + r.stderr
    seen, answer = exchange(names, "vm2", "ext", "tcp", FIP, port=8080)
    # The VM sees the real client; the client sees the floating IP answer.
    assert seen == "%s:4242" % EXT
    assert answer == "seen %s:4242" % EXT
    stats = kd.stats()
    assert stats["slow_path"]["nat_static"] >= 2


# A connected UDP socket hears of an ICMP error only when the quoted packet is exactly what it
# sent (its own address and port to the peer's): the kernel matches the quote to the socket.
REFUSED = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.bind(("0.0.0.0", 4343))
s.connect((sys.argv[1], 9))  # nothing listens on port 9 out there: port unreachable
s.send(b"anyone?")
try:
    s.recv(100)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
"""


def test_an_icmp_error_about_a_masqueraded_packet_reaches_the_vm_quoting_its_own(nat_hosts):
    kd, names = nat_hosts
    before = kd.stats()["slow_path"]["nat_icmp_errors"]
    r = sh("ip", "netns", "exec", names["vm1"], "/usr/bin/python3", "-c", REFUSED, EXT,
           check=False, timeout=30)
    # The outside's port unreachable was about 198.51.100.1:2xxxx; rev_snat turned the outer
    # destination and the quoted source back to 10.1.0.11:4343, or the VM's kernel would not
    # have matched it to the socket.
    assert r.stdout.strip() == "refused", r.stdout + r.stderr
    assert kd.stats()["slow_path"]["nat_icmp_errors"] == before + 1


# ---- fragmented datagrams through NAT, both ways, seen whole by the kernels at the ends -------

# Receives one datagram of any size, prints its length, its hash and where it came from, and
# sends the same bytes back: a datagram larger than the MTU goes fragmented both ways.
ECHO_SERVER = """
import hashlib, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(15)
print("ready", flush=True)
data, peer = s.recvfrom(65535)
s.sendto(data, peer)
print(len(data), hashlib.sha256(data).hexdigest(), "%s:%d" % peer, flush=True)
"""

# Sends SIZE bytes (a fixed pattern, so both ends know its hash) and prints what came back.
ECHO_CLIENT = """
import hashlib, socket, sys
host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytes(i * 7 % 251 for i in range(size))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind(("0.0.0.0", 4444))
s.sendto(data, (host, port))
back, peer = s.recvfrom(65535)
print(len(back), hashlib.sha256(back).hexdigest(), hashlib.sha256(data).hexdigest(),
      "%s:%d" % peer, flush=True)
"""


# Every IPv4 packet on an interface, both ways, one line each: sources, destinations (a quoted
# header's too, for an ICMP error), id, MF, fragment offset (8-byte units), tab-separated as
# tshark's fields would be.  An AF_PACKET socket gets each packet as it crosses the interface,
# so once the exchange is over everything is queued: the sniffer drains that when its stdin
# closes, and no capture duration has to guess how long a loaded machine takes.
SNIFFER = """
import select, socket, struct, sys
# ETH_P_ALL: a socket of one protocol is not given the packets the interface sends.
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind((sys.argv[1], 0))
print("ready", flush=True)
def line(p):
    ip = p[14:]
    ihl, ff = (ip[0] & 15) * 4, struct.unpack("!H", ip[6:8])[0]
    srcs, dsts = [socket.inet_ntoa(ip[12:16])], [socket.inet_ntoa(ip[16:20])]
    if ip[9] == 1 and ff & 0x1fff == 0 and len(ip) >= ihl + 28 and ip[ihl] in (3, 11, 12):
        q = ip[ihl + 8:]
        srcs.append(socket.inet_ntoa(q[12:16]))
        dsts.append(socket.inet_ntoa(q[16:20]))
    return "%s\t%s\t0x%04x\t%d\t%d" % (",".join(srcs), ",".join(dsts),
                                       struct.unpack("!H", ip[4:6])[0], ff >> 13 & 1, ff & 0x1fff)
stopping = False
while True:
    ready, _, _ = select.select([s] + ([] if stopping else [sys.stdin]), [], [],
                                0 if stopping else None)
    if not stopping and sys.stdin in ready:
        sys.stdin.read()
        stopping = True
    elif s in ready:
        p = s.recv(65535)
        if p[12:14] == b"\\x08\\x00":
            print(line(p), flush=True)
    elif stopping:
        break
"""


def capture_ext(names):
    """Every IPv4 packet on the outside's interface, from the moment this returns."""
    return start_server(names, "ext", SNIFFER, names["ext"], stdin=subprocess.PIPE)


def captured(cap):
    """One list of fields a packet; a field lists every occurrence (an ICMP error's quote too)."""
    out, _ = cap.communicate(input="", timeout=60)
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def private(lines):
    """Packets naming an address of the VMs' network, outside or in a quote."""
    return [line for line in lines
            if any(a.startswith("10.") for a in line[0].split(",") + line[1].split(","))]


def echo_exchange(names, server_ns, client_ns, connect_to, port, size=4000):
    srv = start_server(names, server_ns, ECHO_SERVER, str(port))
    cli = sh("ip", "netns", "exec", names[client_ns], "/usr/bin/python3", "-c", ECHO_CLIENT,
             connect_to, str(port), str(size), check=False, timeout=30)
    out, err = srv.communicate(timeout=30)
    assert srv.returncode == 0, "the server got no whole datagram: " + err
    assert cli.returncode == 0, "the client got no whole answer: " + cli.stderr
    return out.split(), cli.stdout.split()


def fragments_of(lines, src):
    return [line for line in lines if line[0] == src and line[4] not in ("", "0")]


@pytest.mark.parametrize("size", [4000, 20000])
def test_a_fragmented_datagram_of_a_masqueraded_vm_arrives_whole_and_so_does_the_answer(
        nat_hosts, size):
    kd, names = nat_hosts
    cap = capture_ext(names)
    (n, digest, peer), (n_back, back, sent, from_) = echo_exchange(names, "ext", "vm1", EXT,
                                                                   7100, size)
    lines = captured(cap)
    # The outside got all of it, from the router's address, and answered all of it.
    addr, port = peer.split(":")
    assert int(n) == size and digest == sent and addr == ROUTER_OUT
    assert 20000 <= int(port) <= 30000
    assert int(n_back) == size and back == sent and from_ == "%s:7100" % EXT
    # Nothing left the router with the VM's address; both ways went fragmented.
    assert private(lines) == []
    assert fragments_of(lines, ROUTER_OUT) and fragments_of(lines, EXT)
    stats = kd.stats()
    assert stats["slow_path"]["nat_frag_followed"] >= 2 * (size // 1480)
    assert stats["drops"]["nat_frag_no_header"] == 0


def test_a_fragmented_ping_of_a_masqueraded_vm_gets_its_fragmented_replies(nat_hosts):
    kd, names = nat_hosts
    cap = capture_ext(names)
    r = sh("ip", "netns", "exec", names["vm1"], "ping", "-c", "2", "-i", "0.3", "-W", "2",
           "-s", "3000", EXT, check=False, timeout=30)
    lines = captured(cap)
    assert " 0% packet loss" in r.stdout, r.stdout + r.stderr
    assert private(lines) == []
    assert fragments_of(lines, ROUTER_OUT) and fragments_of(lines, EXT)


def test_fragmented_datagrams_to_and_from_the_floating_ip_arrive_whole(nat_hosts):
    # Static NAT rewrites addresses only: each fragment alike, the two flows cached.
    kd, names = nat_hosts
    cap = capture_ext(names)
    (n, digest, peer), (n_back, back, sent, from_) = echo_exchange(names, "vm2", "ext", FIP,
                                                                   7200)
    lines = captured(cap)
    assert int(n) == 4000 and digest == sent and peer == "%s:4444" % EXT
    assert int(n_back) == 4000 and back == sent and from_ == "%s:7200" % FIP
    assert private(lines) == []
    assert fragments_of(lines, FIP) and fragments_of(lines, EXT)
    stats = kd.stats()
    assert flows_matching(stats, ip_src="10.1.0.12", frag="later")
    assert flows_matching(stats, ip_dst=FIP, frag="later")
