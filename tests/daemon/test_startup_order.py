# SPDX-License-Identifier: Apache-2.0
"""Start-up in an order that fails safely.

- SIGHUP and SIGUSR1 are caught from the first moment: one that comes while kairod is still
  starting does not kill it; the reload or the dump is done once it runs.
- The pools and tables the configuration sizes are made before any port is opened: a size that
  EAL's memory cannot hold is refused naming its field, about how much memory it needs and what
  EAL has, and no device has been touched (a net_pcap port's capture file is not created)."""
import json
import os
import signal
import subprocess
import time

import pytest

from kairo_harness import KAIROD, Kairod, bridge_topology, die_with_parent, run_kairod, write_pcap

PORTS = [{"name": "vm1", "device": "net_null0,no-rx=1"},
         {"name": "vm2", "device": "net_null1,no-rx=1"}]
TOPO = bridge_topology(["p1", "p2"], {"p1": "vm1", "p2": "vm2"})


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def caught(pid):
    """The signals the process has a handler for (/proc/PID/status, SigCgt)."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith("SigCgt:"):
            mask = int(line.split()[1], 16)
            return {s for s in signal.Signals if mask & (1 << (s - 1))}
    return set()


def test_sighup_and_sigusr1_while_starting_do_not_kill_kairod(tmp_path):
    # Nothing listens on ZooKeeper's address: kairod waits for it, before EAL, and gives up.
    cfg = {"host_id": "h1", "zookeeper_hosts": "127.0.0.1:9",
           "zookeeper": {"start_wait_s": 4},
           "control": {"socket": "/tmp/kairo-early-%d.sock" % os.getpid()}, "ports": PORTS}
    (tmp_path / "kairod.json").write_text(json.dumps(cfg))
    log = tmp_path / "kairod.log"
    with open(log, "w") as f:
        p = subprocess.Popen([str(KAIROD), "-l", "0-1", "--no-huge", "--no-shconf", "-m", "256",
                              "--no-pci", "--file-prefix", "ke%d" % os.getpid(), "--",
                              "--config", str(tmp_path / "kairod.json")],
                             stdout=f, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        try:
            wait_until(lambda: "waiting for ZooKeeper" in log.read_text(), 10,
                       "kairod to wait for ZooKeeper")
            p.send_signal(signal.SIGHUP)
            p.send_signal(signal.SIGUSR1)
            rc = p.wait(20)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    said = log.read_text()
    # Killed by a signal, rc would be negative; it went on waiting and refused as configured.
    assert rc == 1, (rc, said)
    assert "no ZooKeeper session after 4 s (zookeeper.start_wait_s)" in said, said


def test_a_reload_and_a_dump_asked_for_while_starting_are_done_once_it_runs(tmp_path):
    kd = Kairod(tmp_path, PORTS, TOPO)
    kd.write_files()
    kd.log = open(kd.log_path, "w")
    kd.proc = subprocess.Popen(kd.command(), stdout=kd.log, stderr=subprocess.STDOUT,
                               preexec_fn=die_with_parent)
    try:
        # As soon as the handlers are there.
        wait_until(lambda: {signal.SIGHUP, signal.SIGUSR1} <= caught(kd.proc.pid), 20,
                   "the handlers")
        kd.proc.send_signal(signal.SIGHUP)
        kd.proc.send_signal(signal.SIGUSR1)
        wait_until(lambda: "kairod: ready" in kd.log_path.read_text() or
                   kd.proc.poll() is not None, 20, "kairod to start")
        assert kd.proc.poll() is None, kd.log_path.read_text()
        # Nobody signals again: the dump asked for early is written, the reload is done.
        wait_until(kd.stats_path.exists, 10, "the dump asked for while starting")
        wait_until(lambda: "topology version 2 read from" in kd.log_path.read_text(), 10,
                   "the reload asked for while starting")
    finally:
        kd.stop()


# A size far past the -m given, the others small so that only it can be what does not fit.
SMALL = {"mbufs": 1023, "flow_cache": {"capacity": 1024},
         "slow_path": {"mac_table_size": 1024, "arp_table_size": 1024, "conntrack_size": 1024}}
SIZES = [
    ("mbufs", {"mbufs": 1 << 24}),
    ("flow_cache.capacity", {"flow_cache": {"capacity": 1 << 26}}),
    ("slow_path.mac_table_size", {"mac_table_size": 1 << 24}),
    ("slow_path.arp_table_size", {"arp_table_size": 1 << 20}),
    ("slow_path.conntrack_size", {"conntrack_size": 1 << 24}),
]
EAL_MEMORY_MB = 64


@pytest.mark.parametrize("field,over", SIZES, ids=[s[0] for s in SIZES])
def test_a_size_that_cannot_be_had_is_refused_by_its_field_before_any_port(tmp_path, field,
                                                                           over):
    write_pcap(tmp_path / "in.pcap", [])
    cfg = json.loads(json.dumps(SMALL))
    if field.startswith("slow_path."):
        cfg["slow_path"].update(over)
    else:
        cfg.update(over)
    cfg.update({"topology_file": "topology.json",
                "control": {"socket": "/tmp/kairo-size-%d.sock" % os.getpid()},
                "ports": [{"name": "vm1", "device": "net_pcap0,rx_pcap=%s,tx_pcap=%s"
                           % (tmp_path / "in.pcap", tmp_path / "out.pcap")},
                          {"name": "vm2", "device": "net_null1,no-rx=1"}]})
    (tmp_path / "kairod.json").write_text(json.dumps(cfg))
    (tmp_path / "topology.json").write_text(json.dumps(TOPO))
    rc, out = run_kairod(tmp_path / "kairod.json", timeout=60, memory_mb=EAL_MEMORY_MB)
    assert rc == 1, out
    said = [line for line in out.splitlines() if line.startswith("kairod: ")]
    assert said and said[-1].startswith("kairod: %s: %s: cannot create "
                                        % (tmp_path / "kairod.json", field)), out
    refusal = said[-1]
    # How much it needs, what EAL has, and the two ways out.
    assert "it needs about " in refusal and "EAL has " in refusal, refusal
    assert "-m" in refusal and ("or lower %s" % field) in refusal, refusal
    # No device was opened: net_pcap creates its capture file when it is probed.
    assert not (tmp_path / "out.pcap").exists()
