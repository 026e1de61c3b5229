# SPDX-License-Identifier: Apache-2.0
"""A real Redis server for a test: Debian's redis-server on a loopback port of its own.

Not the system service: each server has its own directory, port and log, no persistence (a
restart comes back empty, the hardest case for resynchronisation), and can be killed (SIGKILL,
as a crash) and started again on the same port.
"""
import subprocess
import time
from pathlib import Path

import redis

from kairo_harness import die_with_parent
from zk_server import free_port


class RedisServer:
    def __init__(self, workdir, port=None, password=None, bind=("127.0.0.1",), extra=()):
        self.extra = list(extra)
        self.bind = list(bind)
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.password = password
        self.proc = None

    def start(self, timeout=10):
        args = ["redis-server", "--port", str(self.port), "--bind", " ".join(self.bind),
                "--save", "", "--appendonly", "no",
                # Bound to the test's own addresses only: other namespaces may connect.
                "--protected-mode", "no", "--dir", str(self.dir),
                "--logfile", str(self.dir / "redis.log"), "--daemonize", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        args += self.extra
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited: %s" %
                                   (self.dir / "redis.log").read_text())
            try:
                if self.client().ping():
                    return self
            except (redis.ConnectionError, redis.AuthenticationError, redis.ResponseError):
                time.sleep(0.05)
        raise RuntimeError("redis-server not up after %ss" % timeout)

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password,
                           decode_responses=True, socket_timeout=5)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def config(self, host="127.0.0.1", **extra):
        """The redis section of a kairod config pointing here."""
        # A generous wait for the store's answers: a test of what Kairo does with the
        # answer must not fail because a loaded machine (or ASan) answered later than the
        # default 50 ms.  A test of the wait itself passes its own wait_ms.
        c = {"host": host, "port": self.port, "wait_ms": 2000}
        if self.password:
            c["password"] = self.password
        c.update(extra)
        return c


class Sentinel:
    """A Redis Sentinel (redis-server --sentinel) on a loopback port, watching one master.

    Quick to decide, for a test: the master is down after down_after_ms without an answer, and
    two sentinels must agree (quorum 2 of 3).
    """

    def __init__(self, workdir, master_name, master_port, down_after_ms=1000):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.conf = self.dir / "sentinel.conf"
        # Sentinel rewrites its configuration file as it learns: one file of its own each.
        self.conf.write_text(
            "port %d\nbind 127.0.0.1\nprotected-mode no\ndir %s\nlogfile %s\n"
            "sentinel monitor %s 127.0.0.1 %d 2\n"
            "sentinel down-after-milliseconds %s %d\n"
            "sentinel failover-timeout %s 10000\n"
            "sentinel parallel-syncs %s 1\n"
            % (self.port, self.dir, self.dir / "sentinel.log", master_name, master_port,
               master_name, down_after_ms, master_name, master_name))
        self.proc = None

    def start(self, timeout=10):
        self.proc = subprocess.Popen(["redis-server", str(self.conf), "--sentinel"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sentinel exited: %s" % (self.dir / "sentinel.log").read_text())
            try:
                if self.client().ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("sentinel not up after %ss" % timeout)

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                           socket_timeout=5)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
