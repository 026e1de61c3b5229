# SPDX-License-Identifier: Apache-2.0
"""Every host's liveness in `kairoctl list host`, as ZooKeeper knows it.

Two kairods (hosts "host-a" and "host-b") share one ZooKeeper on a loopback port of its own
(tests/nsdb/zk_server.py).  Each registers a host record and an ephemeral "alive" node; each
must list the other alive while it runs, and not alive once its node is gone.  With the
embedded file store nobody can know another host's liveness: it is said to be unknown.
"""
import os

import pytest

from kairo_harness import Kairod, KairoctlError
from zk_server import ZkServer, java_available, put_topology, wait_until

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for tap interfaces"),
    pytest.mark.skipif(not java_available(), reason="needs Debian's zookeeper and java"),
]


def host_kairod(tmp_path, zk, host_id, tap):
    cfg = {"zookeeper_hosts": zk.hosts, "host_id": host_id, "host": host_id + "-name",
           "zookeeper": {"session_timeout_ms": 4000}}
    return Kairod(tmp_path / host_id, [{"name": tap, "device": "net_tap0,iface=" + tap}], None,
                  extra_config=cfg)


def hosts(kd):
    """{id: alive} from `list host`, and the text lines."""
    res = kd.ctl("list", "host")
    return {o["id"]: o["alive"] for o in res["objects"]}, kd.ctl("list", "host",
                                                                 as_json=False).splitlines()


def listed_alive(kd, host):
    """What kd lists of host's liveness; None while kd itself has no ZooKeeper session.

    With 4 s sessions a loaded machine can cost the asking host its own session for a moment:
    it then refuses topology reads, and the wait goes on rather than failing on it."""
    try:
        return hosts(kd)[0].get(host)
    except KairoctlError as e:
        if "no ZooKeeper session" in str(e):
            return None
        raise


@pytest.fixture
def zk(tmp_path):
    with ZkServer(tmp_path / "zk") as server:
        c = server.client()
        put_topology(c, {"bridges": [{"id": "br0", "ports": [{"id": "p1"}]}]})
        c.stop()
        yield server


def test_two_hosts_see_each_other_alive_and_a_stopped_one_not(tmp_path, zk):
    tag = os.getpid() % 1000
    a = host_kairod(tmp_path, zk, "host-a", "kha%d" % tag).start(timeout=60)
    b = host_kairod(tmp_path, zk, "host-b", "khb%d" % tag).start(timeout=60)
    try:
        alive, lines = hosts(a)
        assert alive == {"host-a": True, "host-b": True}, lines
        # This daemon first, then the others; midonet-cli's words.
        assert lines[0] == "host host0 name host-a-name alive true", lines
        assert "name host-b-name alive true" in lines[1], lines
        alive, lines = hosts(b)
        assert alive == {"host-a": True, "host-b": True}, lines
        # `host H show` by the alias this daemon gave the other host, and by its id.
        alias = [o["alias"] for o in b.ctl("list", "host")["objects"] if o["id"] == "host-a"][0]
        shown = b.ctl("host", alias, "show", as_json=False).strip()
        assert shown == "host %s name host-a-name alive true" % alias
        assert b.ctl("host", "host-a", "show")["objects"][0]["alive"] is True

        # A stops: its session closes and the ephemeral node goes with it.
        a.stop()
        wait_until(lambda: listed_alive(b, "host-a") is False, 90,
                   "host-a to be listed alive false on host-b")
        alive, lines = hosts(b)
        assert alive == {"host-a": False, "host-b": True}, lines
        assert any(line.endswith("name host-a-name alive false") for line in lines), lines

        # Back, it is alive again for B.
        a.start(timeout=60)
        wait_until(lambda: listed_alive(b, "host-a") is True, 90, "host-a alive again")

        # Killed (no goodbye): alive until ZooKeeper expires its session (4 s here), then not.
        a.proc.kill()
        a.proc.wait()
        a.log.close()
        a.proc = None
        wait_until(lambda: listed_alive(b, "host-a") is False, 90,
                   "host-a's session to expire and B to list it alive false")
    finally:
        for kd in (a, b):
            if kd.proc is not None:
                kd.stop()


def test_with_the_file_store_other_hosts_liveness_is_unknown(tmp_path):
    tap = "khf%d" % (os.getpid() % 1000)
    topo = {"hosts": [{"id": "test-host"}, {"id": "other", "name": "other-host"}],
            "bridges": [{"id": "br0", "ports": [{"id": "p1"}]}]}
    with Kairod(tmp_path / "kd", [{"name": tap, "device": "net_tap0,iface=" + tap}],
                topo) as kd:
        res = kd.ctl("list", "host")
        by_id = {o["id"]: o for o in res["objects"]}
        assert by_id["test-host"]["alive"] is True
        # Not false: nothing here can know.  JSON null, and the word "unknown".
        assert by_id["other"]["alive"] is None
        lines = kd.ctl("list", "host", as_json=False).splitlines()
        assert any(line.endswith("name other-host alive unknown") for line in lines), lines
