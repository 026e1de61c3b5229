# SPDX-License-Identifier: Apache-2.0
"""MidoNet's L2 gateway against a Linux bridge with spanning tree as the physical switch.

    ns vm: VM 10.0.10.2 -tap- kairod: b10 ─ g10 (access 10) ─ gw ─┬─ ta (trunk 10) -tap─┐
                                                                  └─ tb (trunk 10) -tap─┤
    ns ph: physical host 10.0.10.1 ══veth══ hp ─────────── sw0 (ns sw, STP) ──────────────┘

Both trunks are bound on one kairod (in MidoNet, on two hosts).  sw0 sends its BPDUs out of
both ports; the gateway hands each from one trunk to the other, so sw0 hears its own BPDUs and
blocks one port: the test asserts that from sw0's port states.  The VM pings the physical host
through the forwarding port; that port is taken down, sw0's spanning tree unblocks the other
(max age, then listening and learning: forward_delay twice), the host's MAC shows up on the
other trunk and the gateway moves it there: the test measures the time until pings answer
again and prints it.

This kernel may lack 802.1Q devices, tc's vlan action and bridge VLAN filtering, so sw0 is a
bridge without VLAN filtering (it forwards tagged frames as they are) and the physical host is
a scapy responder in VLAN 10: it answers ARP and echo requests tagged 10 and, as a host on a
busy segment does, sends a tagged gratuitous ARP every half second.
"""
import os
import subprocess
import sys
import time

import pytest

from kairo_harness import Kairod, flows_matching, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

HANG_GUARD_S = 120
HOST_MAC = "02:00:00:00:10:01"
BPDU_DST = "01:80:C2:00:00:00"
# sw0's timers (centiseconds, as ip-link takes them): small, so that a failover takes seconds.
FORWARD_DELAY_CS = 400
HELLO_CS = 100
MAX_AGE_CS = 600
STATE_FORWARDING, STATE_BLOCKING = 3, 4

RESPONDER = r"""
import sys, threading, time
from scapy.all import ARP, Dot1Q, Ether, ICMP, IP, conf
iface, mac, ip = sys.argv[1:4]
s = conf.L2socket(iface=iface)

def tagged(dst):
    return Ether(src=mac, dst=dst) / Dot1Q(vlan=10)

def announce():
    while True:
        s.send(tagged("ff:ff:ff:ff:ff:ff") / ARP(op=2, hwsrc=mac, psrc=ip,
                                                  hwdst="ff:ff:ff:ff:ff:ff", pdst=ip))
        time.sleep(0.5)

threading.Thread(target=announce, daemon=True).start()
print("ready", flush=True)
while True:
    p = s.recv()
    if p is None or Dot1Q not in p or p[Dot1Q].vlan != 10 or p.src == mac:
        continue
    if ARP in p and p[ARP].op == 1 and p[ARP].pdst == ip:
        s.send(tagged(p.src) / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=p[ARP].hwsrc,
                                   pdst=p[ARP].psrc))
    elif ICMP in p and p[ICMP].type == 8 and p[IP].dst == ip:
        s.send(tagged(p.src) / IP(src=ip, dst=p[IP].src) /
               ICMP(type=0, id=p[ICMP].id, seq=p[ICMP].seq) / bytes(p[ICMP].payload))
"""


def sh(*cmd, check=True, timeout=HANG_GUARD_S):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)


def topology(names):
    return {"bridges": [
        {"id": "gw", "ports": [{"id": "ta", "trunk_vlans": [10]},
                               {"id": "tb", "trunk_vlans": [10]},
                               {"id": "g10", "vlan": 10, "peer": "b10/up"}]},
        {"id": "b10", "ports": [{"id": "b10/up"}, {"id": "vm10"}]}],
        "bindings": [{"port": "ta", "interface": "ta"}, {"port": "tb", "interface": "tb"},
                     {"port": "vm10", "interface": "vm"}]}


def test_the_switch_blocks_a_trunk_and_fails_over_to_it(tmp_path):
    tag = "%d" % (os.getpid() % 1000)
    ns = {"sw": "klsw" + tag, "ph": "klph" + tag, "vm": "klvm" + tag}
    tap = {"ta": "kla" + tag, "tb": "klb" + tag, "vm": "klv" + tag}
    ports = [{"name": n, "device": "net_tap%d,iface=%s" % (i, tap[n])}
             for i, n in enumerate(("ta", "tb", "vm"))]
    responder = None
    kd = Kairod(tmp_path, ports, topology(tap))
    kd.start()
    try:
        for n in ns.values():
            sh("ip", "netns", "del", n, check=False)
            sh("ip", "netns", "add", n)
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
            sh("ip", "-n", n, "link", "set", "lo", "up")
        sw, ph, vm = ns["sw"], ns["ph"], ns["vm"]
        # The VM.
        sh("ip", "link", "set", tap["vm"], "netns", vm)
        sh("ip", "-n", vm, "addr", "add", "10.0.10.2/24", "dev", tap["vm"])
        sh("ip", "-n", vm, "link", "set", tap["vm"], "up")
        # The physical switch, its timers small, its trunk ports the gateway's taps.
        sh("ip", "-n", sw, "link", "add", "name", "sw0", "type", "bridge", "stp_state", "1",
           "forward_delay", str(FORWARD_DELAY_CS), "hello_time", str(HELLO_CS),
           "max_age", str(MAX_AGE_CS))
        sh("ip", "-n", sw, "link", "set", "sw0", "up")
        for t in ("ta", "tb"):
            sh("ip", "link", "set", tap[t], "netns", sw)
            sh("ip", "-n", sw, "link", "set", tap[t], "master", "sw0")
            sh("ip", "-n", sw, "link", "set", tap[t], "up")
        # The physical host on a third port of the switch.
        sh("ip", "-n", sw, "link", "add", "hp", "type", "veth", "peer", "name", "hh",
           "netns", ph)
        sh("ip", "-n", sw, "link", "set", "hp", "master", "sw0")
        sh("ip", "-n", sw, "link", "set", "hp", "up")
        sh("ip", "-n", ph, "link", "set", "hh", "address", HOST_MAC)
        sh("ip", "-n", ph, "link", "set", "hh", "up")
        responder = subprocess.Popen(["ip", "netns", "exec", ph, sys.executable, "-c",
                                      RESPONDER, "hh", HOST_MAC, "10.0.10.1"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert responder.stdout.readline().strip() == "ready", responder.stderr.read()

        def state(t):
            return int(sh("ip", "netns", "exec", sw, "cat",
                          "/sys/class/net/%s/brport/state" % tap[t]).stdout)

        # 1. sw0 hears its own BPDUs back through the gateway: one port blocks, one forwards.
        states = wait_until(lambda: (lambda s: s if sorted(s.values()) == [STATE_FORWARDING,
                                                                           STATE_BLOCKING] else None)(
            {t: state(t) for t in ("ta", "tb")}), 60, "one trunk port blocking, one forwarding")
        active = [t for t, s in states.items() if s == STATE_FORWARDING][0]
        standby = "tb" if active == "ta" else "ta"
        print("sw0: %s forwarding, %s blocking" % (active, standby))
        assert kd.ctl("show", "drops").get("bridge_bpdu", 0) == 0
        # sw0's BPDUs (one per hello time) after the first hit the cached flow.
        kd.wait_for(lambda s: any(f["packets"] >= 2 for f in flows_matching(
            s, eth_dst=BPDU_DST)), timeout=15, what="BPDUs hitting their cached flow")

        def ping():
            return sh("ip", "netns", "exec", vm, "ping", "-c", "1", "-W", "1",
                      "10.0.10.1", check=False).returncode == 0

        # 2. The VM reaches the physical host through the active trunk.
        wait_until(ping, 30, "the VM's first ping answered")
        before = kd.stats()
        # 3. The active link goes away; the standby port is still blocking at that moment.
        assert state(standby) == STATE_BLOCKING
        sh("ip", "-n", sw, "link", "set", tap[active], "down")
        t0 = time.monotonic()
        wait_until(ping, 60, "pings answered again after the failover")
        failover = time.monotonic() - t0
        print("failover: %.1f s (sw0 max_age %d s, forward_delay %d s)"
              % (failover, MAX_AGE_CS // 100, FORWARD_DELAY_CS // 100))
        after = kd.stats()
        assert state(standby) == STATE_FORWARDING
        # The host's MAC moved to the other trunk in the gateway; its flows went with it.
        assert after["slow_path"]["mac_moved"] > before["slow_path"]["mac_moved"]
        assert after["flow_cache"]["invalidated"] > before["flow_cache"]["invalidated"]
    finally:
        if responder is not None:
            responder.kill()
            responder.wait()
        for n in ns.values():
            sh("ip", "netns", "del", n, check=False)
        kd.stop()
