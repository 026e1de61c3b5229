# SPDX-License-Identifier: Apache-2.0
"""kairod as a systemd service, without systemd: the test serves the notification socket
(AF_UNIX datagrams, as systemd does for Type=notify) and reads what kairod sends.

- READY=1 (with MAINPID= and STATUS=) comes once the ports are up and the workers poll: at the
  moment it arrives, `kairoctl show ports` lists every port up and every worker has polled.
- WATCHDOG=1 comes every half WATCHDOG_USEC while the workers and the simulation make
  progress, and stops while a worker is stalled (the test hook `kairoctl debug stall`,
  refused unless KAIRO_TEST_HOOKS=1 was in kairod's environment).
- After `kairoctl restart` the new process says MAINPID=<its pid> and READY=1, and feeds the
  watchdog ($WATCHDOG_PID named the old one, its parent).
- The unit file passes `systemd-analyze verify` with its paths pointing at this build.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kairo_harness import KAIROD, KAIROCTL, ROOT, Kairod, KairoctlError, bridge_topology

PORTS = [{"name": "vm1", "device": "net_null0,no-rx=1"},
         {"name": "vm2", "device": "net_null1,no-rx=1"}]
TOPO = bridge_topology(["p1", "p2"], {"p1": "vm1", "p2": "vm2"})
WATCHDOG_S = 2.0  # pings every 1 s


class NotifySocket:
    """systemd's side of sd_notify: every datagram with its sender's pid and arrival time.
    on_ready runs in the receiving thread as soon as READY=1 arrives, before anything else."""

    def __init__(self, on_ready=None):
        self.path = "/tmp/kairo-notify-%d-%d.sock" % (os.getpid(), time.monotonic_ns() % 10**6)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.2)
        self.messages = []  # (monotonic time, pid, {key: value})
        self.on_ready = on_ready
        self.ready_seen = []
        self.done = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        size = socket.CMSG_SPACE(struct.calcsize("3i"))
        while not self.done:
            try:
                data, anc, _, _ = self.sock.recvmsg(4096, size)
            except socket.timeout:
                continue
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", payload[:12])[0]
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if line)
            if "READY" in fields and self.on_ready is not None:
                self.ready_seen.append(self.on_ready())
            self.messages.append((time.monotonic(), pid, fields))

    def pings(self, since, until=None, pid=None):
        return [t for t, p, f in list(self.messages)
                if "WATCHDOG" in f and t >= since and (until is None or t < until)
                and (pid is None or p == pid)]

    def wait_for(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in list(self.messages):
                if pred(m):
                    return m
            time.sleep(0.05)
        raise AssertionError("no %s from kairod; got %s" % (what, self.messages))

    def close(self):
        self.done = True
        self.thread.join()
        self.sock.close()
        os.unlink(self.path)


class WatchdogPidKairod(Kairod):
    """kairod with $WATCHDOG_PID naming itself, as systemd sets it: a shell exports its own
    pid and execs kairod in its place."""

    def command(self):
        return ["/bin/sh", "-c", 'WATCHDOG_PID=$$ exec "$@"', "sh"] + super().command()


@pytest.fixture
def notify_env(monkeypatch):
    state = {}

    def on_ready():
        # Runs the moment READY=1 arrives: what an ordered-after unit would see then.
        return subprocess.run([str(KAIROCTL), "--socket", state["socket"], "--json", "show",
                               "ports"], capture_output=True, text=True, timeout=30)

    ns = NotifySocket(on_ready)
    monkeypatch.setenv("NOTIFY_SOCKET", ns.path)
    monkeypatch.setenv("WATCHDOG_USEC", str(int(WATCHDOG_S * 1e6)))
    monkeypatch.setenv("KAIRO_TEST_HOOKS", "1")
    yield ns, state
    ns.close()


def test_ready_comes_with_the_ports_up_and_the_watchdog_stops_for_a_stalled_worker(tmp_path,
                                                                                  notify_env):
    ns, state = notify_env
    kd = WatchdogPidKairod(tmp_path, PORTS, TOPO)
    state["socket"] = kd.socket
    with kd:
        ready = ns.wait_for(lambda m: "READY" in m[2], 20, "READY=1")
        assert ready[1] == kd.pid and ready[2]["MAINPID"] == str(kd.pid), ready
        assert ready[2]["STATUS"] == "forwarding: 2 port(s), 1 worker(s), topology version 1"
        # At READY time the ports were up (and the command socket served).
        ports = json.loads(ns.ready_seen[0].stdout)
        assert [(p["name"], p["link_up"], p["state"]) for p in ports] == \
            [("vm1", True, "bound"), ("vm2", True, "bound")], ports
        log = kd.log_path.read_text()
        assert "service watchdog: 2000 ms" in log

        # Regular pings: about one a second, never a gap as long as the interval.
        t0 = time.monotonic()
        time.sleep(6)
        pings = ns.pings(t0)
        assert len(pings) >= 3, pings
        gaps = [b - a for a, b in zip([t0] + pings, pings)]
        assert max(gaps) < WATCHDOG_S, gaps

        # A stalled worker: the pings stop (after at most one already on its way), and the
        # status says who; resumed, they come back.
        assert kd.ctl("debug", "stall", "0") == {"worker": 0, "stalled": True}
        ns.wait_for(lambda m: m[2].get("STATUS", "").startswith("worker 0 (lcore 1) stalled"),
                    10, "the stalled status")
        t1 = time.monotonic()
        time.sleep(3 * WATCHDOG_S / 2)
        assert ns.pings(t1) == [], "watchdog fed while worker 0 was stalled"
        assert "worker 0 (lcore 1) made no progress" in kd.log_path.read_text()
        kd.ctl("debug", "stall", "0", "--resume")
        t2 = time.monotonic()
        ns.wait_for(lambda m: "WATCHDOG" in m[2] and m[0] > t2, 10, "pings after the resume")

        # kairoctl restart: the new process names itself the main one and feeds the watchdog
        # ($WATCHDOG_PID named its parent, the old kairod).
        old = kd.pid
        result = kd.restart()
        new = result["pid"]
        m = ns.wait_for(lambda m: m[1] == new and "READY" in m[2], 20, "READY from the new pid")
        assert m[2]["MAINPID"] == str(new)
        t3 = time.monotonic()
        ns.wait_for(lambda m: m[1] == new and "WATCHDOG" in m[2] and m[0] > t3, 10,
                    "pings from the new pid")
        # The old one did not say STOPPING=1: the service goes on in the new process.
        assert not any(p == old and "STOPPING" in f for _, p, f in ns.messages)
    # A real stop says so.
    assert any(p == new and f.get("STOPPING") == "1" for _, p, f in ns.messages)


def test_the_stall_hook_is_refused_without_kairo_test_hooks(tmp_path, monkeypatch):
    monkeypatch.delenv("KAIRO_TEST_HOOKS", raising=False)
    with Kairod(tmp_path, PORTS, TOPO) as kd:
        with pytest.raises(KairoctlError) as e:
            kd.ctl("debug", "stall", "0")
        assert e.value.returncode == 1
        assert "KAIRO_TEST_HOOKS=1" in e.value.stderr
        assert kd.ctl("show", "lcores")  # still forwarding


def man_dir(tmp_path):
    """The man pages the unit's Documentation= names, where `man` finds them (MANPATH)."""
    built = Path(KAIROD).parent / "deploy"
    d = tmp_path / "man"
    (d / "man8").mkdir(parents=True)
    for page in ("kairod.8", "kairoctl.8"):
        shutil.copy(built / page, d / "man8" / page)
    return d


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_unit_file_verifies_with_its_paths_pointing_at_this_build(tmp_path):
    unit = (ROOT / "deploy" / "kairod.service").read_text()
    unit = unit.replace("/usr/sbin/kairod", str(KAIROD))
    unit = unit.replace("/usr/lib/kairo/kairo-hugepages", str(ROOT / "deploy" /
                                                               "kairo-hugepages.sh"))
    (tmp_path / "kairod.service").write_text(unit)
    env = dict(os.environ, MANPATH=str(man_dir(tmp_path)))
    r = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "kairod.service")],
                       capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "" and r.stdout == "", r.stderr + r.stdout


def test_the_hugepages_script_is_idempotent(tmp_path):
    """On a fake sysfs directory (and a mount point that is already one: /): asks for the
    pages once, keeps more than asked, and 0 does nothing."""
    sysfs = tmp_path / "hugepages-2048kB"
    sysfs.mkdir()
    (sysfs / "nr_hugepages").write_text("0\n")
    env = dict(os.environ, KAIRO_HUGEPAGES_SYSFS=str(sysfs), KAIRO_HUGEPAGES_MOUNT="/")
    script = str(ROOT / "deploy" / "kairo-hugepages.sh")
    r = subprocess.run([script, "64"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and (sysfs / "nr_hugepages").read_text().strip() == "64", r
    assert "64 of 64 2 MiB pages reserved" in r.stdout
    r = subprocess.run([script, "32"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and r.stdout == "" and (sysfs / "nr_hugepages").read_text() \
        .strip() == "64", r
    r = subprocess.run([script], capture_output=True, text=True,
                       env=dict(env, KAIRO_HUGEPAGES="0"))
    assert r.returncode == 0 and r.stdout == "", r
    r = subprocess.run([script, "lots"], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "a number of 2 MiB pages" in r.stderr
