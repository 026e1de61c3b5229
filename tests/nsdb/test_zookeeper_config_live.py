# SPDX-License-Identifier: Apache-2.0
"""The central configuration changed while kairod runs (config/README.md, "Central
configuration at run time").

One kairod on a ZooKeeper of its own (tests/nsdb/zk_server.py).  A change to a live setting in
ROOT/config/hosts/<id> shows in `kairoctl show datapath` without a restart; a change to one
that sizes memory is reported (log and `agent.Config UPDATE ... needs restart: FIELD`) and not
applied; an invalid change is refused whole with the field named, and the running values stay.
"""
import json
import re

import pytest

from kairo_harness import Kairod
from zk_server import ZkServer, java_available, put_topology, wait_until

pytestmark = pytest.mark.skipif(not java_available(), reason="no java / zookeeper jar")

HOST_ID = "test-host"
NODE = "/kairo/config/hosts/" + HOST_ID
PORTS = [{"name": "vm1", "device": "net_null0,no-rx=1"}]
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")


def events(kd, kind="agent.Config"):
    return [TIME.sub("", e["line"]) for e in kd.ctl("events")["events"] if kind in e["line"]]


def view(kd):
    dp = kd.ctl("show", "datapath")
    return dp["flow_cache"], dp["slow_path"]


@pytest.fixture
def zk(tmp_path):
    with ZkServer(tmp_path / "zk") as server:
        yield server


def test_central_configuration_changes_at_run_time(tmp_path, zk):
    c = zk.client()
    put_topology(c, {"bridges": [{"id": "br0", "ports": [{"id": "p1"}]}],
                     "bindings": [{"port": "p1", "interface": "vm1"}]})
    c.create("/kairo/config/default", json.dumps(
        {"slow_path": {"global_bucket": 200}}).encode(), makepath=True)
    kd = Kairod(tmp_path / "kd", PORTS, None,
                extra_config={"zookeeper_hosts": zk.hosts, "host_id": HOST_ID})
    kd.start(timeout=60)
    try:
        fc, sp = view(kd)
        assert sp["global_bucket"] == 200 and fc["capacity"] == 1024

        # Live: admission buckets and flow timeouts; the host node is created now.
        c.create(NODE, json.dumps({"slow_path": {"global_bucket": 64, "vport_bucket": 8},
                                   "flow_cache": {"idle_timeout_ms": 5000}}).encode(),
                 makepath=True)
        wait_until(lambda: view(kd)[1]["global_bucket"] == 64, 20, "global_bucket 64 applied")
        fc, sp = view(kd)
        assert sp["vport_bucket"] == 8 and fc["idle_timeout_ms"] == 5000
        ev = events(kd)
        assert any(e.startswith("agent.Config UPDATE applied: ") and
                   "slow_path.global_bucket 200 -> 64" in e and
                   "flow_cache.idle_timeout_ms 60000 -> 5000" in e for e in ev), ev
        assert not any("needs restart" in e for e in ev), ev

        # Restart-only: reported, named, not applied; the live part beside it is.
        c.set(NODE, json.dumps({"slow_path": {"global_bucket": 32, "vport_bucket": 8},
                                "flow_cache": {"idle_timeout_ms": 5000,
                                               "capacity": 4096}}).encode())
        wait_until(lambda: any("needs restart" in e for e in events(kd)), 20,
                   "the restart-only change reported")
        ev = [e for e in events(kd) if "needs restart" in e]
        assert ev == ["agent.Config UPDATE applied: slow_path.global_bucket 64 -> 32; "
                      "needs restart: flow_cache.capacity 1024 -> 4096"], ev
        fc, sp = view(kd)
        assert fc["capacity"] == 1024 and sp["global_bucket"] == 32
        assert "needs restart: flow_cache.capacity" in kd.log_path.read_text()

        # Invalid: refused whole with the field named; nothing of it applies.
        c.set(NODE, json.dumps({"slow_path": {"global_bucket": 0, "vport_bucket": 4}}).encode())
        wait_until(lambda: any("REFUSE" in e for e in events(kd)), 20, "the refusal")
        ev = [e for e in events(kd) if "REFUSE" in e]
        assert len(ev) == 1 and "slow_path.global_bucket" in ev[0], ev
        assert "zookeeper %s/kairo" % zk.hosts in ev[0], ev
        fc, sp = view(kd)
        assert sp["global_bucket"] == 32 and sp["vport_bucket"] == 8
        assert fc["idle_timeout_ms"] == 5000

        # Not JSON at all: refused naming the node.
        c.set(NODE, b"{not json")
        wait_until(lambda: len([e for e in events(kd) if "REFUSE" in e]) == 2, 20,
                   "the second refusal")
        assert NODE in [e for e in events(kd) if "REFUSE" in e][1]

        # Deleted: back to the default's values (the host's override gone).
        c.delete(NODE)
        wait_until(lambda: view(kd)[1]["global_bucket"] == 200, 20, "back to the default")
        fc, sp = view(kd)
        assert fc["idle_timeout_ms"] == 60000
        # The view at exit says the same: the slow path's in-flight level is out of 200.
        out = kd.stop()
        assert out["slow_path"]["global_bucket"] == 200
        assert "in-flight 0/200" in kd.output
    finally:
        if kd.proc is not None:
            kd.stop()
        c.stop()
