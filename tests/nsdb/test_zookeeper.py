# SPDX-License-Identifier: Apache-2.0
"""NSDB tests: the topology from a real ZooKeeper server, forwarding real pings.

Each test starts Debian's ZooKeeper on a loopback port of its own (tests/nsdb/zk_server.py)
and writes the topology with kazoo in the layout of nsdb/README.md; kairod reads it through
its ZooKeeper store.  Two "VMs" in network namespaces on tap ports ping each other through
one virtual bridge; what changes in ZooKeeper must change what kairod forwards, and what
happens to ZooKeeper (killed, cut off, session expired) must not stop forwarding.
"""
import json
import os
import subprocess
import time

import pytest

from kairo_harness import Kairod, die_with_parent, run_kairod_once
from zk_server import TcpProxy, ZkServer, java_available, put_topology, wait_until

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces"),
    pytest.mark.skipif(not java_available(), reason="needs Debian's zookeeper and java"),
]

HOST_ID = "test-host"


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


class Vms:
    """kairod's tap interfaces moved into namespaces of their own, addressed 10.78.0.x/24."""

    def __init__(self, n=2):
        tag = os.getpid() % 1000
        self.names = ["kz%d_%d" % (tag, i) for i in range(1, n + 1)]

    def ports(self):
        return [{"name": n, "device": "net_tap%d,iface=%s" % (i, n)}
                for i, n in enumerate(self.names)]

    def setup(self):
        for i, n in enumerate(self.names, start=1):
            sh("ip", "netns", "del", n, check=False)
            sh("ip", "netns", "add", n)
            sh("ip", "link", "set", n, "netns", n)
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "-n", n, "link", "set", "lo", "up")
            sh("ip", "-n", n, "addr", "add", "10.78.0.%d/24" % i, "dev", n)
            sh("ip", "-n", n, "link", "set", n, "up")

    def teardown(self):
        for n in self.names:
            sh("ip", "netns", "del", n, check=False)

    def ping(self, src=0, dst="10.78.0.2", count=1, interval="0.2", wait="1"):
        return sh("ip", "netns", "exec", self.names[src], "ping", "-c", str(count), "-i",
                  interval, "-W", wait, dst, check=False)

    def ping_bg(self, count, interval="0.05"):
        return subprocess.Popen(["ip", "netns", "exec", self.names[0], "ping", "-c", str(count),
                                 "-i", interval, "-W", "1", "10.78.0.2"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def bridge(up=True):
    return {"id": "br0", "name": "br0",
            "ports": [{"id": "p1"}, {"id": "p2", "admin_state_up": up}]}


def topology(vms):
    return {"bridges": [bridge()],
            "bindings": [{"port": "p1", "interface": vms.names[0]},
                         {"port": "p2", "interface": vms.names[1]}]}


def zk_config(hosts, **zk):
    cfg = {"zookeeper_hosts": hosts, "host_id": HOST_ID}
    if zk:
        cfg["zookeeper"] = zk
    return cfg


def received(ping_output):
    for line in ping_output.splitlines():
        if "packets transmitted" in line:
            return int(line.split(",")[1].split()[0])
    return 0


def version(kd):
    return kd.ctl("show", "datapath")["slow_path"]["topo_version"]


def icmp_flows(kd):
    return [f for f in kd.ctl("dump", "flows")["flows"] if "proto=1" in f["match"]]


@pytest.fixture
def zk(tmp_path):
    with ZkServer(tmp_path / "zk") as server:
        yield server


@pytest.fixture
def vms():
    v = Vms()
    yield v
    v.teardown()


def start(tmp_path, vms, hosts, **zk):
    kd = Kairod(tmp_path / "kd", vms.ports(), None, extra_config=zk_config(hosts, **zk))
    kd.start(timeout=60)
    vms.setup()
    return kd


def test_topology_written_to_zookeeper_forwards_and_the_host_registers(tmp_path, zk, vms):
    c = zk.client()
    put_topology(c, topology(vms))
    kd = start(tmp_path, vms, zk.hosts)
    try:
        r = vms.ping(count=3)
        assert received(r.stdout) == 3, r.stdout
        assert icmp_flows(kd), "the pings were simulated into flows"
        # The host record names this host's interfaces; the liveness node is ephemeral.
        record = json.loads(c.get("/kairo/hosts/%s" % HOST_ID)[0])
        assert [i["name"] for i in record["interfaces"]] == vms.names
        data, stat = c.get("/kairo/hosts/%s/alive" % HOST_ID)
        assert stat.ephemeralOwner != 0
        assert json.loads(data)["pid"] == kd.proc.pid
    finally:
        kd.stop()
    # A closed session takes its liveness node with it at once.
    wait_until(lambda: c.exists("/kairo/hosts/%s/alive" % HOST_ID) is None, 10,
               "the liveness node to go with the session")
    c.stop()


def test_a_change_in_zookeeper_changes_forwarding(tmp_path, zk, vms):
    c = zk.client()
    put_topology(c, topology(vms))
    kd = start(tmp_path, vms, zk.hosts)
    try:
        assert received(vms.ping(count=2).stdout) == 2
        assert icmp_flows(kd)
        v0 = version(kd)
        # p2 down, written straight into its bridge's node: the flows through it are stale.
        t0 = time.monotonic()
        c.set("/kairo/topology/bridges/br0", json.dumps(bridge(up=False)).encode())
        wait_until(lambda: not icmp_flows(kd), 10, "the stale flows to go", interval=0.005)
        gone = time.monotonic() - t0
        view = kd.ctl("show", "datapath")["slow_path"]
        print("\nZooKeeper write to the last stale flow gone: %.1f ms (version %d -> %d, "
              "%d flow(s) invalidated)" % (gone * 1000, v0, view["topo_version"],
                                          view["topo_last_invalidated"]))
        assert view["topo_version"] == v0 + 1
        assert gone < 5.0
        assert received(vms.ping(count=2).stdout) == 0, "p2 is down"
        c.set("/kairo/topology/bridges/br0", json.dumps(bridge(up=True)).encode())
        wait_until(lambda: version(kd) == v0 + 2, 10, "version %d" % (v0 + 2))
        assert received(vms.ping(count=2).stdout) == 2
        # A new kind of object appears: read without a restart.
        c.create("/kairo/topology/chains/c1", json.dumps(
            {"id": "c1", "rules": [{"type": "drop", "proto": 1}]}).encode(), makepath=True)
        b = bridge()
        b["inbound_filter"] = "c1"
        c.set("/kairo/topology/bridges/br0", json.dumps(b).encode())
        wait_until(lambda: received(vms.ping(count=1).stdout) == 0, 10, "the drop rule")
    finally:
        kd.stop()
        c.stop()


def test_bad_json_in_a_node_is_refused_naming_the_node(tmp_path, zk, vms):
    c = zk.client()
    put_topology(c, topology(vms))
    kd = start(tmp_path, vms, zk.hosts)
    try:
        v0 = version(kd)
        c.set("/kairo/topology/bridges/br0", b'{"id": "br0", "ports": [')
        wait_until(lambda: "/kairo/topology/bridges/br0: not JSON" in kd.log_path.read_text(),
                   10, "the refusal")
        # A valid JSON object that is not a valid bridge: the message names field and node.
        b = bridge()
        b["ports"][1]["peer"] = "nowhere"
        c.set("/kairo/topology/bridges/br0", json.dumps(b).encode())
        wait_until(lambda: "(node /kairo/topology/bridges/br0)" in kd.log_path.read_text(),
                   10, "the refusal of the bad peer")
        log = kd.log_path.read_text()
        assert "bridges[0].ports[1].peer" in log, log[-2000:]
        # A node under another name than its id is refused too.
        c.create("/kairo/topology/bridges/br9", json.dumps({"id": "brX"}).encode())
        wait_until(lambda: "\"id\" must be \"br9\", the node's name" in
                   kd.log_path.read_text(), 10, "the refusal of the misnamed node")
        c.delete("/kairo/topology/bridges/br9")
        # Nothing changed meanwhile: same version, same forwarding.
        assert version(kd) == v0
        assert received(vms.ping(count=2).stdout) == 2
        c.set("/kairo/topology/bridges/br0", json.dumps(bridge()).encode())
        wait_until(lambda: version(kd) == v0 + 1, 10, "the fixed node to be read")
    finally:
        kd.stop()
        c.stop()


def test_a_bad_vlan_in_a_node_is_refused_naming_field_and_node(tmp_path, zk, vms):
    # The store builds its snapshots with the file's loader: the same VLAN refusals, and the
    # node named; a good VLAN setting is taken and forwards.
    c = zk.client()
    put_topology(c, topology(vms))
    kd = start(tmp_path, vms, zk.hosts)
    try:
        v0 = version(kd)
        b = bridge()
        b["ports"][0]["vlan"] = 4095
        c.set("/kairo/topology/bridges/br0", json.dumps(b).encode())
        wait_until(lambda: "bridges[0].ports[0].vlan: 4095 is out of range [1, 4094] "
                   "(node /kairo/topology/bridges/br0)" in kd.log_path.read_text(), 10,
                   "the refusal of VLAN 4095")
        b["ports"][0]["vlan"] = 10
        b["ports"][0]["trunk_vlans"] = [10]
        c.set("/kairo/topology/bridges/br0", json.dumps(b).encode())
        wait_until(lambda: "not both (node /kairo/topology/bridges/br0)" in
                   kd.log_path.read_text(), 10, "the refusal of access and trunk on one port")
        assert version(kd) == v0
        # Both ports in VLAN 10: accepted, and the VMs (untagged on access ports) still talk.
        b = bridge()
        for p in b["ports"]:
            p["vlan"] = 10
        c.set("/kairo/topology/bridges/br0", json.dumps(b).encode())
        wait_until(lambda: version(kd) == v0 + 1, 10, "the VLAN bridge to be read")
        assert received(vms.ping(count=2).stdout) == 2
    finally:
        kd.stop()
        c.stop()


def test_zookeeper_killed_mid_traffic_forwarding_goes_on_and_the_agent_catches_up(
        tmp_path, zk, vms):
    c = zk.client()
    put_topology(c, topology(vms))
    c.stop()
    # kairod reaches ZooKeeper through a proxy, so that it can be kept away after the restart.
    proxy = TcpProxy(zk.port).start()
    kd = start(tmp_path, vms, "127.0.0.1:%d" % proxy.port, session_timeout_ms=20000)
    try:
        assert received(vms.ping(count=2).stdout) == 2
        v0 = version(kd)
        pinger = vms.ping_bg(60)  # 3 s of pings, established flows
        time.sleep(0.5)
        zk.kill()
        wait_until(lambda: "agent.Nsdb DISCONNECT" in kd.log_path.read_text(), 10,
                   "DISCONNECT in the log")
        out = pinger.communicate(timeout=30)[0]
        assert received(out) == 60, "established flows kept forwarding:\n" + out
        # New flows on the known topology: simulated on the last snapshot.
        kd.ctl("flush", "flows")
        assert received(vms.ping(count=3).stdout) == 3
        assert version(kd) == v0
        # ZooKeeper comes back on its data; a change is made while kairod is still away.
        proxy.stop()
        zk.start()
        c = zk.client()
        c.set("/kairo/topology/bridges/br0", json.dumps(bridge(up=False)).encode())
        c.stop()
        proxy.start()
        wait_until(lambda: version(kd) > v0, 30, "the change made meanwhile")
        log = kd.log_path.read_text()
        assert log.count("agent.Nsdb CONNECT") >= 2, log[-3000:]
        assert "reading the topology again" in log
        assert received(vms.ping(count=2).stdout) == 0, "p2 is down now"
    finally:
        kd.stop()
        proxy.stop()


def test_session_expiry_registers_the_host_again(tmp_path, zk, vms):
    c = zk.client()
    put_topology(c, topology(vms))
    proxy = TcpProxy(zk.port).start()
    kd = start(tmp_path, vms, "127.0.0.1:%d" % proxy.port, session_timeout_ms=2000)
    alive = "/kairo/hosts/%s/alive" % HOST_ID
    try:
        first = c.get(alive)[1].ephemeralOwner
        # Away longer than the session timeout: the server expires the session.
        proxy.stop()
        wait_until(lambda: c.exists(alive) is None, 20, "the liveness node to expire")
        assert received(vms.ping(count=3).stdout) == 3, "forwarding without ZooKeeper"
        proxy.start()
        wait_until(lambda: "agent.Nsdb CONN_EXPIRE" in kd.log_path.read_text(), 20,
                   "CONN_EXPIRE in the log")
        stat = wait_until(lambda: c.exists(alive), 20, "the liveness node again")
        assert stat.ephemeralOwner not in (0, first)
        # The new session watches again: a change is seen.
        v = version(kd)
        c.set("/kairo/topology/bridges/br0", json.dumps(bridge(up=False)).encode())
        wait_until(lambda: version(kd) > v, 20, "a change on the new session")
    finally:
        kd.stop()
        proxy.stop()
        c.stop()


def test_digest_auth_creator_only_acls(tmp_path, zk, vms):
    from kazoo.exceptions import NoAuthError
    from kazoo.security import make_digest_acl

    acl = [make_digest_acl("kairo", "s3cret", all=True)]
    c = zk.client(auth="kairo:s3cret")
    c.create("/kairo", acl=acl)
    for p in ("/kairo/topology", "/kairo/topology/bridges", "/kairo/hosts",
              "/kairo/hosts/" + HOST_ID, "/kairo/hosts/%s/bindings" % HOST_ID):
        c.create(p, acl=acl)
    for kind, objs in topology(vms).items():
        for o in objs:
            path = ("/kairo/hosts/%s/bindings/%s" % (HOST_ID, o["port"]) if kind == "bindings"
                    else "/kairo/topology/%s/%s" % (kind, o["id"]))
            c.create(path, json.dumps(o).encode(), acl=acl)
    # Wrong password: refused at start, saying what to check.
    code, out = run_kairod_once(
        tmp_path / "bad", json.dumps(dict(zk_config(zk.hosts, digest="kairo:wrong"),
                                          ports=vms.ports())), "", timeout=60)
    assert code == 1, out
    assert "not allowed by the node's ACL (check zookeeper.digest)" in out, out
    kd = start(tmp_path, vms, zk.hosts, digest="kairo:s3cret")
    try:
        assert received(vms.ping(count=2).stdout) == 2
        # What kairod created (the liveness node) is its own identity's only.
        anon = zk.client()
        with pytest.raises(NoAuthError):
            anon.get("/kairo/hosts/%s/alive" % HOST_ID)
        anon.stop()
    finally:
        kd.stop()
        c.stop()


def test_zookeeper_down_at_start_the_daemon_waits_or_refuses(tmp_path, vms):
    server = ZkServer(tmp_path / "zk")
    # With a limit: refused, saying so.
    code, out = run_kairod_once(
        tmp_path / "limit", json.dumps(dict(zk_config(server.hosts, start_wait_s=2),
                                            ports=vms.ports())), "", timeout=60)
    assert code == 1, out
    assert "no ZooKeeper session after 2 s (zookeeper.start_wait_s)" in out, out
    # Without: it waits, and starts once ZooKeeper is there.  The topology is written
    # first and the server stopped, so the daemon cannot read ZooKeeper before it holds one.
    server.start()
    c = server.client()
    put_topology(c, topology(vms))
    c.stop()
    server.kill()
    kd = Kairod(tmp_path / "kd", vms.ports(), None, extra_config=zk_config(server.hosts))
    kd.write_files()
    kd.log = open(kd.log_path, "w")
    kd.proc = subprocess.Popen(kd.command(), stdout=kd.log, stderr=subprocess.STDOUT,
                               preexec_fn=die_with_parent)
    try:
        wait_until(lambda: "waiting for ZooKeeper" in kd.log_path.read_text(), 20,
                   "the waiting message")
        assert kd.proc.poll() is None
        server.start()   # the same data: the topology is there
        wait_until(lambda: "kairod: ready" in kd.log_path.read_text(), 60, "ready")
        vms.setup()
        assert received(vms.ping(count=2).stdout) == 2
    finally:
        kd.stop()
        server.kill()


def test_central_configuration_default_and_host_override(tmp_path, zk, vms):
    c = zk.client()
    put_topology(c, topology(vms))
    c.create("/kairo/config/default", json.dumps(
        {"flow_cache": {"capacity": 2048, "idle_timeout_ms": 30000}}).encode(), makepath=True)
    c.create("/kairo/config/hosts/" + HOST_ID, json.dumps(
        {"flow_cache": {"capacity": 4096}}).encode(), makepath=True)
    kd = start(tmp_path, vms, zk.hosts)
    try:
        # The host's override wins over the default, which wins over the local file's 1024.
        assert kd.ctl("show", "datapath")["flow_cache"]["capacity"] == 4096
    finally:
        kd.stop()
    # A bad central value is refused with its source and field.
    c.set("/kairo/config/hosts/" + HOST_ID, json.dumps(
        {"flow_cache": {"capacity": 1}}).encode())
    code, out = run_kairod_once(
        tmp_path / "bad", json.dumps(dict(zk_config(zk.hosts), ports=vms.ports())), "",
        timeout=60)
    assert code == 1, out
    assert "zookeeper %s/kairo: flow_cache.capacity" % zk.hosts in out, out
    c.stop()


def test_kairoctl_edits_commit_to_zookeeper_in_one_multi_op(tmp_path, zk, vms):
    c = zk.client()
    put_topology(c, topology(vms))
    kd = start(tmp_path, vms, zk.hosts)
    try:
        v0 = version(kd)
        # The topology editor commits through the store: the new bridge is a node of its own.
        kd.ctl("bridge", "create", "name", "zk-made", as_json=False)
        ids = c.get_children("/kairo/topology/bridges")
        assert len(ids) == 2, ids
        made = [i for i in ids if i != "br0"][0]
        assert json.loads(c.get("/kairo/topology/bridges/" + made)[0])["name"] == "zk-made"
        # br0 was not rewritten: only what changed is written.
        assert c.get("/kairo/topology/bridges/br0")[1].version == 0
        wait_until(lambda: version(kd) > v0, 10, "the committed change to be applied")
        assert received(vms.ping(count=2).stdout) == 2
    finally:
        kd.stop()
        c.stop()


def test_bindings_of_other_hosts_come_with_their_host(tmp_path, zk, vms):
    c = zk.client()
    topo = topology(vms)
    topo["bridges"][0]["ports"].append({"id": "p3"})
    put_topology(c, topo)
    # Another host binds p3; without hosts[] naming it the document is refused, naming the node.
    c.create("/kairo/hosts/other/bindings/p3",
             json.dumps({"port": "p3", "interface": "vm9"}).encode(), makepath=True)
    code, out = run_kairod_once(
        tmp_path / "refused", json.dumps(dict(zk_config(zk.hosts), ports=vms.ports())), "",
        timeout=60)
    assert code == 1, out
    assert "bindings[0].host: no host with id \"other\" in hosts[] " \
           "(node /kairo/hosts/other/bindings/p3)" in out, out
    # A binding under a host that says another host is a mistake too.
    c.set("/kairo/hosts/other/bindings/p3",
          json.dumps({"port": "p3", "host": "third", "interface": "vm9"}).encode())
    code, out = run_kairod_once(
        tmp_path / "misplaced", json.dumps(dict(zk_config(zk.hosts), ports=vms.ports())), "",
        timeout=60)
    assert code == 1, out
    assert "/kairo/hosts/other/bindings/p3: \"host\" must be \"other\"" in out, out
    c.stop()


@pytest.mark.parametrize("extra, message", [
    ({"zookeeper_hosts": "127.0.0.1"}, 'zookeeper_hosts: "127.0.0.1" is not host:port'),
    ({"zookeeper_hosts": "127.0.0.1:2181,h:99999"}, 'zookeeper_hosts: "h:99999": bad port'),
    ({"zookeeper_hosts": "127.0.0.1:2181", "topology_file": "topology.json"},
     "topology_file: given with zookeeper_hosts"),
    ({"zookeeper": {"root": "/kairo"}}, "zookeeper: given without zookeeper_hosts"),
    ({"zookeeper_hosts": "127.0.0.1:2181", "zookeeper": {"root": "kairo/"}},
     'zookeeper.root: "kairo/" is not a ZooKeeper path'),
    ({"zookeeper_hosts": "127.0.0.1:2181", "zookeeper": {"digest": "nocolon"}},
     'zookeeper.digest: must be "user:password"'),
    ({"zookeeper_hosts": "127.0.0.1:2181", "zookeeper": {"session_timeout": 5}},
     "zookeeper.session_timeout"),
])
def test_bad_zookeeper_settings_are_refused_before_anything_starts(tmp_path, extra, message):
    cfg = {"host": "h", "ports": [{"name": "a", "device": "net_null0"}]}
    if "zookeeper_hosts" not in extra:
        cfg["topology_file"] = "topology.json"
    cfg.update(extra)
    code, out = run_kairod_once(tmp_path, json.dumps(cfg), json.dumps(
        {"bridges": [{"id": "b", "ports": [{"id": "p"}]}]}), timeout=20)
    assert code == 1, out
    assert message in out, out


def test_a_stalled_zookeeper_stalls_nothing_but_itself(tmp_path, zk, vms):
    import signal

    c = zk.client()
    put_topology(c, topology(vms))
    c.stop()
    kd = start(tmp_path, vms, zk.hosts, session_timeout_ms=20000)
    try:
        v0 = version(kd)
        # The server stops answering (SIGSTOP): no error, just silence.
        zk.proc.send_signal(signal.SIGSTOP)
        try:
            kd.ctl("flush", "flows")
            assert received(vms.ping(count=10, interval="0.2").stdout) == 10
        finally:
            zk.proc.send_signal(signal.SIGCONT)
        c = zk.client()
        c.set("/kairo/topology/bridges/br0", json.dumps(bridge(up=False)).encode())
        c.stop()
        wait_until(lambda: version(kd) > v0, 30, "the change after the stall")
    finally:
        kd.stop()
