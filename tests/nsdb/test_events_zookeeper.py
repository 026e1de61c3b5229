# SPDX-License-Identifier: Apache-2.0
"""The event log across a ZooKeeper restart (operations guide, ch. 13: agent.Nsdb CONNECT,
DISCONNECT): the server killed and started again on its data, within the session timeout,
gives exactly DISCONNECT then CONNECT with the same session; a change written to ZooKeeper
afterwards is a topology event like an edit through kairoctl."""
import json
import re
import time

import pytest

from kairo_harness import Kairod
from zk_server import ZkServer, java_available, put_topology, wait_until

pytestmark = pytest.mark.skipif(not java_available(), reason="no java / zookeeper jar")

HOST_ID = "test-host"
PORTS = [{"name": "vm1", "device": "net_null0,no-rx=1"},
         {"name": "vm2", "device": "net_null1,no-rx=1"}]
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")


def bridge(up=True):
    return {"id": "br0", "name": "br0",
            "ports": [{"id": "p1"}, {"id": "p2", "admin_state_up": up}]}


def events(kd):
    return [TIME.sub("", e["line"]) for e in kd.ctl("events")["events"]]


def test_a_zookeeper_restart_is_disconnect_then_connect_in_the_event_log(tmp_path):
    zk = ZkServer(tmp_path / "zk").start()
    kd = None
    try:
        c = zk.client()
        put_topology(c, {"bridges": [bridge()],
                         "bindings": [{"port": "p1", "interface": "vm1"},
                                      {"port": "p2", "interface": "vm2"}]})
        c.stop()
        kd = Kairod(tmp_path / "kd", PORTS, None,
                    extra_config={"zookeeper_hosts": zk.hosts, "host_id": HOST_ID,
                                  "zookeeper": {"session_timeout_ms": 20000}}).start(60)
        first = events(kd)
        session = re.match(r"agent\.Nsdb CONNECT zookeeper %s session (0x[0-9a-f]+)$"
                           % re.escape(zk.hosts), first[0])
        assert session, first
        assert first[1:] == [
            "agent.Interface DETECT vm1",
            "agent.Interface DETECT vm2",
            "Port BIND p1 vm1",
            "Port BIND p2 vm2",
            "agent.Service START pid %d, 2 port(s), 1 worker(s), topology version 1" % kd.pid,
        ]
        zk.kill()
        wait_until(lambda: len(events(kd)) > len(first), 20, "DISCONNECT")
        zk.start()
        wait_until(lambda: len(events(kd)) > len(first) + 1, 30, "CONNECT")
        c = zk.client()
        c.set("/kairo/topology/bridges/br0", json.dumps(bridge(up=False)).encode())
        c.stop()
        wait_until(lambda: len(events(kd)) > len(first) + 2, 30, "the change")
        time.sleep(0.5)  # nothing more comes
        assert events(kd)[len(first):] == [
            "agent.Nsdb DISCONNECT zookeeper %s" % zk.hosts,
            "agent.Nsdb CONNECT zookeeper %s session %s" % (zk.hosts, session.group(1)),
            "topology.Port UPDATE p2 bridge br0",
        ]
    finally:
        if kd is not None:
            kd.stop()
        zk.kill()
