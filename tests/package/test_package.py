# SPDX-License-Identifier: Apache-2.0
"""The Debian package: `dpkg-buildpackage -us -uc -b` on a copy of this tree gives a `kairo`
package that lintian passes without errors; installed with `dpkg -i`, `kairod --version`
(from /usr/sbin) and `kairoctl help` (from /usr/bin) run, the conffiles, unit, manual pages
and completion are where they belong; purged, nothing of it stays.

Slow (a full build, minutes on two cores): tests/run.sh runs it once, with the release build
only.  It installs into this machine, so it refuses to run where a kairo package is installed
already (it would replace it)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
FILES = ["/usr/sbin/kairod", "/usr/bin/kairoctl", "/etc/kairo/kairod.json",
         "/etc/kairo/topology.json", "/etc/default/kairo", "/lib/systemd/system/kairod.service",
         "/usr/lib/kairo/kairo-hugepages", "/usr/share/man/man8/kairod.8.gz",
         "/usr/share/man/man8/kairoctl.8.gz",
         "/usr/share/bash-completion/completions/kairoctl"]

pytestmark = pytest.mark.skipif(shutil.which("dpkg-buildpackage") is None or
                                shutil.which("dh") is None,
                                reason="dpkg-dev and debhelper are needed")


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True,
                       text=True)
    return "install ok installed" in r.stdout


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """Build from a copy of the tree's files (committed or not, as git sees them): the build
    writes debian/kairo, obj-*/ and the .deb beside the source, never into the tree."""
    work = tmp_path_factory.mktemp("pkg")
    src = work / "kairo"
    files = run("git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard",
                check=True).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=2 nocheck")
    r = run("nice", "-n", "10", "dpkg-buildpackage", "-us", "-uc", "-b", cwd=src, env=env,
            timeout=3600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    debs = sorted(work.glob("kairo_*.deb"))
    assert len(debs) == 1, list(work.iterdir())
    return debs[0]


def test_the_package_holds_what_it_should_and_lintian_finds_no_error(deb):
    listing = run("dpkg-deb", "-c", str(deb), check=True).stdout
    for f in FILES:
        assert "." + f in listing, f
    conffiles = run("dpkg-deb", "-f", str(deb), "Package", check=True).stdout
    assert conffiles.strip() == "kairo"
    ctrl = run("dpkg-deb", "-I", str(deb), "conffiles", check=True).stdout.split()
    assert set(ctrl) >= {"/etc/kairo/kairod.json", "/etc/kairo/topology.json",
                         "/etc/default/kairo"}, ctrl
    if shutil.which("lintian") is None:
        pytest.skip("no lintian")
    r = run("lintian", "--fail-on", "error", str(deb), timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not [line for line in r.stdout.splitlines() if line.startswith("E:")], r.stdout


def test_installed_kairod_and_kairoctl_run_and_a_purge_removes_them(deb):
    if installed("kairo"):
        pytest.skip("a kairo package is installed here already: not replacing it")
    r = run("dpkg", "-i", str(deb), timeout=300)
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        for f in FILES:
            assert os.path.exists(f), f
        v = run("/usr/sbin/kairod", "--version")
        assert v.returncode == 0 and v.stdout.startswith("kairod 0.1.0"), v
        h = run("/usr/bin/kairoctl", "help")
        assert h.returncode == 0 and "events" in h.stdout and "dump flows" in h.stdout, h
        # The packaged default configuration is valid as shipped.
        c = run("/usr/sbin/kairod", "--", "--config", "/etc/kairo/kairod.json",
                "--check-config")
        assert c.returncode == 0, c.stdout + c.stderr
        assert run("man", "-w", "kairoctl").stdout.strip() == \
            "/usr/share/man/man8/kairoctl.8.gz"
    finally:
        p = run("dpkg", "--purge", "kairo", timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert not installed("kairo")
    assert not any(os.path.exists(f) for f in FILES)
