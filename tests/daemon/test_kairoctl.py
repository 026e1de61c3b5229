# SPDX-License-Identifier: Apache-2.0
"""kairoctl and the control socket: what it reports about packets that went through, and how
it answers bad input.

Traffic comes from a pcap on port a (net_pcap) into a bridge with ports a and b.  The counters
kairoctl prints are checked against that file: how many frames, how many distinct flows.
"""
import grp
import json
import os
import socket
import stat
import subprocess
import time

import pytest
from scapy.all import Ether, IP, Raw, UDP

from kairo_harness import (HELLO, KAIROCTL, Kairod, KairoctlError, bridge_topology, telemetry,
                           write_pcap)

MAC_X = "02:00:00:00:00:0a"
MAC_Y = "02:00:00:00:00:0b"

N_FLOWS = 12
REPEATS = 3


def frames():
    """N_FLOWS UDP flows (source ports 5000..), REPEATS packets each, flows interleaved."""
    return [Ether(src=MAC_X, dst=MAC_Y) / IP(src="10.0.0.1", dst="10.0.0.2") /
            UDP(sport=5000 + f, dport=53) / Raw(b"q" * 30)
            for _ in range(REPEATS) for f in range(N_FLOWS)]


@pytest.fixture
def daemon(tmp_path):
    sent = frames()
    # Only a sends: b's MAC is never learned, and the flood of a two-port bridge is output:1.
    write_pcap(tmp_path / "in_a.pcap", sent)
    write_pcap(tmp_path / "in_b.pcap", [])
    ports = [{"name": n, "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
        i, tmp_path / ("in_%s.pcap" % n), tmp_path / ("out_%s.pcap" % n))}
        for i, n in enumerate("ab")]
    kd = Kairod(tmp_path / "kd", ports, bridge_topology(["pa", "pb"], {"pa": "a", "pb": "b"}),
                extra_config={"slow_path": {"vport_bucket": 64}})
    with kd:
        kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) == len(sent)
                    and s["slow_path"]["injected"] + s["hits"] >= len(sent),
                    what="every frame in and out")
        yield kd, sent


def test_views_report_what_went_through(daemon):
    kd, sent = daemon
    dp = kd.ctl("show", "datapath")
    assert dp["hits"] + dp["misses"] == len(sent)
    assert dp["lost"] == 0 and dp["upcall_queue"] == 0
    assert dp["flows"] == N_FLOWS

    ports = {p["name"]: p for p in kd.ctl("show", "ports")}
    assert ports["a"]["rx_packets"] == len(sent)
    assert ports["a"]["rx_bytes"] == sum(len(bytes(f)) for f in sent)
    assert ports["b"]["tx_packets"] == len(sent)
    assert ports["a"]["driver"] == "net_pcap"

    lcores = kd.ctl("show", "lcores")
    assert len(lcores) == 1 and lcores[0]["rx_packets"] == len(sent)

    text = kd.ctl("show", "datapath", as_json=False)
    assert text.startswith("Datapath test-host: flows %d  hits %d  misses %d  lost 0"
                           % (N_FLOWS, dp["hits"], dp["misses"]))
    table = kd.ctl("show", "ports", as_json=False).splitlines()
    assert table[0].split()[:3] == ["id", "name", "role"] and len(table) == 3


def test_dump_flows_filters_and_counts(daemon):
    kd, _ = daemon
    every = kd.ctl("dump", "flows")
    assert every["matched"] == N_FLOWS and not every["truncated"]
    one = kd.ctl("dump", "flows", "--src-port", "5003", "--ip-dst", "10.0.0.2")
    assert one["matched"] == 1
    flow = one["flows"][0]
    assert "tp_src=5003" in flow["match"] and flow["actions"] == "output:1"
    # A flow counts its hits (packets that went up count as misses): over all flows, the hits.
    assert flow["bytes"] == flow["packets"] * 72
    assert sum(f["packets"] for f in every["flows"]) == kd.ctl("show", "datapath")["hits"]
    assert sum(f["bytes"] for f in every["flows"]) == 72 * kd.ctl("show", "datapath")["hits"]
    page = kd.ctl("dump", "flows", "--in-port", "0", "--limit", "5")
    assert len(page["flows"]) == 5 and page["matched"] == N_FLOWS and page["truncated"]
    assert kd.ctl("dump", "flows", "--mac-src", MAC_Y)["matched"] == 0
    assert kd.ctl("dump", "flows", "--mac-src", MAC_X, "--mac-dst", MAC_Y)["matched"] == N_FLOWS
    text = kd.ctl("dump", "flows", "--src-port", "5003", as_json=False).splitlines()
    assert text[0].startswith("in_port=0,") and " actions:output:1" in text[0]
    assert text[-1] == "1 flow(s) matched"


def test_flush_flows_removes_what_the_filter_selects_only(daemon):
    kd, _ = daemon
    assert kd.ctl("flush", "flows", "--src-port", "5000")["removed"] == 1
    assert kd.ctl("dump", "flows")["matched"] == N_FLOWS - 1
    assert kd.ctl("flush", "flows", "--in-port", "1")["removed"] == 0
    assert kd.ctl("flush", "flows", "--src-port", "5001", "--dst-port", "53")["removed"] == 1
    assert kd.ctl("flush", "flows")["removed"] == N_FLOWS - 2
    assert kd.ctl("show", "datapath")["flows"] == 0


def test_bad_commands_are_refused_with_what_was_wrong(daemon):
    kd, _ = daemon
    cases = [
        (["frobnicate"], 2, 'unknown command "frobnicate"'),
        (["dump", "flows", "--ip-dst"], 2, "--ip-dst needs a value"),
        (["dump", "flows", "--colour", "red"], 2, 'unknown option "--colour"'),
        (["dump", "flows", "--src-port", "eighty"], 2, '"eighty" is not a number'),
        (["dump", "flows", "--ip-src", "10.0.0.300"], 1, '--ip-src: "10.0.0.300" is not'),
        (["dump", "flows", "--in-port", "99999"], 1, "in-port"),
        (["trace", "read", "--cookie", "zz"], 1, "--cookie: must be a cookie"),
    ]
    for args, code, says in cases:
        with pytest.raises(KairoctlError) as e:
            kd.ctl(*args)
        assert e.value.returncode == code and says in e.value.stderr, (args, e.value.stderr)
    # Refusals changed nothing.
    assert kd.ctl("dump", "flows")["matched"] == N_FLOWS


def raw_exchange(path, data, read=True):
    """Say hello as a client of this build, send data, return what came after the hello's reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(HELLO + data)
    out = b""
    while read and not (out.count(b"\n") >= 2 and out.endswith(b"\n")):
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    hello, _, rest = out.partition(b"\n")
    assert not read or json.loads(hello)["ok"] is True, hello
    return rest


def test_hostile_clients_end_only_their_own_connection(daemon):
    kd, sent = daemon
    path = kd.socket
    garbage = json.loads(raw_exchange(path, b"\x00\xffnot json\n"))
    assert garbage["ok"] is False and garbage["error"].startswith("request: not JSON")
    no_cmd = json.loads(raw_exchange(path, b'{"args": {}}\n'))
    assert "command" in no_cmd["error"]
    unknown = json.loads(raw_exchange(path, b'{"command": "rm -rf"}\n'))
    assert unknown["error"] == 'unknown command "rm -rf" ("help" lists them)'

    # Half a request, then gone; a client that never finishes its line while others are served.
    raw_exchange(path, b'{"command": "show da', read=False)
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.connect(path)
    idle.sendall(HELLO + b'{"command": ')
    assert kd.ctl("show", "datapath")["hits"] + kd.ctl("show", "datapath")["misses"] == len(sent)

    # A request that never ends is cut at 64 KiB with an answer, and the connection closed.
    huge = raw_exchange(path, b"[" + b"1," * 40000)
    assert b"longer than 65536 bytes" in huge
    idle.close()

    # Many requests on one connection, some in one write: one reply line each, in order.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(HELLO + b'{"command": "show drops"}\n{"command": "trace list"}\n{"comm')
    time.sleep(0.1)
    s.sendall(b'and": "help"}\n')
    buf = b""
    while buf.count(b"\n") < 4:
        buf += s.recv(65536)
    s.close()
    hello, *replies = [json.loads(l) for l in buf.splitlines()]
    assert hello["ok"] is True
    assert [r["ok"] for r in replies] == [True, True, True]
    assert "commands" in replies[2]["result"]
    # And the daemon still forwards and answers.
    assert kd.ctl("show", "ports")[0]["rx_packets"] == len(sent)


def test_the_socket_admits_root_and_the_control_group_only(daemon):
    kd, _ = daemon
    mode = os.stat(kd.socket).st_mode
    assert stat.S_IMODE(mode) == 0o660 and os.stat(kd.socket).st_uid == 0
    with pytest.raises(KairoctlError) as e:
        kd.ctl("show", "datapath", user="nobody")
    assert e.value.returncode == 3 and "Permission denied" in e.value.stderr


def test_a_second_daemon_on_the_same_socket_is_refused(daemon, tmp_path):
    kd, _ = daemon
    write_pcap(tmp_path / "empty.pcap", [])
    other = Kairod(tmp_path / "other", [{"name": "a", "device": "net_pcap9,rx_pcap=%s,tx_pcap=%s"
                                         % (tmp_path / "empty.pcap", tmp_path / "o.pcap")}],
                   bridge_topology(["pa"], {"pa": "a"}),
                   extra_config={"control": {"socket": kd.socket}})
    with pytest.raises(RuntimeError) as e:
        other.start()
    assert "is in use by another kairod" in str(e.value)
    assert kd.ctl("show", "datapath")["lost"] == 0


def test_no_daemon_is_exit_status_3():
    r = subprocess.run([str(KAIROCTL), "--socket",
                        "/tmp/kairo-no-such.sock", "show", "datapath"],
                       capture_output=True, text=True)
    assert r.returncode == 3 and "is kairod running?" in r.stderr


def test_group_members_may_connect(tmp_path):
    subprocess.run(["groupadd", "-f", "kairo-test"], check=True)
    write_pcap(tmp_path / "empty.pcap", [])
    kd = Kairod(tmp_path / "kd", [{"name": "a", "device": "net_pcap0,rx_pcap=%s,tx_pcap=%s"
                                   % (tmp_path / "empty.pcap", tmp_path / "o.pcap")}],
                bridge_topology(["pa"], {"pa": "a"}))
    kd.config["control"]["group"] = "kairo-test"
    with kd:
        st = os.stat(kd.socket)
        assert st.st_gid == grp.getgrnam("kairo-test").gr_gid
        r = subprocess.run(["setpriv", "--reuid", "nobody", "--regid", "nogroup",
                            "--groups", "kairo-test", str(KAIROCTL),
                            "--socket", kd.socket, "--json", "show", "datapath"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["flows"] == 0


def test_the_counters_are_on_dpdks_telemetry_socket_too(daemon):
    kd, sent = daemon
    dp = kd.ctl("show", "datapath")
    tel = telemetry(kd.prefix, "/kairo/datapath")
    for k in ("flows", "hits", "misses", "lost"):
        assert tel[k] == dp[k], k
    assert tel["flow_cache/installed"] == dp["flow_cache"]["installed"] == N_FLOWS
    ports = telemetry(kd.prefix, "/kairo/ports")
    assert ports["0/name"] == "a" and ports["0/rx_packets"] == len(sent)
    assert telemetry(kd.prefix, "/kairo/drops")["no_route"] == 0
    assert telemetry(kd.prefix, "/kairo/lcores")["0/rx_packets"] == len(sent)
    # The standard client lists and answers them.
    r = subprocess.run(["dpdk-telemetry.py", "-f", kd.prefix], input="/\n/kairo/ports\n",
                       capture_output=True, text=True, timeout=30)
    assert "/kairo/datapath" in r.stdout and '"0/rx_packets": %d' % len(sent) in r.stdout, \
        r.stdout + r.stderr
