# SPDX-License-Identifier: Apache-2.0
"""The control socket (control/README.md).

When kairod refuses a connection, or closes it, it says why in one line; kairoctl prints that
reason and exits 1, never "Broken pipe" and 3.  And the socket's path: kairod replaces a stale
socket there (one nobody answers on, left by a kairod that died) and nothing else: a regular
file, a directory or a FIFO that control.socket names by mistake is refused, named, and left as
it is.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
from pathlib import Path

import pytest

from kairo_harness import HELLO, KAIROCTL, Kairod, bridge_topology, write_pcap

MAX_CLIENTS = 64            # CTL_MAX_CLIENTS (control/ctl_server.h)
STRACE = shutil.which("strace")


def connect(path):
    """A client, connected: connect() waits (10 s at most) while kairod's queue is full."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 10, 0))
    s.connect(path)
    s.settimeout(10)
    return s


def test_kairoctl_refused_by_a_full_kairod_prints_why_and_exits_1(tmp_path):
    path = "/tmp/kairo-full-%d.sock" % os.getpid()
    with one_port_daemon(tmp_path, path):
        clients = []
        for _ in range(MAX_CLIENTS):
            clients.append(connect(path))
            clients[-1].sendall(HELLO)
            assert json.loads(clients[-1].recv(4096))["ok"]
        # kairod answers the newcomer and closes the connection at once, maybe before kairoctl
        # has sent its hello (under strace, its connect() returns 0.5 s late: always): sending
        # fails with EPIPE, and the reason kairod gave is still there to be read.
        runs = [[]] + ([[STRACE, "-qq", "-o", "/dev/null", "-e", "trace=connect", "-e",
                        "inject=connect:delay_exit=500000:when=1"]] if STRACE else [])
        for prefix in runs:
            r = subprocess.run(prefix + [str(KAIROCTL), "--socket", path, "show", "datapath"],
                               capture_output=True, text=True, timeout=60)
            assert "Broken pipe" not in r.stderr
            assert (r.returncode, r.stderr) == (1, "kairoctl: kairod at %s: too many clients "
                                                   "connected\n" % path)
        for c in clients:
            c.close()


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
