# SPDX-License-Identifier: Apache-2.0
"""A real ZooKeeper server for a test: Debian's zookeeper jar on a loopback port of its own.

Not the system service: each server has its own dataDir, port and log, starts in a second or
two and can be killed (SIGKILL, as a crash) and started again on the same data.  TcpProxy
stands between kairod and the server when a test must cut only kairod's connection.
"""
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

ZK_CLASSPATH = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar"
ZK_MAIN = "org.apache.zookeeper.server.ZooKeeperServerMain"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ZkServer:
    """One standalone ZooKeeper on address:port with its data under workdir.

    address is 127.0.0.1 unless kairods in other network namespaces must reach it: then
    0.0.0.0 (ZooKeeper listens on one address or all), and hosts_at() names the address
    each of them reaches the machine by.
    """

    def __init__(self, workdir, port=None, min_session_ms=1000, address="127.0.0.1"):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "data").mkdir(exist_ok=True)
        self.port = port or free_port()
        # tickTime 500: sessions may be as short as 2 ticks (1 s), so expiry tests stay short.
        (self.dir / "zoo.cfg").write_text(
            "tickTime=500\n"
            "dataDir=%s\n"
            "clientPort=%d\n"
            "clientPortAddress=%s\n"
            "admin.enableServer=false\n"
            "minSessionTimeout=%d\n"
            "maxSessionTimeout=60000\n" % (self.dir / "data", self.port, address, min_session_ms))
        self.proc = None

    @property
    def hosts(self):
        return self.hosts_at("127.0.0.1")

    def hosts_at(self, address):
        return "%s:%d" % (address, self.port)

    def start(self, timeout=30):
        log = open(self.dir / "zookeeper.log", "a")
        # -Xmx small and one GC thread: two cores on the test machine.
        self.proc = subprocess.Popen(
            ["java", "-Xmx128m", "-XX:+UseSerialGC", "-cp", ZK_CLASSPATH, ZK_MAIN,
             str(self.dir / "zoo.cfg")], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("zookeeper exited:\n" +
                                   (self.dir / "zookeeper.log").read_text())
            if self.ruok():
                return self
            time.sleep(0.1)
        raise RuntimeError("zookeeper not serving on %d after %ss" % (self.port, timeout))

    def ruok(self):
        """True once the server answers a client (a session can be made)."""
        from kazoo.client import KazooClient

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                pass
        except OSError:
            return False
        zk = KazooClient(hosts=self.hosts, timeout=2)
        try:
            zk.start(timeout=2)
            zk.stop()
            return True
        except Exception:
            return False
        finally:
            zk.close()

    def kill(self):
        """SIGKILL: a crash, no goodbye to the clients."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def client(self, auth=None):
        from kazoo.client import KazooClient

        zk = KazooClient(hosts=self.hosts, timeout=10,
                         auth_data=[("digest", auth)] if auth else None)
        zk.start(timeout=10)
        return zk

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()


def put_topology(zk, topology, root="/kairo", host_id="test-host"):
    """Write a topology document in the layout of nsdb/README.md: one node per object."""
    for kind, objects in topology.items():
        for obj in objects:
            if kind == "bindings":
                path = "%s/hosts/%s/bindings/%s" % (root, obj.get("host", host_id), obj["port"])
            else:
                path = "%s/topology/%s/%s" % (root, kind, obj["id"])
            data = json.dumps(obj).encode()
            if zk.exists(path):
                zk.set(path, data)
            else:
                zk.create(path, data, makepath=True)


class TcpProxy:
    """127.0.0.1:port → target port, for cutting one client off while the server runs on."""

    def __init__(self, target_port):
        self.target = target_port
        self.port = free_port()
        self.lsock = None
        self.pairs = []
        self.lock = threading.Lock()
        self.running = False
        self.thread = None

    def start(self):
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", self.port))
        self.lsock.listen(8)
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        lsock = self.lsock
        while self.running:
            socks = [lsock] + [s for p in self.pairs for s in p]
            try:
                r, _, _ = select.select(socks, [], [], 0.1)
            except (OSError, ValueError):
                continue
            for s in r:
                if s is lsock:
                    try:
                        c, _ = lsock.accept()
                        u = socket.create_connection(("127.0.0.1", self.target), timeout=2)
                    except OSError:
                        try:
                            c.close()
                        except Exception:
                            pass
                        continue
                    with self.lock:
                        self.pairs.append((c, u))
                    continue
                for pair in list(self.pairs):
                    if s in pair:
                        other = pair[1] if s is pair[0] else pair[0]
                        try:
                            data = s.recv(65536)
                            if data:
                                other.sendall(data)
                                continue
                        except OSError:
                            pass
                        self._drop(pair)

    def _drop(self, pair):
        with self.lock:
            if pair in self.pairs:
                self.pairs.remove(pair)
        for s in pair:
            try:
                s.close()
            except OSError:
                pass

    def stop(self):
        """Close the listener and every connection: the client sees the server gone."""
        self.running = False
        if self.thread is not None:
            self.thread.join()
        for pair in list(self.pairs):
            self._drop(pair)
        if self.lsock is not None:
            self.lsock.close()
            self.lsock = None
        self.thread = None


def wait_until(predicate, timeout=15, what="condition", interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)


def java_available():
    return os.path.exists("/usr/share/java/zookeeper.jar") and \
        subprocess.run(["java", "-version"], capture_output=True).returncode == 0
