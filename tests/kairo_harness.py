# SPDX-License-Identifier: Apache-2.0
"""Run a real kairod for a test: write its config and topology, start it, read its counters.

Every instance gets its own EAL --file-prefix and runs with --no-huge --no-shconf, so tests
need no hugepages and never collide.  Counters come from the daemon itself: SIGUSR1 makes it
write the datapath view (JSON) to --stats-json.
"""
import ctypes
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KAIROD = Path(os.environ.get("KAIROD", ROOT / "build" / "kairod"))
KAIROCTL = Path(os.environ.get("KAIROCTL", KAIROD.parent / "kairoctl"))
_instances = 0

# A guard against a command that hangs (an `ip` call blocked behind the kernel's RTNL lock
# while another test deletes namespaces on a loaded machine can take tens of seconds): long
# enough never to fire on a slow machine, short enough that a real hang fails the test.
HANG_GUARD_S = 180

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """preexec_fn for the servers a test starts (kairod, Redis, ZooKeeper): SIGTERM when the
    test process dies, even by SIGKILL, so an interrupted run leaves no daemon polling beside
    the next tests on a two-core machine."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

# The control protocol's version (control/ctl_protocol.h), and the hello a raw client of this
# build opens its connection with: kairod serves no command before it.
CTL_PROTOCOL_VERSION = next(
    int(line.split()[2]) for line in (ROOT / "control" / "ctl_protocol.h").read_text().splitlines()
    if line.startswith("#define CTL_PROTOCOL_VERSION "))
HELLO = b'{"command": "hello", "args": {"protocol": %d}}\n' % CTL_PROTOCOL_VERSION


class KairoctlError(Exception):
    """kairoctl exited non-zero: returncode and stderr say why."""

    def __init__(self, returncode, stderr):
        super().__init__("kairoctl exited %d: %s" % (returncode, stderr.strip()))
        self.returncode = returncode
        self.stderr = stderr


def kairoctl(socket, *args, as_json=True, user=None):
    """Run kairoctl against socket; the parsed result (--json) or the text it printed."""
    cmd = [str(KAIROCTL), "--socket", str(socket)] + (["--json"] if as_json else []) + list(args)
    if user is not None:
        cmd = ["setpriv", "--reuid", user, "--regid", "nogroup", "--clear-groups"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise KairoctlError(r.returncode, r.stderr)
    return json.loads(r.stdout) if as_json else r.stdout


def write_pcap(path, frames):
    """Write frames (scapy packets or raw bytes); an empty list makes a header-only file."""
    from scapy.utils import PcapWriter

    w = PcapWriter(str(path), linktype=1, sync=True)
    w._write_header(None)
    for f in frames:
        w.write(bytes(f) if not isinstance(f, bytes) else f)
    w.close()


def bridge_topology(ports, bindings, bridge_id="br0", **bridge):
    """A one-bridge topology: ports is a list of port ids, bindings maps port id -> interface."""
    b = {"id": bridge_id, "name": bridge_id, "ports": [{"id": p} for p in ports]}
    b.update(bridge)
    return {
        "bridges": [b],
        "bindings": [{"port": p, "interface": i} for p, i in bindings.items()],
    }


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Orphans below this process come to it, not to init: a kairod that `kairoctl restart`
    started (a child of the old one) can then be waited for here once the old one exits."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


class Kairod:
    """One kairod process.  Use as a context manager, or call stop().

    After restart() the process is the one `kairoctl restart` handed over to: pid says which,
    and stop(), stats() and reload() signal and wait for it."""

    def __init__(self, workdir, ports, topology, workers=1, extra_config=None, lcores="0-1"):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = {
            "host": "test-host",
            "topology_file": "topology.json",
            "workers": workers,
            "mbufs": 4095,
            "worker_sleep_max_us": 100,
            "flow_cache": {"capacity": 1024},
            "ports": ports,
        }
        if extra_config:
            self.config.update(extra_config)
        # No topology: it comes from elsewhere (ZooKeeper), and the config names no file.
        if topology is None:
            del self.config["topology_file"]
        # sun_path holds 107 characters: a short path of its own, not one under tmp_path.
        global _instances
        _instances += 1
        self.socket = "/tmp/kairo-test-%d-%d.sock" % (os.getpid(), _instances)
        self.config.setdefault("control", {"socket": self.socket})
        self.topology = topology
        self.lcores = lcores
        self.proc = None
        self._restarted_pid = None  # the kairod a restart() handed over to, if any
        self._adopted_rc = None  # exit code of an adopted (restarted) kairod, once reaped
        self.output = ""
        self.stats_path = self.dir / "stats.json"
        self.log_path = self.dir / "kairod.log"

    def write_files(self):
        (self.dir / "kairod.json").write_text(json.dumps(self.config, indent=1))
        if self.topology is None:
            pass
        elif isinstance(self.topology, str):
            (self.dir / "topology.json").write_text(self.topology)
        else:
            (self.dir / "topology.json").write_text(json.dumps(self.topology, indent=1))

    def command(self):
        prefix = self.prefix = "kt%d_%d" % (os.getpid(), int(time.monotonic() * 1000) % 100000)
        # "0-1" style lists go to -l; "0@0,1@1,2@1" style maps (more lcores than CPUs) to --lcores.
        lcores = ["--lcores", self.lcores] if "@" in self.lcores else ["-l", self.lcores]
        return [str(KAIROD), *lcores, "--no-huge", "--no-shconf", "-m", "256",
                "--no-pci", "--file-prefix", prefix, "--log-level", "pmd.*:error",
                "--", "--config", str(self.dir / "kairod.json"),
                "--stats-json", str(self.stats_path)]

    def start(self, timeout=20):
        self.write_files()
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=die_with_parent)
        self._restarted_pid = None
        self._adopted_rc = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "kairod: ready" in self.log_path.read_text():
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("kairod exited %d:\n%s" % (self.proc.returncode,
                                                             self.log_path.read_text()))
            time.sleep(0.05)
        raise RuntimeError("kairod not ready after %ss:\n%s" % (timeout,
                                                               self.log_path.read_text()))

    def stats(self, timeout=5):
        """Ask the running daemon for its datapath view and return it as a dict."""
        before = self.stats_path.stat().st_mtime_ns if self.stats_path.exists() else 0
        os.kill(self.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stats_path.exists() and self.stats_path.stat().st_mtime_ns != before:
                return json.loads(self.stats_path.read_text())
            time.sleep(0.02)
        raise RuntimeError("no stats from kairod:\n" + self.log_path.read_text())

    def ctl(self, *args, as_json=True, user=None):
        """kairoctl against this daemon: the parsed result, or the text with as_json=False."""
        return kairoctl(self.config["control"]["socket"], *args, as_json=as_json, user=user)

    def wait_for(self, predicate, timeout=10, what="condition"):
        """Poll stats until predicate(stats) is true; return the stats."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.stats()
            if predicate(last):
                return last
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s; last stats: %s"
                             % (what, json.dumps(last, indent=1)[:3000]))

    def reload(self, topology, timeout=10):
        """Write a new topology file, SIGHUP, and wait until the daemon runs it; return stats."""
        version = self.stats()["slow_path"]["topo_version"]
        self.topology = topology
        self.write_files()
        os.kill(self.pid, signal.SIGHUP)
        return self.wait_for(lambda s: s["slow_path"]["topo_version"] > version, timeout,
                             what="topology version %d" % (version + 1))

    @property
    def pid(self):
        """The kairod running now: the one started (proc, also when a test set it itself), or
        the one the last restart() handed over to."""
        if self._restarted_pid is not None:
            return self._restarted_pid
        return self.proc.pid if self.proc is not None else None

    def poll(self, pid=None):
        """The exit code of kairod (or of pid, one of the kairods this instance ran), or None
        while it runs."""
        pid = pid or self.pid
        if pid == self.proc.pid:
            return self.proc.poll()
        if pid == self.pid and self._adopted_rc is not None:
            return self._adopted_rc
        got, status = os.waitpid(pid, os.WNOHANG)
        if got != pid:
            return None
        rc = os.waitstatus_to_exitcode(status)
        if pid == self.pid:
            self._adopted_rc = rc
        return rc

    def wait(self, pid=None, timeout=20):
        """Wait for kairod (or pid) to exit; its exit code."""
        deadline = time.monotonic() + timeout
        while True:
            rc = self.poll(pid)
            if rc is not None:
                return rc
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(pid or self.pid), timeout)
            time.sleep(0.02)

    def restart(self, timeout=30):
        """`kairoctl restart`: wait for the old process to exit (status 0) and follow the new
        one.  Returns kairoctl's result (pid, old_pid, gap_ms, notes)."""
        become_subreaper()
        old = self.pid
        result = self.ctl("restart")
        assert result["old_pid"] == old and result["pid"] != old, result
        rc = self.wait(old, timeout)
        if rc != 0:
            raise RuntimeError("the old kairod exited %d after the restart:\n%s"
                               % (rc, self.log_path.read_text()))
        self._restarted_pid = result["pid"]
        self._adopted_rc = None
        return result

    def stop(self, timeout=20):
        """SIGTERM, wait, and return the final datapath view (from --stats-json)."""
        if self.proc is None:
            return None
        if self.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.wait()
                raise
        self.log.close()
        self.output = self.log_path.read_text()
        rc = self.poll()
        self.proc = None
        self._restarted_pid = None
        if rc != 0:
            raise RuntimeError("kairod exited %d:\n%s" % (rc, self.output))
        return json.loads(self.stats_path.read_text())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc is not None:
            try:
                self.stop()
            except Exception:
                if exc[0] is None:
                    raise


def run_kairod_once(workdir, config_text, topology_text, extra_args=(), timeout=30):
    """Start kairod with literal file contents; return (exit code, output).  For refusal tests."""
    d = Path(workdir)
    d.mkdir(parents=True, exist_ok=True)
    (d / "kairod.json").write_text(config_text)
    (d / "topology.json").write_text(topology_text)
    return run_kairod(d / "kairod.json", extra_args, timeout)


def run_kairod(config_path, extra_args=(), timeout=30, memory_mb=256):
    """Start kairod on the file at config_path (whatever it is); (exit code, output).

    The exit code is None when kairod was still running after timeout seconds (it was then
    stopped with SIGTERM, or killed if that did not stop it)."""
    prefix = "kr%d_%d" % (os.getpid(), int(time.monotonic() * 1000) % 100000)
    cmd = [str(KAIROD), "-l", "0-1", "--no-huge", "--no-shconf", "-m", str(memory_mb),
           "--no-pci", "--file-prefix", prefix, "--log-level", "pmd.*:error", "--",
           "--config", str(config_path), *extra_args]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         preexec_fn=die_with_parent)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # It started (or hung) instead of refusing: stop it and report what it said.
        p.send_signal(signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        return None, out
    return p.returncode, out


def wait_until(predicate, timeout=15, what="condition", interval=0.05):
    """Poll predicate until it gives a true value, which is returned; fail after timeout s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)


def telemetry(prefix, command):
    """Ask DPDK's telemetry socket of the instance, as dpdk-telemetry.py does."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    json.loads(s.recv(16384))  # the greeting
    s.send(command.encode())
    reply = json.loads(s.recv(1 << 20))
    s.close()
    return reply[command.split(",")[0]]


def flows_matching(stats, **fields):
    """The flows of a stats dict whose match string contains every key=value given."""
    out = []
    for f in stats["flow_list"]:
        m = f["match"]
        if all(("%s=%s" % (k, v)) in m for k, v in fields.items()):
            out.append(f)
    return out


class Capture:
    """tshark on an interface (in a namespace, or not), started and waited for until it listens.

    tshark says "Capturing on 'IFACE'" on stderr once dumpcap has the interface open with its
    filter set: the capture begins from that line, not after a guessed sleep (under load
    tshark's start-up alone can take seconds).  stdout holds the fields asked for.
    """

    def __init__(self, iface, args, ns=None, timeout=60):
        self.iface = iface
        self._err = tempfile.NamedTemporaryFile("w+", prefix="kairo-tshark-", delete=False)
        cmd = (["ip", "netns", "exec", ns] if ns else []) + ["tshark", "-l", "-i", iface] + \
            list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._err, text=True)
        deadline = time.monotonic() + timeout
        while True:
            text = Path(self._err.name).read_text(errors="replace")
            if "Capturing on" in text:
                return
            if self.proc.poll() is not None:
                raise RuntimeError("tshark on %s exited before capturing: %s" % (iface, text))
            if time.monotonic() > deadline:
                self.proc.kill()
                raise TimeoutError("tshark on %s not capturing after %d s: %s" %
                                   (iface, timeout, text))
            time.sleep(0.05)

    def communicate(self, timeout=60):
        """What tshark printed, once it stopped (its -c count or -a duration:N)."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        finally:
            self._err.close()
            os.unlink(self._err.name)
        return out, None
