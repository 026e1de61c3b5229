# SPDX-License-Identifier: Apache-2.0
"""One kairod per control socket.  A second kairod started with the same configuration is
refused before it touches a device or a file: it names the running one (its socket, the lock
file it holds, its pid) and exits 1, and the first one's output goes on as if nothing happened.
The lock is the file CONTROL_SOCKET.lock, which holds the daemon's pid while it runs."""
import os
import signal
import socket
import subprocess
import time

from scapy.all import IP, UDP, Ether, Raw, rdpcap

from kairo_harness import Kairod, bridge_topology, write_pcap

MARK = b"kairo-single-instance-"


def frame(i):
    return Ether(src="02:00:00:00:00:0a", dst="ff:ff:ff:ff:ff:ff") / \
        IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000 + i, dport=2000) / \
        Raw(MARK + b"%04d" % i)


def marked(path):
    """The numbers of the marked frames in the capture at path, in file order."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    return [int(bytes(p)[-4:]) for p in rdpcap(str(path)) if MARK in bytes(p)]


def send(iface, frames):
    """Frames into the tap from the kernel's side: kairod receives them on its port."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for f in frames:
        s.send(bytes(f))
    s.close()


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def tap_to_capture_daemon(tmp_path, tap):
    """kairod bridging a tap (frames in) to a net_pcap port (frames out, to out.pcap)."""
    write_pcap(tmp_path / "empty.pcap", [])
    # The capture port comes first: a second daemon that opened devices would open it first.
    ports = [{"name": "cap", "device": "net_pcap0,rx_pcap=%s,tx_pcap=%s"
              % (tmp_path / "empty.pcap", tmp_path / "out.pcap")},
             {"name": "vm", "device": "net_tap0,iface=%s" % tap}]
    topo = bridge_topology(["pcap", "pvm"], {"pcap": "cap", "pvm": "vm"})
    return Kairod(tmp_path / "first", ports, topo)


def test_a_second_kairod_is_refused_before_touching_the_first_ones_devices(tmp_path):
    tap = "ksi%d" % (os.getpid() % 10000)
    out = tmp_path / "out.pcap"
    kd = tap_to_capture_daemon(tmp_path, tap)
    lock = kd.socket + ".lock"
    with kd:
        subprocess.run(["ip", "link", "set", "dev", tap, "up"], check=True)
        send(tap, [frame(i) for i in range(5)])
        wait_until(lambda: marked(out) == list(range(5)), 20, "the first five frames")

        # The same command line and configuration again (only EAL's file prefix differs).
        second = subprocess.run(kd.command(), capture_output=True, text=True, timeout=60)
        said = second.stdout + second.stderr
        # The first one's capture is untouched (a probed net_pcap port would truncate it).
        assert marked(out) == list(range(5)), said
        assert second.returncode == 1, said
        assert "control.socket: %s is in use by another kairod (pid %d), which holds %s" \
            % (kd.socket, kd.proc.pid, lock) in said, said
        # Refused before EAL started: no device was probed.
        assert "EAL:" not in said, said
        # The lock file names the daemon that holds it.
        assert open(lock).read().strip() == str(kd.proc.pid)

        # The first one forwards on, into the same capture file.
        send(tap, [frame(i) for i in range(5, 10)])
        wait_until(lambda: marked(out) == list(range(10)), 20, "the next five frames")
        assert kd.ctl("show", "datapath")["lost"] == 0
    assert marked(out) == list(range(10))
    # Removed at exit, so that a clean stop leaves nothing behind.
    assert not os.path.exists(lock)


def test_the_lock_of_a_daemon_that_died_does_not_stop_the_next_start(tmp_path):
    tap = "ksk%d" % (os.getpid() % 10000)
    kd = tap_to_capture_daemon(tmp_path, tap)
    kd.start()
    kd.proc.send_signal(signal.SIGKILL)
    kd.proc.wait()
    kd.log.close()
    kd.proc = None
    # The file and the socket stay behind, but nobody holds the lock or answers.
    assert os.path.exists(kd.socket + ".lock")
    with kd:
        assert open(kd.socket + ".lock").read().strip() == str(kd.proc.pid)
        assert kd.ctl("show", "datapath")["lost"] == 0
