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

from kairo_harness import die_with_parent, wait_until  # noqa: F401 (the tests import it from here)

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
             str(self.dir / "zoo.cfg")], stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent)
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


def java_available():
    return os.path.exists("/usr/share/java/zookeeper.jar") and \
        subprocess.run(["java", "-version"], capture_output=True).returncode == 0


ZK_QUORUM_MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"


class ZkEnsemble:
    """Three ZooKeeper servers on loopback forming one ensemble (a quorum of two).

    Each has its own dataDir, myid, client port and two peer ports.  The leader is asked with
    the "srvr" four-letter word; kill(i) is a crash of server i.
    """

    def __init__(self, workdir, n=3):
        self.dir = Path(workdir)
        self.n = n
        self.client_ports = [free_port() for _ in range(n)]
        peers = [(free_port(), free_port()) for _ in range(n)]
        servers = "".join("server.%d=127.0.0.1:%d:%d\n" % (i + 1, p, e)
                          for i, (p, e) in enumerate(peers))
        self.dirs = []
        for i in range(n):
            d = self.dir / ("zk%d" % (i + 1))
            (d / "data").mkdir(parents=True, exist_ok=True)
            (d / "data" / "myid").write_text("%d\n" % (i + 1))
            (d / "zoo.cfg").write_text(
                "tickTime=500\ninitLimit=20\nsyncLimit=5\n"
                "dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"
                "admin.enableServer=false\n4lw.commands.whitelist=srvr,ruok\n"
                "minSessionTimeout=1000\nmaxSessionTimeout=60000\n%s"
                % (d / "data", self.client_ports[i], servers))
            self.dirs.append(d)
        self.procs = [None] * n

    @property
    def hosts(self):
        return ",".join("127.0.0.1:%d" % p for p in self.client_ports)

    def start(self, timeout=90):
        for i in range(self.n):
            log = open(self.dirs[i] / "zookeeper.log", "a")
            self.procs[i] = subprocess.Popen(
                ["java", "-Xmx128m", "-XX:+UseSerialGC", "-cp", ZK_CLASSPATH, ZK_QUORUM_MAIN,
                 str(self.dirs[i] / "zoo.cfg")], stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent)
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            modes = [self.mode(i) for i in range(self.n)]
            if modes.count("leader") == 1 and modes.count("follower") == self.n - 1:
                return self
            time.sleep(0.2)
        raise RuntimeError("no ensemble after %ss: %s" % (timeout, modes))

    def mode(self, i):
        """"leader", "follower", or None (not serving): the server's own word."""
        try:
            with socket.create_connection(("127.0.0.1", self.client_ports[i]), timeout=1) as s:
                s.sendall(b"srvr")
                s.settimeout(2)
                out = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    out += chunk
        except OSError:
            return None
        for line in out.decode(errors="replace").splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return None

    def leader(self):
        for i in range(self.n):
            if self.procs[i] is not None and self.mode(i) == "leader":
                return i
        return None

    def kill(self, i):
        if self.procs[i] is not None and self.procs[i].poll() is None:
            self.procs[i].send_signal(signal.SIGKILL)
            self.procs[i].wait()
        self.procs[i] = None

    def stop(self):
        for i in range(self.n):
            self.kill(i)

    def client(self):
        from kazoo.client import KazooClient

        zk = KazooClient(hosts=self.hosts, timeout=10)
        zk.start(timeout=20)
        return zk
