# SPDX-License-Identifier: Apache-2.0
"""The control socket against hostile clients (control/README.md, "Deadlines and bounds").

No client can lock the others out: clients that connect and send nothing, or half a request,
and clients that pipeline big flow dumps and never read, may take every one of the 64
connections, and kairoctl is still answered.  A request not finished in 5 s and a client that
does nothing for 15 s are closed, saying why.  When every connection is in use by clients
that are all busy, a newcomer is told so in one line; kairoctl prints that reason (or the one
kairod gave for closing its connection) and exits 1, never "Broken pipe" and 3.  And the
socket's path: kairod replaces a stale socket there and nothing else.

The daemon here holds N_FLOWS flows (one pcap frame each), so that a `dump flows` reply is
big (some 260 KiB).
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
from scapy.all import Ether, IP, UDP

from kairo_harness import HELLO, KAIROCTL, Kairod, bridge_topology, write_pcap

N_FLOWS = 1000
MAX_CLIENTS = 64            # CTL_MAX_CLIENTS (control/ctl_server.h)
REQUEST_S = 5               # CTL_REQUEST_MS
IDLE_S = 15                 # CTL_IDLE_MS
EVICT_QUIET_S = 0.5         # CTL_EVICT_QUIET_MS
DUMP = b'{"command": "dump flows"}\n'
PIPELINED = 50              # dumps each piper sends before it reads anything
PIPELINED_MANY = 300        # more than 64 MiB of replies: what kairod once held before closing

BUSY = ("kairod is busy: all %d control connections are in use, none of them quiet for %d ms; "
        "try again" % (MAX_CLIENTS, EVICT_QUIET_S * 1000))
EVICTED = ("closed: all %d connections were taken and a new client needed one; this one had "
           "been quiet longest" % MAX_CLIENTS)

STRACE = shutil.which("strace")
needs_strace = pytest.mark.skipif(STRACE is None, reason="strace slows kairoctl down on cue")


@pytest.fixture(scope="module")
def kd(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ctlsock")
    write_pcap(tmp / "in_a.pcap", [
        Ether(src="02:00:00:00:00:0a", dst="02:00:00:00:00:0b") /
        IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1024 + f, dport=53)
        for f in range(N_FLOWS)])
    write_pcap(tmp / "in_b.pcap", [])
    ports = [{"name": n, "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
        i, tmp / ("in_%s.pcap" % n), tmp / ("out_%s.pcap" % n))} for i, n in enumerate("ab")]
    daemon = Kairod(tmp / "kd", ports, bridge_topology(["pa", "pb"], {"pa": "a", "pb": "b"}),
                    extra_config={
                        "flow_cache": {"capacity": 4096, "idle_timeout_ms": 3600000},
                        "slow_path": {"upcall_ring_size": 4096, "global_bucket": 1 << 16,
                                      "vport_bucket": 1 << 16}})
    with daemon:
        daemon.wait_for(lambda s: s["flows"] == N_FLOWS, timeout=30, what="every flow in")
        yield daemon


def connect(path):
    """A client, connected: connect() waits (10 s at most) while kairod's queue is full."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 10, 0))
    s.connect(path)
    s.settimeout(10)
    return s


def is_open(s):
    """Still connected, and nothing came: no reply, no reason, no end of file."""
    timeout = s.gettimeout()
    s.setblocking(False)  # with a timeout, Python would wait for data first
    try:
        s.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except ConnectionResetError:  # closed with our bytes unread
        return False
    finally:
        s.settimeout(timeout)
    return False


def last_words(s, timeout):
    """Every line kairod sends until it closes the connection; None if it is still open."""
    s.settimeout(timeout)
    buf = b""
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                return [json.loads(line) for line in buf.splitlines()]
            buf += chunk
    except socket.timeout:
        return None


def kairoctl(kd, *args, strace=()):
    """Run kairoctl (under strace when given its arguments); (process, seconds it took)."""
    cmd = [str(KAIROCTL), "--socket", kd.socket, "--json", *args]
    if strace:
        cmd = [STRACE, "-qq", "-o", "/dev/null", *strace, *cmd]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return r, time.monotonic() - t0


class Busy:
    """n clients that each say hello every 50 ms: their connections in use, none ever quiet."""

    def __init__(self, path, n):
        self.clients = []
        deadline = time.monotonic() + 10
        while len(self.clients) < n:
            # Connections of an earlier test may still be on their way out: try again.
            c = connect(path)
            try:
                ok = self.ask(c)["ok"]
            except (BrokenPipeError, ConnectionResetError, AssertionError):
                ok = False  # refused, and closed before the hello
            if ok:
                self.clients.append(c)
            else:
                c.close()
                assert time.monotonic() < deadline, "no connection free for the busy clients"
                time.sleep(0.1)
        self.error = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    @staticmethod
    def ask(c):
        c.sendall(HELLO)
        line = b""
        while not line.endswith(b"\n"):
            chunk = c.recv(4096)
            assert chunk, "kairod closed a busy client"
            line += chunk
        return json.loads(line)

    def run(self):
        try:
            while not self.stop.wait(0.05):
                for c in self.clients:
                    reply = self.ask(c)
                    assert reply["ok"], reply
        except Exception as e:  # the test that uses them says so when it ends
            self.error = e

    def close(self):
        self.stop.set()
        self.thread.join()
        for c in self.clients:
            c.close()
        assert self.error is None, "a busy client was cut off: %r" % self.error


@pytest.fixture
def client(kd):
    """Connect a client to kd; every one is closed when the test ends, passed or not."""
    opened = []

    def new():
        opened.append(connect(kd.socket))
        return opened[-1]
    yield new
    for s in opened:
        s.close()


def first_line(s):
    """The first line kairod sends (the hello's reply), or what it sent before closing."""
    buf = b""
    while not buf.endswith(b"\n"):
        try:
            chunk = s.recv(1)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            break
        buf += chunk
    return buf


def test_idle_half_request_and_non_reading_clients_do_not_lock_kairoctl_out(kd, client):
    pipers = []
    for _ in range(4):
        # Big dumps, pipelined, never read: kairod stops serving them once their unread
        # replies are over its bound, instead of queueing them all or waiting on them.
        s = client()
        s.sendall(HELLO + DUMP * PIPELINED)
        pipers.append(s)
    idle = [client() for _ in range(40)]
    half = []
    for _ in range(MAX_CLIENTS - 4 - 40 + 4):
        s = client()
        s.sendall(HELLO + b'{"command": "show da')
        half.append(s)
    # 68 clients for 64 connections: the last ones are told kairod is busy.  Once the hostile
    # ones have been quiet EVICT_QUIET_S, a newcomer takes the place of the one quiet longest.
    time.sleep(EVICT_QUIET_S * 2)
    for s in half:
        first_line(s)  # the hello's reply: they said hello, and are half way through a command
    hostile = sum(is_open(s) for s in idle + half)
    assert hostile >= MAX_CLIENTS - len(pipers) - 4

    for args in (["show", "datapath"], ["show", "ports"], ["dump", "flows", "--limit", "1"]):
        r, took = kairoctl(kd, *args)
        print("kairoctl %s: %.3f s, with %d hostile clients connected"
              % (" ".join(args), took, hostile + len(pipers)))
        assert r.returncode == 0, r.stderr
        if args == ["show", "datapath"]:
            assert json.loads(r.stdout)["flows"] == N_FLOWS
    # They were still there: each kairoctl took the place of one of them, no more.
    assert sum(is_open(s) for s in idle + half) >= hostile - 3

    # A client that stopped reading is served again once it reads: every reply, in order.
    # (A kairoctl may have taken a piper's place: that one ends early, and another is read.)
    assert any(replies_read(s, PIPELINED) == 1 + PIPELINED for s in pipers)


def test_clients_that_pipeline_dumps_and_never_read_hold_up_no_one(kd, client):
    # More replies than kairod ever holds for one client (300 dumps, some 75 MiB): it neither
    # queues them all nor serves them back to back; it serves a few, then waits for the client.
    pipers = []
    for _ in range(4):
        s = client()
        s.sendall(HELLO + DUMP * PIPELINED_MANY)
        pipers.append(s)
    time.sleep(0.2)
    r, took = kairoctl(kd, "show", "datapath")
    print("kairoctl show datapath: %.3f s, with %d clients pipelining %d dumps unread"
          % (took, len(pipers), PIPELINED_MANY))
    assert r.returncode == 0, r.stderr
    # Nothing was dropped or cut off: once a client reads, it gets every reply, in order.
    assert replies_read(pipers[0], PIPELINED_MANY) == 1 + PIPELINED_MANY


def replies_read(s, asked):
    """Read a piper's replies until it has them all or kairod closed it; how many it got."""
    got = 0
    buf = b""
    s.settimeout(30)
    while got < 1 + asked:
        chunk = s.recv(1 << 20)
        if not chunk:
            return got
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            reply = json.loads(line)
            assert reply["ok"], reply
            assert got == 0 or reply["result"]["matched"] == N_FLOWS
            got += 1
    return got


def test_an_unfinished_request_and_a_silent_client_are_closed_saying_why(kd, client):
    silent = client()
    helloed = client()
    helloed.sendall(HELLO)
    assert json.loads(first_line(helloed))["ok"]
    half = client()
    half.sendall(HELLO + b'{"command": "show da')
    piper = client()
    piper.sendall(HELLO + DUMP * 50)
    t0 = time.monotonic()

    words = last_words(half, REQUEST_S + 10)
    took = time.monotonic() - t0
    assert words is not None, "half a request held its connection %d s" % (REQUEST_S + 10)
    print("half a request closed after %.1f s" % took)
    assert words[0]["ok"] and words[1:] == [{"ok": False, "error": (
        "request: not complete %d s after it began (a request is one line, sent at once): "
        "closed" % REQUEST_S)}]
    assert REQUEST_S - 0.5 < took < REQUEST_S + 10
    assert is_open(silent) and is_open(helloed)

    for s in (silent, helloed):
        words = last_words(s, IDLE_S + 10)
        assert words is not None, "a silent client held its connection %d s" % (IDLE_S + 10)
        assert words == [{"ok": False, "error": "closed: no request for %d s" % IDLE_S}]
    took = time.monotonic() - t0
    print("silent clients closed after %.1f s" % took)
    assert IDLE_S - 0.5 < took < IDLE_S + 10

    # The one that never read its replies goes at the same deadline, counted from its last
    # reply served (reading before then would have it served again)...
    deadline = time.monotonic() + 10
    while "closed: its replies not read for %d s" % IDLE_S not in kd.log_path.read_text():
        assert time.monotonic() < deadline, "a client that reads nothing held its connection"
        time.sleep(0.1)
    # ... with fewer replies than it asked for: what its socket held (the last one cut short).
    piper.settimeout(10)
    buf = b""
    while chunk := piper.recv(1 << 20):
        buf += chunk
    assert buf.count(b"\n") < 51


def test_when_every_connection_is_busy_kairoctl_says_so_and_exits_1(kd):
    busy = Busy(kd.socket, MAX_CLIENTS)
    try:
        r, _ = kairoctl(kd, "show", "datapath")
        assert (r.returncode, r.stderr) == (1, "kairoctl: kairod at %s: %s\n" % (kd.socket, BUSY))
        if STRACE:
            # kairoctl held up after its connect(): kairod has said it is busy and closed the
            # connection before the hello is sent.  The send fails (EPIPE); the reason is read.
            r, _ = kairoctl(kd, "show", "datapath",
                            strace=["-e", "trace=connect", "-e",
                                    "inject=connect:delay_exit=500000:when=1"])
            assert "Broken pipe" not in r.stderr
            assert (r.returncode, r.stderr) == (1, "kairoctl: kairod at %s: %s\n"
                                                % (kd.socket, BUSY))
    finally:
        busy.close()
    # And once a connection is free (kairod has seen the close), the next one is served.
    deadline = time.monotonic() + 30
    while True:
        r, _ = kairoctl(kd, "show", "datapath")
        if r.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r.returncode == 0, r.stderr


@needs_strace
def test_the_quietest_client_gives_its_place_and_kairoctl_prints_why_it_was_closed(kd, tmp_path):
    busy = Busy(kd.socket, MAX_CLIENTS - 1)
    try:
        quiet = connect(kd.socket)
        assert Busy.ask(quiet)["ok"]
        time.sleep(EVICT_QUIET_S * 1.5)
        r, took = kairoctl(kd, "show", "datapath")
        print("kairoctl show datapath: %.3f s, every connection taken" % took)
        assert r.returncode == 0, r.stderr
        words = last_words(quiet, 5)
        assert len(words) == 1 and words[0]["ok"] is False
        assert words[0]["error"].startswith(EVICTED + " ("), words

        # A kairoctl that stops between its hello and its command (its second sendto held up
        # 2 s) is the quietest when the next client comes: its command meets a closed
        # connection, and it prints the reason kairod gave.
        log = tmp_path / "strace.log"
        stalled = subprocess.Popen(
            [STRACE, "-qq", "-o", str(log), "-e", "trace=sendto", "-e",
             "inject=sendto:delay_enter=2000000:when=2",
             str(KAIROCTL), "--socket", kd.socket, "show", "datapath"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while not (log.exists() and "sendto(" in log.read_text()):
            assert time.monotonic() < deadline, "kairoctl under strace said no hello"
            time.sleep(0.02)
        time.sleep(EVICT_QUIET_S * 1.5)
        r, _ = kairoctl(kd, "show", "ports")
        assert r.returncode == 0, r.stderr
        out, err = stalled.communicate(timeout=30)
        assert "Broken pipe" not in err
        assert stalled.returncode == 1 and out == "", err
        assert err.startswith("kairoctl: show datapath: " + EVICTED + " ("), err
    finally:
        busy.close()


# ---- the socket's path ----

def one_port_daemon(tmp_path, socket_path):
    write_pcap(tmp_path / "empty.pcap", [])
    return Kairod(tmp_path / "kd", [{"name": "a", "device": "net_pcap0,rx_pcap=%s,tx_pcap=%s"
                                     % (tmp_path / "empty.pcap", tmp_path / "o.pcap")}],
                  bridge_topology(["pa"], {"pa": "a"}),
                  extra_config={"control": {"socket": socket_path}})


@pytest.mark.parametrize("kind", ["regular file", "directory", "FIFO"])
def test_a_path_that_is_not_a_socket_is_refused_and_left_as_it_is(tmp_path, kind):
    path = "/tmp/kairo-not-a-socket-%d" % os.getpid()
    if kind == "regular file":
        Path(path).write_text("what someone keeps here\n")
    elif kind == "directory":
        os.mkdir(path)
        Path(path, "inside").write_text("kept\n")
    else:
        os.mkfifo(path)
    try:
        with pytest.raises(RuntimeError) as e:
            one_port_daemon(tmp_path, path).start()
        assert ("control.socket: %s is a %s, not a socket: kairod replaces only a stale socket "
                "there (remove it, or name another path)" % (path, kind)) in str(e.value)
        if kind == "regular file":
            assert Path(path).read_text() == "what someone keeps here\n"
        elif kind == "directory":
            assert Path(path, "inside").read_text() == "kept\n"
        else:
            assert Path(path).is_fifo()
    finally:
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)


def test_a_stale_socket_is_replaced(tmp_path):
    path = "/tmp/kairo-stale-%d.sock" % os.getpid()
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(path)
    left.close()  # what a kairod that died leaves: a socket file nobody answers on
    try:
        with one_port_daemon(tmp_path, path) as kd:
            assert kd.ctl("show", "datapath")["lost"] == 0
    finally:
        if os.path.lexists(path):
            os.unlink(path)
