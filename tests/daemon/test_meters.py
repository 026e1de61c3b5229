# SPDX-License-Identifier: Apache-2.0
"""Meters (kairoctl meter list|get, as mm-meter): what they count against what went through.

A pcap of known frames enters port a of a two-port bridge and leaves by port b.  The bridge's
inbound chain admits UDP with a rule that has a meter and drops the rest.  Every meter is
checked to the packet and the byte: the exterior ports' (port:rx / port:tx), the bridge's
(device:), the rule's (user:).  Flushing the flows folds their counters into the meters'
totals: the values stay the same.
"""
import subprocess

import pytest
from scapy.all import Ether, IP, TCP, UDP, Raw

from kairo_harness import KAIROCTL, Kairod, KairoctlError, telemetry, write_pcap

MAC_X = "02:00:00:00:00:0a"
MAC_Y = "02:00:00:00:00:0b"
N_FLOWS = 5
REPEATS = 4
N_TCP = 3  # dropped by the chain: counted by the port and the bridge, not by the rule


def frames():
    udp = [Ether(src=MAC_X, dst=MAC_Y) / IP(src="10.0.0.1", dst="10.0.0.2") /
           UDP(sport=6000 + f, dport=53) / Raw(b"m" * (20 + f))
           for _ in range(REPEATS) for f in range(N_FLOWS)]
    tcp = [Ether(src=MAC_X, dst=MAC_Y) / IP(src="10.0.0.1", dst="10.0.0.2") /
           TCP(sport=7000, dport=80) for _ in range(N_TCP)]
    return udp, tcp


def topology():
    return {
        "bridges": [{"id": "br0", "name": "br0", "inbound_filter": "c1",
                     "ports": [{"id": "pa"}, {"id": "pb"}]}],
        "chains": [{"id": "c1", "name": "only-udp", "rules": [
            {"pos": 1, "type": "accept", "proto": 17, "meter": "udp-in"},
            {"pos": 2, "type": "drop"}]}],
        "bindings": [{"port": "pa", "interface": "a"}, {"port": "pb", "interface": "b"}],
    }


def pcap_ports(tmp_path, frames_in_a):
    """Ports a (reading frames_in_a) and b (reading nothing), each writing its own pcap."""
    write_pcap(tmp_path / "in_a.pcap", frames_in_a)
    write_pcap(tmp_path / "in_b.pcap", [])
    return [{"name": n, "device": "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (
        i, tmp_path / ("in_%s.pcap" % n), tmp_path / ("out_%s.pcap" % n))}
        for i, n in enumerate("ab")]


@pytest.fixture
def metered(tmp_path):
    udp, tcp = frames()
    kd = Kairod(tmp_path / "kd", pcap_ports(tmp_path, udp + tcp), topology(),
                extra_config={"slow_path": {"vport_bucket": 64}})
    with kd:
        total = len(udp) + len(tcp)
        kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) == total and
                    s["slow_path"]["injected"] + s["hits"] >= len(udp),
                    what="every frame in")
        yield kd, udp, tcp


def meters(kd):
    return {m["name"]: m for m in kd.ctl("meter", "list")["meters"]}


def size(frames_):
    return sum(len(bytes(f)) for f in frames_)


def test_port_device_and_rule_meters_count_what_went_through(metered):
    kd, udp, tcp = metered
    m = meters(kd)
    assert m["port:rx:pa"]["packets"] == len(udp) + len(tcp)
    assert m["port:rx:pa"]["bytes"] == size(udp) + size(tcp)
    assert m["device:br0"]["packets"] == len(udp) + len(tcp)
    # Only what the rule admitted left, and only that went through the rule's meter.
    assert m["port:tx:pb"]["packets"] == len(udp)
    assert m["port:tx:pb"]["bytes"] == size(udp)
    assert m["user:udp-in"]["packets"] == len(udp)
    assert m["user:udp-in"]["bytes"] == size(udp)
    # Port b received nothing: no meter of its own until something enters by it.
    assert "port:rx:pb" not in m
    listed = kd.ctl("meter", "list", as_json=False).splitlines()
    assert any(line.split()[0] == "user:udp-in" and line.split()[2] == str(len(udp))
               for line in listed)


def test_removed_flows_fold_into_the_totals(metered):
    kd, udp, tcp = metered
    before = meters(kd)
    assert kd.ctl("dump", "flows")["matched"] == N_FLOWS + 1  # the UDP flows and the TCP drop
    assert kd.ctl("flush", "flows")["removed"] == N_FLOWS + 1
    assert kd.ctl("dump", "flows")["matched"] == 0
    after = meters(kd)
    for name in ("port:rx:pa", "port:tx:pb", "device:br0", "user:udp-in"):
        assert after[name] == before[name], name


def test_meter_get_samples_with_deltas_as_mm_meter(metered):
    kd, udp, _ = metered
    one = kd.ctl("meter", "get", "udp-in")  # a rule's meter by the rule's own name
    assert one == [{"name": "user:udp-in", "packets": len(udp), "bytes": size(udp)}]
    text = kd.ctl("meter", "get", "user:udp-in", "1", "2", as_json=False).splitlines()
    assert text == ["user:udp-in packets %d bytes %d" % (len(udp), size(udp)),
                    "user:udp-in packets %d bytes %d delta packets 0 bytes 0"
                    % (len(udp), size(udp))]


@pytest.mark.parametrize("args, code, words", [
    (["meter", "get", "no-such-meter"], 1, "no meter \"no-such-meter\""),
    (["meter", "get"], 2, "usage: kairoctl meter get NAME"),
    (["meter", "get", "udp-in", "soon"], 2, "DELAY \"soon\""),
    (["meter", "get", "udp-in", "1", "0"], 2, "COUNT \"0\""),
])
def test_bad_meter_requests_are_refused(metered, args, code, words):
    kd, _, _ = metered
    r = subprocess.run([str(KAIROCTL), "--socket", kd.socket] + args, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == code and words in r.stderr, r.stderr


def test_the_meters_are_on_dpdks_telemetry_socket_too(metered):
    kd, udp, tcp = metered
    tel = telemetry(kd.prefix, "/kairo/meters")
    # Telemetry's names take letters, digits, "_" and "/": "user:udp-in" is "user_udp_in".
    assert tel["user_udp_in/packets"] == len(udp)
    assert tel["user_udp_in/bytes"] == size(udp)
    assert tel["port_rx_pa/packets"] == len(udp) + len(tcp)
    assert tel["truncated"] == 0
