# SPDX-License-Identifier: Apache-2.0
"""The control socket (control/README.md): what kairod does with what is at its path.

kairod replaces a stale socket there (one nobody answers on, left by a kairod that died) and
nothing else: a regular file, a directory or a FIFO that control.socket names by mistake is
refused, named, and left as it is.
"""
import os
import shutil
import socket
from pathlib import Path

import pytest

from kairo_harness import Kairod, bridge_topology, write_pcap


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
