# SPDX-License-Identifier: Apache-2.0
"""The event log in MidoNet's words (operations guide, ch. 13): a scripted series of kairoctl
topology edits and a port added while kairod runs give exactly these lines, in this order, in
`kairoctl events` and in the configured events.file; `--follow` streams new ones."""
import json
import re
import subprocess
import time

from kairo_harness import KAIROCTL, Kairod, bridge_topology

PORTS = [{"name": "vm1", "device": "net_null0,no-rx=1"},
         {"name": "vm2", "device": "net_null1,no-rx=1"}]
TOPO = bridge_topology(["p1", "p2"], {"p1": "vm1", "p2": "vm2"})
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")


def events(kd, since=0):
    """The lines after since, without their time (each one checked to carry one)."""
    r = kd.ctl("events", "--since", str(since))
    lines = [e["line"] for e in r["events"]]
    assert all(TIME.match(line) for line in lines), lines
    return [TIME.sub("", line) for line in lines], r["next"]


def wait_events(kd, since, n, timeout=15):
    """At least n new lines after since (a kairoctl edit is applied by the next reload)."""
    deadline = time.monotonic() + timeout
    while True:
        got, nxt = events(kd, since)
        if len(got) >= n or time.monotonic() > deadline:
            return got, nxt
        time.sleep(0.05)


def doc(kd):
    return json.loads((kd.dir / "topology.json").read_text())


def test_topology_edits_and_a_port_added_give_midonet_event_lines(tmp_path):
    events_file = tmp_path / "events.log"
    kd = Kairod(tmp_path, PORTS, TOPO, extra_config={"events": {"file": str(events_file)}})
    with kd:
        pid = kd.pid
        start, seq = events(kd)
        assert start == [
            "agent.Interface DETECT vm1",
            "agent.Interface DETECT vm2",
            "Port BIND p1 vm1",
            "Port BIND p2 vm2",
            "agent.Service START pid %d, 2 port(s), 1 worker(s), topology version 1" % pid,
        ]
        follow = subprocess.Popen([str(KAIROCTL), "--socket", kd.socket, "events", "--follow",
                                   "--since", str(seq)], stdout=subprocess.PIPE, text=True)
        try:
            script = [
                (["bridge", "create", "name", "left"], 1),
                (["bridge", "bridge1", "add", "port"], 1),
                (["router", "create", "name", "edge"], 1),
                (["router", "router0", "add", "port", "address", "10.1.0.1", "net",
                  "10.1.0.0/24"], 1),
                (["router", "router0", "port", "port0", "set", "peer", "bridge1:port0"], 1),
                (["router", "router0", "add", "route", "dst", "10.9.0.0/16", "gw",
                  "10.1.0.254", "port", "router0:port0"], 1),
                (["chain", "create", "name", "edge-in"], 1),
                (["chain", "chain0", "add", "rule", "ethertype", "2048", "src",
                  "!10.0.0.0/16", "pos", "1", "type", "drop"], 1),
                (["router", "router0", "set", "infilter", "chain0"], 1),
                (["bridge", "bridge0", "add", "port"], 1),
                (["host", "host0", "add", "binding", "port", "bridge0:port2", "interface",
                  "vm3"], 0),
                (["router", "router0", "port", "port0", "set", "peer", "none"], 1),
                (["bridge", "bridge1", "delete"], 2),
            ]
            got = []
            ids = []
            for words, n in script:
                kd.ctl(*words)
                d = doc(kd)
                ids.append(d)
                new, seq = wait_events(kd, seq, n)
                got += new
            # A binding to vm3, then the interface appears: DETECT, then BIND.
            kd.ctl("port", "add", "vm3", "net_null2,no-rx=1")
            new, seq = wait_events(kd, seq, 2)
            got += new
        finally:
            time.sleep(0.6)  # two polls of --follow
            follow.terminate()
            streamed = follow.communicate(timeout=10)[0].splitlines()

        d = ids[-1]
        left = ids[1]["bridges"][1]
        lp = left["ports"][0]["id"]
        edge = d["routers"][0]
        rp = edge["ports"][0]["id"]
        route = edge["routes"][0]
        chain = d["chains"][0]
        rule = chain["rules"][0]
        link = " ".join(sorted([lp, rp]))
        p3 = d["bridges"][0]["ports"][2]["id"]
        assert got == [
            "topology.Bridge CREATE %s name=left" % left["id"],
            "topology.Port CREATE %s bridge %s" % (lp, left["id"]),
            "topology.Router CREATE %s name=edge" % edge["id"],
            "topology.Port CREATE %s router %s" % (rp, edge["id"]),
            "Port LINK %s" % link,
            "topology.Router ROUTE_CREATE %s route %s" % (edge["id"], route["id"]),
            "topology.Chain CREATE %s name=edge-in" % chain["id"],
            "topology.Rule CREATE %s chain %s" % (rule["id"], chain["id"]),
            "topology.Router UPDATE %s name=edge" % edge["id"],
            "topology.Port CREATE %s bridge br0" % p3,
            "Port UNLINK %s" % link,
            "topology.Port DELETE %s bridge %s" % (lp, left["id"]),
            "topology.Bridge DELETE %s name=left" % left["id"],
            "agent.Interface DETECT vm3",
            "Port BIND %s vm3" % p3,
        ], got
        # The same lines were streamed by --follow and written to the file, with their times.
        assert [TIME.sub("", line) for line in streamed] == got
    written = [TIME.sub("", line) for line in events_file.read_text().splitlines()]
    assert written[:5] == start and written[5:5 + len(got)] == got
    assert written[-1] == "agent.Service EXIT pid %d, asked to stop" % pid
