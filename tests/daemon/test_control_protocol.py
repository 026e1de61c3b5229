# SPDX-License-Identifier: Apache-2.0
"""The control protocol (control/ctl_protocol.h) through a real kairod: every command declared
once, in one table that kairod serves by and kairoctl parses and prints its help by; a hello
that opens each connection and refuses another protocol version; arguments the table does not
declare refused by name.
"""
import json
import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from kairo_harness import (CTL_PROTOCOL_VERSION, HELLO, KAIROCTL, KAIROD, Kairod,
                           bridge_topology, write_pcap)

# Built from kairoctl's own sources, saying it speaks CTL_PROTOCOL_VERSION + 1 (tests/meson.build).
KAIROCTL_NEXT = Path(os.environ.get("KAIROCTL_NEXT_PROTOCOL",
                                    KAIROD.parent / "tests" / "kairoctl_next_protocol"))


@pytest.fixture(scope="module")
def kd(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("protocol")
    write_pcap(tmp / "empty.pcap", [])
    daemon = Kairod(tmp / "kd", [{"name": "a", "device": "net_pcap0,rx_pcap=%s,tx_pcap=%s"
                                  % (tmp / "empty.pcap", tmp / "out.pcap")}],
                    bridge_topology(["pa"], {"pa": "a"}))
    with daemon:
        yield daemon


class Raw:
    """A client speaking the protocol's JSON lines itself, as any script may."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""

    def send(self, obj):
        self.s.sendall(json.dumps(obj).encode() + b"\n")

    def reply(self):
        """The next reply line, or None once kairod has closed the connection."""
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def ask(self, command, /, **args):
        self.send({"command": command, "args": args})
        return self.reply()

    def hello(self):
        self.s.sendall(HELLO)
        return self.reply()

    def close(self):
        self.s.close()


def served(kd, command=None):
    """What kairod's "help" answers: the table it serves by."""
    c = Raw(kd.socket)
    assert c.hello()["ok"]
    r = c.ask("help", **({"command": command} if command else {}))
    c.close()
    assert r["ok"], r
    return r["result"]


def run(binary, kd, *args):
    return subprocess.run([str(binary), "--socket", kd.socket] + list(args),
                          capture_output=True, text=True, timeout=30)


def test_help_lists_every_command_kairod_serves_with_its_one_line_help(kd):
    table = served(kd)
    assert table["protocol"] == CTL_PROTOCOL_VERSION
    text = run(KAIROCTL, kd, "help")
    assert text.returncode == 0, text.stderr
    listed = {}
    for line in text.stdout.split("\ncommands:\n")[1].split("\n\n")[0].splitlines():
        words, _, helpline = line.strip().partition("  ")
        listed[words] = helpline.strip()
    assert listed == {c["command"]: c["help"] for c in table["commands"]}
    for words in ("show datapath", "dump flows", "flush flows", "trace add", "trace read",
                  "topology", "meter get", "help"):
        assert words in listed, words
    # kairoctl and kairod are built from one table: kairoctl's JSON help is kairod's answer.
    assert json.loads(run(KAIROCTL, kd, "--json", "help").stdout) == table


def test_help_of_a_command_shows_its_usage_and_each_arguments_help(kd):
    for command in served(kd)["commands"]:
        words = command["command"]
        text = run(KAIROCTL, kd, "help", *words.split())
        assert text.returncode == 0, (words, text.stderr)
        assert text.stdout.startswith("usage: kairoctl " + words), text.stdout
        assert command["help"] in text.stdout
        assert len(command["args"]) == len([a for a in command["args"] if a["help"]]), words
        for arg in command["args"]:
            assert arg["help"] in text.stdout, (words, arg)
        assert served(kd, words)["commands"] == [command]


def test_help_dump_flows_names_the_match_fields_and_the_limit(kd):
    out = run(KAIROCTL, kd, "help", "dump", "flows").stdout
    lines = [l.strip().split("  ")[0] for l in out.splitlines() if l.startswith("  ")]
    assert lines == ["--mac-src M", "--mac-dst M", "--ethertype N", "--ip-src IP", "--ip-dst IP",
                     "--ip-protocol N", "--src-port N", "--dst-port N", "--in-port N",
                     "-l, --limit N"]
    assert out.splitlines()[0] == "usage: kairoctl dump flows [MATCH] [--in-port N] [-l|--limit N]"
    assert "list at most N flows (default 1000); all are counted" in out


def test_help_trace_add_names_the_tracer_levels(kd):
    out = run(KAIROCTL, kd, "help", "trace", "add").stdout
    assert out.splitlines()[0] == \
        "usage: kairoctl trace add [MATCH] [-l|--limit N] [-d|--debug] [-t|--trace]"
    for spelled, says in (("-l, --limit N", "trace N packets, then the tracer goes"),
                          ("-d, --debug", "debug level"), ("-t, --trace", "trace level"),
                          ("--ip-dst IP", "IPv4 or IPv6 destination address")):
        assert any(l.strip().startswith(spelled) and says in l for l in out.splitlines()), \
            (spelled, out)
    assert "read-write" in out


def test_help_of_no_such_command_is_a_usage_error(kd):
    r = run(KAIROCTL, kd, "help", "dump", "everything")
    assert r.returncode == 2 and 'no command "dump ..."' in r.stderr, r.stderr


def test_a_hello_of_another_version_is_refused_and_the_connection_closed(kd):
    c = Raw(kd.socket)
    # The hello and a command in one write: the command is there, and still not served.
    c.s.sendall(json.dumps({"command": "hello", "args": {
        "protocol": CTL_PROTOCOL_VERSION + 7, "client": "kairoctl", "features": ["later"]}})
        .encode() + b'\n{"command": "show datapath"}\n')
    r = c.reply()
    assert r == {"ok": False, "protocol": CTL_PROTOCOL_VERSION, "error":
                 "kairoctl speaks control protocol %d, kairod at %s speaks %d: "
                 "use the kairoctl of the same build"
                 % (CTL_PROTOCOL_VERSION + 7, kd.socket, CTL_PROTOCOL_VERSION)}
    # Nothing after it is served: the next thing is the end of the connection.
    assert c.reply() is None
    c.close()


def test_kairoctl_of_another_protocol_version_exits_1_saying_both_versions(kd):
    assert KAIROCTL_NEXT.exists(), "build tests/kairoctl_next_protocol (meson) first"
    r = run(KAIROCTL_NEXT, kd, "show", "datapath")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == ("kairoctl: kairoctl speaks control protocol %d, kairod at %s speaks %d: "
                        "use the kairoctl of the same build\n"
                        % (CTL_PROTOCOL_VERSION + 1, kd.socket, CTL_PROTOCOL_VERSION))
    assert "control protocol %d" % (CTL_PROTOCOL_VERSION + 1) in kd.log_path.read_text()
    # The kairoctl of the same build is served as ever.
    assert kd.ctl("show", "datapath")["lost"] == 0


class FakeKairod:
    """A socket that answers every line with the next canned reply, and keeps what it heard."""

    def __init__(self, path, replies):
        self.path, self.replies, self.heard = path, list(replies), []
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(path)
        self.ls.listen(1)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _ = self.ls.accept()
        f = conn.makefile("rwb")
        for reply in self.replies:
            line = f.readline()
            if not line:
                break
            self.heard.append(json.loads(line))
            f.write(json.dumps(reply).encode() + b"\n")
            f.flush()
        conn.close()

    def close(self):
        self.ls.close()
        os.unlink(self.path)


@pytest.mark.parametrize("hello_reply, says", [
    ({"ok": True, "result": {"protocol": CTL_PROTOCOL_VERSION + 1, "server": "kairod"}},
     "kairod at {path} speaks %d: use the kairoctl of the same build" % (CTL_PROTOCOL_VERSION + 1)),
    # A kairod from before the hello answers it as an unknown command.
    ({"ok": False, "error": 'unknown command "hello" ("help" lists them)'},
     "kairod at {path} speaks an older one (it knows no hello): use the kairoctl of the same build"),
])
def test_kairoctl_refuses_a_kairod_of_another_version_before_sending_the_command(hello_reply,
                                                                                   says):
    path = "/tmp/kairo-fake-%d.sock" % os.getpid()
    fake = FakeKairod(path, [hello_reply, {"ok": True, "result": {}}])
    try:
        r = subprocess.run([str(KAIROCTL), "--socket", path, "flush", "flows"],
                           capture_output=True, text=True, timeout=30)
        fake.thread.join(10)
    finally:
        fake.close()
    assert r.returncode == 1
    assert r.stderr == "kairoctl: kairoctl speaks control protocol %d, %s\n" % (
        CTL_PROTOCOL_VERSION, says.format(path=path))
    assert fake.heard == [{"command": "hello", "args": {"protocol": CTL_PROTOCOL_VERSION,
                                                        "client": "kairoctl"}}]


def test_a_command_before_the_hello_is_refused_and_served_after_it(kd):
    c = Raw(kd.socket)
    r = c.ask("show datapath")
    assert r["ok"] is False and r["error"] == (
        'request: no hello yet: a connection opens with {"command": "hello", "args": '
        '{"protocol": %d}} (control/README.md)' % CTL_PROTOCOL_VERSION)
    assert c.hello() == {"ok": True, "result": {"protocol": CTL_PROTOCOL_VERSION,
                                                "server": "kairod"}}
    assert c.ask("show datapath")["result"]["lost"] == 0
    c.close()


def test_an_argument_the_command_does_not_declare_is_refused_naming_it(kd):
    c = Raw(kd.socket)
    c.hello()
    r = c.ask("dump flows", colour="red")
    assert r == {"ok": False, "error": "args.colour: unknown argument; dump flows takes "
                 "mac-src, mac-dst, ethertype, ip-src, ip-dst, ip-protocol, src-port, dst-port, "
                 "in-port, limit"}
    # --all is kairoctl's own (how it prints): a request never carries it.
    assert c.ask("show drops", all=True)["error"] == \
        "args.all: unknown argument; show drops takes none"
    assert c.ask("trace add", id=3)["error"].startswith("args.id: unknown argument; trace add ")
    assert c.ask("flush flows", limit=3)["error"].startswith("args.limit: unknown argument")
    # Refused before anything ran: the flows are all still there (none in this test).
    assert c.ask("dump flows")["result"]["matched"] == 0
    c.close()
    # kairoctl refuses what the table does not declare before it connects.
    r = run(KAIROCTL, kd, "dump", "flows", "--colour", "red")
    assert r.returncode == 2 and 'dump flows: unknown option "--colour"' in r.stderr
    assert "usage: kairoctl dump flows [MATCH]" in r.stderr


def test_a_missing_required_argument_is_refused_naming_it(kd):
    c = Raw(kd.socket)
    c.hello()
    assert c.ask("meter get")["error"].startswith("args.name: missing: meter get needs it")
    assert c.ask("topology")["error"].startswith("args.words: missing: topology needs it")
    c.close()
    r = run(KAIROCTL, kd, "meter", "get")
    assert r.returncode == 2 and "meter get: NAME is needed" in r.stderr
