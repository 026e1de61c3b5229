# SPDX-License-Identifier: Apache-2.0
"""The configuration and the topology must be regular files.  A FIFO, a directory or a device
is refused with its path and what it is, at start and on a reload, at once: nothing waits for a
writer that may never come.  A reload refused that way leaves the running topology in use, and
the daemon answers and stops as before."""
import json
import os
import signal
import time

import pytest

from kairo_harness import Kairod, bridge_topology, run_kairod

TOPO = bridge_topology(["p1", "p2"], {"p1": "vm1", "p2": "vm2"})
PORTS = [{"name": "vm1", "device": "net_null0,no-rx=1"},
         {"name": "vm2", "device": "net_null1,no-rx=1"}]
# Long enough for a start, far shorter than a wait for a writer would be.
REFUSAL_TIMEOUT = 15


def make(path, kind):
    """Put something that is not a regular file at path."""
    if kind == "FIFO":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "character device":
        os.symlink("/dev/null", path)


def write_config(d, **over):
    c = {"topology_file": "topology.json", "ports": PORTS,
         "control": {"socket": "/tmp/kairo-kinds-%d.sock" % os.getpid()}}
    c.update(over)
    (d / "kairod.json").write_text(json.dumps(c))
    return d / "kairod.json"


@pytest.mark.parametrize("kind", ["FIFO", "directory", "character device"])
def test_a_config_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind):
    make(tmp_path / "kairod.json", kind)
    rc, out = run_kairod(tmp_path / "kairod.json", timeout=REFUSAL_TIMEOUT)
    assert rc == 1, out
    assert "%s: is a %s, not a regular file" % (tmp_path / "kairod.json", kind) in out, out
    assert "EAL:" not in out


@pytest.mark.parametrize("kind", ["FIFO", "directory", "character device"])
def test_a_topology_file_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind):
    cfg = write_config(tmp_path)
    make(tmp_path / "topology.json", kind)
    rc, out = run_kairod(cfg, timeout=REFUSAL_TIMEOUT)
    assert rc == 1, out
    assert "%s: is a %s, not a regular file" % (tmp_path / "topology.json", kind) in out, out
    assert "EAL:" not in out


def test_check_config_refuses_a_fifo_too(tmp_path):
    cfg = write_config(tmp_path)
    make(tmp_path / "topology.json", "FIFO")
    rc, out = run_kairod(cfg, ["--check-config"], timeout=REFUSAL_TIMEOUT)
    assert rc == 1 and "topology.json: is a FIFO" in out, out


@pytest.mark.parametrize("kind", ["FIFO", "directory"])
def test_a_reload_of_a_topology_that_is_not_a_regular_file_keeps_the_running_one(tmp_path,
                                                                                 kind):
    kd = Kairod(tmp_path, PORTS, TOPO)
    with kd:
        topo = tmp_path / "topology.json"
        topo.unlink()
        make(topo, kind)
        kd.proc.send_signal(signal.SIGHUP)
        said = "topology not reloaded, version 1 stays in use: %s: is a %s, not a regular " \
            "file" % (topo, kind)
        deadline = time.monotonic() + REFUSAL_TIMEOUT
        while said not in kd.log_path.read_text():
            assert time.monotonic() < deadline, kd.log_path.read_text()
            time.sleep(0.05)
        # The control thread is not stuck in the file: it answers, on the old topology.
        stats = kd.stats()
        assert stats["slow_path"]["topo_version"] == 1
        assert kd.ctl("show", "datapath")["lost"] == 0
        # And SIGTERM stops it as usual (kd.stop() fails if it takes longer than its timeout).
        final = kd.stop(timeout=REFUSAL_TIMEOUT)
    assert final["slow_path"]["topo_version"] == 1
