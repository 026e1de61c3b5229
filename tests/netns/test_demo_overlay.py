# SPDX-License-Identifier: Apache-2.0
"""tools/demo-overlay.sh --short, as a user runs it: its output says what happened.

The demo (ZooKeeper, Redis, two kairod hosts in namespaces on a VXLAN underlay, a router with
masquerade and a floating IP) must show every ping answered, the file moved over TCP with the
same checksum at both ends, both hosts alive in each host's `list host`, and leave nothing
behind: no namespace, no link, no process of its own.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kairo_harness import KAIROD, ROOT

sys.path.insert(0, str(ROOT / "tests" / "nsdb"))
from zk_server import java_available  # noqa: E402

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces"),
    pytest.mark.skipif(not java_available(), reason="needs Debian's zookeeper and java"),
]


def test_the_overlay_demo_in_short_mode():
    env = dict(os.environ, KAIROD=str(KAIROD))
    r = subprocess.run([str(ROOT / "tools" / "demo-overlay.sh"), "--short"], env=env,
                       capture_output=True, text=True, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    # Three pings (vm1 -> vm2 across hosts, vm1 -> outside masqueraded, outside -> floating IP),
    # each all answered.
    summaries = re.findall(r"(\d+) packets transmitted, (\d+) received, 0% packet loss", out)
    assert len(summaries) == 3 and all(s == r_ for s, r_ in summaries), out
    # The file over TCP: the same checksum served and received.
    served = re.search(r"sha256 served by vm2:\s+([0-9a-f]{64}) \((\d+) bytes\)", out)
    got = re.search(r"sha256 received by vm1:\s+([0-9a-f]{64}) \((\d+) bytes\)", out)
    assert served and got and served.groups() == got.groups(), out
    assert "file checksum matches" in out
    # Each host lists itself and the other alive.
    for me, other in (("host-a", "host-b"), ("host-b", "host-a")):
        block = out.split("== %s: kairoctl list host\n" % me)[1].split("==")[0]
        assert "name %s alive true" % me in block and "name %s alive true" % other in block, \
            block
    # The translations are in the flows: masquerade on host-a, the floating IP's snat on B.
    assert "set_ipv4_src:198.51.100.1:" in out and "set_ipv4_src:198.51.100.12" in out
    # flow explain on host-a: the floating IP's flow crossed the router's dnat rule.
    assert "chain pre: rule 1 (dnat) matched" in out, out
    assert out.rstrip().endswith("demo-overlay: ok")
    # Nothing left behind.
    tag = re.search(r"starting kairod host-a in netns kdha(\d+)", out).group(1)
    assert not [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                          text=True).stdout.split()
                if n.startswith("kd") and n.endswith(tag)]
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "kdm0%s" % tag not in links and "kdm1%s" % tag not in links
    assert not list(Path("/tmp").glob("kairo-demo-overlay.*/zk"))
