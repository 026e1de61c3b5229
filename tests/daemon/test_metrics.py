# SPDX-License-Identifier: Apache-2.0
"""The Prometheus endpoint (config "metrics"), scraped by Debian's own Prometheus server.

A pcap of known frames enters port a of a two-port bridge and leaves by port b; the bridge's
inbound chain admits UDP under a metered rule and drops TCP.  The text at /metrics must pass
`promtool check metrics`, and a real Prometheus scraping it over loopback must answer queries
with exactly what went through: packets and bytes per port, lookups, the rule's meter, the
drops by reason, and a flow set-up histogram that counted every flow installed.
"""
import json
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kairo_harness import Kairod, die_with_parent, run_kairod_once, write_pcap
# The same frames and bridge as the meters' test: what the meters count, Prometheus must.
from test_meters import N_FLOWS, N_TCP, frames, pcap_ports, size, topology


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port, path="/metrics", method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def samples(text):
    """{'name{labels}': value} of an exposition, comments left out."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


@pytest.fixture
def scraped(tmp_path):
    udp, tcp = frames()
    port = free_port()
    kd = Kairod(tmp_path / "kd", pcap_ports(tmp_path, udp + tcp), topology(),
                extra_config={"slow_path": {"vport_bucket": 64},
                              "metrics": {"address": "127.0.0.1", "port": port}})
    with kd:
        total = len(udp) + len(tcp)
        kd.wait_for(lambda s: sum(p["rx_packets"] for p in s["ports"]) == total and
                    s["slow_path"]["injected"] + s["hits"] >= len(udp) and
                    s["drops"]["rule_drop"] == N_TCP,
                    what="every frame in")
        yield kd, port, udp, tcp


def test_the_exposition_passes_promtool_and_counts_what_went_through(scraped):
    kd, port, udp, tcp = scraped
    status, ctype, text = scrape(port)
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), ctype
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    s = samples(text)
    view = kd.ctl("show", "datapath")
    assert s['kairo_port_rx_packets_total{port="a"}'] == len(udp) + len(tcp)
    assert s['kairo_port_rx_bytes_total{port="a"}'] == size(udp) + size(tcp)
    assert s['kairo_port_tx_packets_total{port="b"}'] == len(udp)
    assert s['kairo_port_tx_bytes_total{port="b"}'] == size(udp)
    assert s['kairo_port_link_up{port="a"}'] == 1
    # hits + misses = packets looked up, as the datapath view says.
    assert (s['kairo_flow_lookups_total{result="hit"}'] +
            s['kairo_flow_lookups_total{result="miss"}']) == len(udp) + len(tcp)
    assert s['kairo_flow_lookups_total{result="hit"}'] == view["hits"]
    assert s['kairo_drops_total{reason="rule_drop"}'] == N_TCP
    assert s['kairo_meter_packets_total{meter="user:udp-in"}'] == len(udp)
    assert s['kairo_meter_bytes_total{meter="user:udp-in"}'] == size(udp)
    assert s['kairo_nsdb_connected{store="topology",type="file"}'] == 1
    assert s["kairo_flow_cache_installed_total"] == view["flow_cache"]["installed"] >= N_FLOWS
    assert s["kairo_sim_topo_version"] == view["slow_path"]["topo_version"]
    # Every flow installed for a worker's miss is in the histogram, and +Inf is the count.
    assert s["kairo_flow_setup_seconds_count"] == s["kairo_flow_cache_installed_total"]
    assert s['kairo_flow_setup_seconds_bucket{le="+Inf"}'] == s["kairo_flow_setup_seconds_count"]
    assert s["kairo_flow_setup_seconds_sum"] > 0
    assert 0 < s['kairo_lcore_busy_ratio{lcore="1"}'] <= 1
    # kairoctl shows the same histogram, in microseconds.
    fs = kd.ctl("show", "datapath")["flow_setup"]
    assert fs["count"] == s["kairo_flow_setup_seconds_count"] == fs["buckets_us"]["+Inf"]
    assert fs["buckets_us"]["1000"] == s['kairo_flow_setup_seconds_bucket{le="0.001"}']


def test_only_get_of_metrics_is_served(scraped):
    kd, port, udp, tcp = scraped
    with pytest.raises(urllib.error.HTTPError) as e:
        scrape(port, "/")
    assert e.value.code == 404 and b"/metrics" in e.value.read()
    with pytest.raises(urllib.error.HTTPError) as e:
        scrape(port, method="POST")
    assert e.value.code == 405 and e.value.headers["Allow"] == "GET, HEAD"
    # A client that connects and says nothing holds no one up.
    idle = socket.create_connection(("127.0.0.1", port))
    try:
        assert scrape(port)[0] == 200
    finally:
        idle.close()


class Prometheus:
    """Debian's prometheus server, scraping one target every second, on loopback."""

    def __init__(self, workdir, target_port):
        self.dir = workdir
        self.dir.mkdir()
        self.port = free_port()
        (self.dir / "prometheus.yml").write_text(json.dumps({
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
            "scrape_configs": [{"job_name": "kairo",
                                "static_configs": [{"targets": ["127.0.0.1:%d" % target_port]}]}],
        }))
        self.log = open(self.dir / "prometheus.log", "w")
        self.proc = subprocess.Popen(
            ["prometheus", "--config.file=%s" % (self.dir / "prometheus.yml"),
             "--storage.tsdb.path=%s" % (self.dir / "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)

    def query(self, q):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (self.port, urllib.parse.urlencode({"query": q}))
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.loads(r.read())["data"]["result"]

    def wait_value(self, q, want, timeout=120):
        """Poll a query until its one series has the value want; the last answer otherwise."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited:\n" + (self.dir / "prometheus.log").read_text())
            try:
                last = self.query(q)
                if len(last) == 1 and float(last[0]["value"][1]) == want:
                    return last[0]
            except (urllib.error.URLError, ConnectionError, OSError):
                pass  # not listening yet
            time.sleep(0.2)
        raise AssertionError("%s: wanted %s, last answer %s; prometheus said:\n%s" % (
            q, want, last, (self.dir / "prometheus.log").read_text()[-3000:]))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.mark.skipif(shutil.which("prometheus") is None,
                    reason="Debian's prometheus is installed by deploy/install-deps.sh")
def test_a_real_prometheus_scrapes_exactly_the_packets_sent(scraped, tmp_path):
    kd, port, udp, tcp = scraped
    prom = Prometheus(tmp_path / "prometheus", port)
    try:
        up = prom.wait_value('up{job="kairo"}', 1)
        assert up["metric"]["instance"] == "127.0.0.1:%d" % port
        prom.wait_value('kairo_port_rx_packets_total{port="a"}', len(udp) + len(tcp))
        prom.wait_value('kairo_port_tx_bytes_total{port="b"}', size(udp))
        prom.wait_value('kairo_meter_packets_total{meter="user:udp-in"}', len(udp))
        prom.wait_value('kairo_drops_total{reason="rule_drop"}', N_TCP)
        prom.wait_value('sum(kairo_flow_lookups_total)', len(udp) + len(tcp))
        installed = kd.ctl("show", "datapath")["flow_cache"]["installed"]
        prom.wait_value('kairo_flow_setup_seconds_count', installed)
    finally:
        prom.stop()


def metrics_config(tmp_path, metrics):
    write_pcap(tmp_path / "in.pcap", [])
    return json.dumps({
        "host": "h", "topology_file": "topology.json", "workers": 1, "mbufs": 4095,
        "flow_cache": {"capacity": 1024}, "metrics": metrics,
        "ports": [{"name": "a", "device": "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (
            tmp_path / "in.pcap", tmp_path / "out.pcap")}],
    })


@pytest.mark.parametrize("metrics, says", [
    ({"address": "127.0.0.1"}, "metrics.port: missing"),
    ({"address": "localhost", "port": 9464}, 'metrics.address: "localhost" is not an IPv4 or IPv6'),
    ({"port": 70000}, "metrics.port"),
    ({"port": 9464, "listen": "x"}, "metrics"),
    ([], "metrics: must be an object"),
])
def test_a_bad_metrics_section_is_refused_with_the_field_named(tmp_path, metrics, says):
    topo = json.dumps({"bridges": []})
    rc, out = run_kairod_once(tmp_path, metrics_config(tmp_path, metrics), topo)
    assert rc not in (0, None)
    assert says in out, out
    assert not (tmp_path / "out.pcap").exists(), "refused before touching a device"


def test_a_port_already_taken_is_refused_with_the_address(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        rc, out = run_kairod_once(tmp_path, metrics_config(tmp_path, {"port": port}),
                                  json.dumps({"bridges": []}))
    assert rc not in (0, None)
    assert "metrics: cannot listen on 127.0.0.1:%d: Address already in use" % port in out, out
