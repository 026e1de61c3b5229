# SPDX-License-Identifier: Apache-2.0
"""A three-server ZooKeeper ensemble: the leader killed while VMs ping through kairod.

kairod is given all three servers (zookeeper_hosts "h1:p1,h2:p2,h3:p3"); its session is on one
of them.  The leader is killed mid-traffic: forwarding never stops (flows and the snapshot in
use need no ZooKeeper), the two left elect a new leader, kairod's session carries on (moved to
a live server if its own was the one killed), and a change written after the election is taken.
"""
import json
import os
import time

import pytest

from test_zookeeper import Vms, bridge, received, topology, version, wait_until, zk_config
from kairo_harness import Kairod
from zk_server import ZkEnsemble, java_available, put_topology

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces"),
              pytest.mark.skipif(not java_available(), reason="needs Debian's zookeeper")]


@pytest.fixture
def ensemble(tmp_path):
    e = ZkEnsemble(tmp_path / "zk").start()
    yield e
    e.stop()


def test_the_leader_killed_mid_traffic_loses_no_packet_and_a_later_change_is_taken(tmp_path,
                                                                                  ensemble):
    vms = Vms()
    c = ensemble.client()
    put_topology(c, topology(vms))
    kd = Kairod(tmp_path / "kd", vms.ports(), None, extra_config=zk_config(ensemble.hosts))
    kd.start(timeout=60)
    try:
        vms.setup()
        # The first exchange resolves ARP and installs the flows.
        wait_until(lambda: received(vms.ping(count=1).stdout) == 1, 30, "a first ping")
        pinger = vms.ping_bg(count=100, interval="0.05")
        time.sleep(0.5)  # mid-traffic: some pings before the kill, most after
        leader = ensemble.leader()
        assert leader is not None
        killed = time.monotonic()
        ensemble.kill(leader)
        wait_until(lambda: ensemble.leader() is not None, 60, "a new leader")
        elected = time.monotonic() - killed
        out, _ = pinger.communicate(timeout=60)
        assert received(out) == 100, out
        # A change made after the election: p2 down, its flows stale, the pings stop.
        v0 = version(kd)
        c.set("/kairo/topology/bridges/br0", json.dumps(bridge(up=False)).encode())
        wait_until(lambda: version(kd) > v0, 30, "kairod to take the change", interval=0.05)
        taken = time.monotonic() - killed
        assert received(vms.ping(count=2).stdout) == 0
        print("\nleader %d killed: new leader after %.1f s, change taken %.1f s after the kill"
              % (leader + 1, elected, taken))
        state = kd.ctl("show", "datapath")
        assert state["slow_path"]["topo_version"] == v0 + 1
    finally:
        kd.stop()
        vms.teardown()
        c.stop()
        c.close()
