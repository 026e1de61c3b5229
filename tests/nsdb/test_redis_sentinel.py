# SPDX-License-Identifier: Apache-2.0
"""Redis behind Sentinel: the master killed mid-traffic, kairod finds the promoted replica.

A master, a replica and three sentinels (quorum 2), all real redis-server processes on loopback
ports of their own.  kairod is configured with the sentinels and the master's name, never an
address.  A masqueraded VM makes NAT bindings; they are written behind to the master and
replicated.  The master is killed: the sentinels promote the replica, kairod asks them again,
connects to the new master, and new bindings are written there, beside the old ones the replica
already held.  The time from the kill to the first write acknowledged by the new master is
printed: it is the failover's cost to shared state (forwarding never waits for Redis).
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kairo_harness import Kairod, wait_until
from redis_server import RedisServer, Sentinel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "netns"))
from test_nat_netns import (CLIENT, HOSTS, ROUTER_OUT, SERVER, hosts_setup, sh,  # noqa: E402
                            topology)


pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")

MASTER = "kairo-state"


@pytest.fixture
def sentinel_nat(tmp_path):
    master = RedisServer(tmp_path / "master").start()
    replica = RedisServer(tmp_path / "replica",
                          extra=["--replicaof", "127.0.0.1", str(master.port)]).start()
    sentinels = []
    tag = "s%d" % (os.getpid() % 1000)
    names = {r: "k%s%s" % (tag, r) for r in HOSTS}
    kd = None
    try:
        wait_until(lambda: master.client().info("replication")["connected_slaves"] == 1, 20,
                   "the replica to attach")
        for i in range(3):
            sentinels.append(Sentinel(tmp_path / ("sentinel%d" % i), MASTER, master.port).start())
        # Each sentinel has found the replica (through the master) and the other sentinels.
        wait_until(lambda: all(len(s.client().sentinel_slaves(MASTER)) == 1 and
                               len(s.client().sentinel_sentinels(MASTER)) == 2 for s in sentinels),
                   30, "the sentinels to know the replica and each other")
        ports = [{"name": names[r], "device": "net_tap%d,iface=%s" % (i, names[r])}
                 for i, r in enumerate(HOSTS)]
        redis_cfg = {"sentinels": ["127.0.0.1:%d" % s.port for s in sentinels],
                     "master": MASTER, "state_ttl_s": 60, "wait_ms": 500}
        kd = Kairod(tmp_path / "kd", ports, topology(names), extra_config={"redis": redis_cfg})
        kd.start()
        hosts_setup(names)
        yield kd, names, master, replica
    finally:
        for n in names.values():
            sh("ip", "netns", "del", n, check=False)
        if kd is not None:
            kd.stop()
        for s in sentinels:
            s.stop()
        replica.stop()
        master.stop()


def udp_from_vm(names, sport, port=7000):
    """One UDP exchange vm1 → ext from source port sport; the address ext saw it from."""
    srv = subprocess.Popen(["ip", "netns", "exec", names["ext"], "/usr/bin/python3", "-c",
                            SERVER, "udp", str(port)], stdout=subprocess.PIPE, text=True)
    # test_nat_netns's one-shot server says when it is bound: the client sends only then.
    assert srv.stdout.readline().strip() == "ready"
    client = CLIENT.replace("4242", str(sport))
    r = sh("ip", "netns", "exec", names["vm1"], "/usr/bin/python3", "-c", client, "udp",
           "198.51.100.2", str(port), check=False)
    seen, _ = srv.communicate(timeout=30)
    assert r.returncode == 0, r.stderr
    return seen.strip()


def bindings(client):
    return {k: json.loads(client.get(k)) for k in client.keys("kairo:nat:r1:snat_fwd:udp/*")}


def test_a_killed_master_is_replaced_by_the_promoted_replica(sentinel_nat):
    kd, names, master, replica = sentinel_nat
    state = kd.ctl("show", "state")
    assert state["connected"] and str(master.port) in state["redis"], state["redis"]
    seen = udp_from_vm(names, 5001)
    assert seen.startswith(ROUTER_OUT + ":")
    before = wait_until(lambda: bindings(master.client()), 15, "the first binding in the master")
    # Replicated before the kill: the promoted replica must answer for it.
    wait_until(lambda: bindings(replica.client()) == before, 15, "the binding on the replica")

    killed = time.monotonic()
    master.kill()
    wait_until(lambda: (lambda st: st["master_changes"] >= 1 and st["connected"])(
        kd.ctl("show", "state")), 60, "kairod on the promoted replica")
    reconnected = time.monotonic() - killed
    udp_from_vm(names, 5002)
    after = wait_until(lambda: len(bindings(replica.client())) > len(before) and
                       bindings(replica.client()), 30, "a new binding written to the new master")
    resumed = time.monotonic() - killed
    print("\nmaster killed -> kairod connected to the promoted replica: %.2f s; "
          "-> a new binding stored there: %.2f s" % (reconnected, resumed))

    state = kd.ctl("show", "state")
    assert str(replica.port) in state["redis"], state["redis"]
    assert replica.client().info("replication")["role"] == "master"
    # The old connection's binding answered from the new master, and the new one beside it.
    assert all(after[k] == v for k, v in before.items())
    assert any(v["orig"].endswith(":5002") for v in after.values()), after
    log = kd.log_path.read_text()
    assert "DISCONNECT" in log and "Sentinel failover" in log
