#!/usr/bin/env bash
# Install what Kairo needs to build, run its demo and run its tests, from Debian 12's packages.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail

PKGS=(
	# build
	build-essential meson ninja-build pkg-config
	libdpdk-dev libnuma-dev libjansson-dev
	# kairod's readiness and watchdog for systemd (sd_notify); systemd-analyze checks the unit
	libsystemd-dev systemd
	# the Prometheus endpoint's HTTP server; tests scrape it with Debian's Prometheus and promtool
	libmicrohttpd-dev prometheus
	# the NSDB clients (ZooKeeper, Redis) the later stages link against
	libzookeeper-mt-dev libhiredis-dev
	# DPDK's tools: dpdk-testpmd for the benchmark and as the VM of the VM-port tests,
	# dpdk-telemetry.py, dpdk-devbind.py
	dpdk dpdk-dev
	# the drivers of VM ports (vhost-user, memif) and of the VM side in the tests
	# (virtio_user); recommended by dpdk, and recommendations are not installed here
	librte-net-vhost23 librte-net-virtio23 librte-net-memif23
	# tests: unit tests, packet crafting and dissection, namespaces
	libcmocka-dev python3 python3-pytest python3-scapy tshark iproute2 iputils-ping procps
	# overlay tests: checksum offload off on the kernel VTEP's veth
	ethtool
	# control socket tests: strace holds a kairoctl between two calls, on cue
	strace
	# NSDB tests: a real ZooKeeper (the tests run its jar on a loopback port of their own,
	# not the system service) and a Python ZooKeeper client to write topologies with
	zookeeperd python3-kazoo
	# fuzz harnesses (tests/fuzz/): clang's libFuzzer with ASan and UBSan; Debian 12's clang is
	# 14, and its fuzzer and sanitizer runtimes are only a recommendation of it
	clang libclang-rt-14-dev
	# shared state tests: real Redis servers (each test starts its own on a loopback port)
	# and a Python Redis client to read what kairod wrote
	redis-server python3-redis
	# tools/suite_under_load.sh: the suite run with a CPU hog beside it
	stress-ng
	# tests/package/: the Debian package built (dpkg-buildpackage, debhelper) and checked
	dpkg-dev debhelper lintian
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; answer for it.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
