#!/usr/bin/env bash
# The Kairo demo: two network namespaces ("VMs") attached to kairod through tap interfaces,
# joined by the virtual bridge of config/demo/topology.json (the embedded store: no ZooKeeper,
# no Redis).  They ping each other; then the datapath view is printed and everything is removed.
#
#   tools/demo.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (it creates namespaces and tap devices)" >&2; exit 1; }

"$root/deploy/install-deps.sh"
kairod=$("$root/deploy/build.sh")

run=$(mktemp -d /tmp/kairo-demo.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	ip netns del kairo-vm1 2>/dev/null || true
	ip netns del kairo-vm2 2>/dev/null || true
	rm -rf "$run"
}
trap cleanup EXIT

echo "== starting kairod (config/demo/kairod.json)"
# shellcheck disable=SC2046
"$kairod" -l 0-1 --no-pci $("$root/deploy/eal-args.sh" "kairo-demo-$$" 512) \
	--log-level 'kairo.*:info' --log-level 'pmd.*:error' -- \
	--config "$root/config/demo/kairod.json" --stats-json "$run/stats.json" >"$run/kairod.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -qs "kairod: ready" "$run/kairod.log" && break
	kill -0 "$pid" 2>/dev/null || { cat "$run/kairod.log"; exit 1; }
	sleep 0.1
done
grep -q "kairod: ready" "$run/kairod.log" || { cat "$run/kairod.log"; exit 1; }

# Each tap interface kairod made becomes the only NIC of a namespace: a VM as the bridge sees it.
for i in 1 2; do
	ip netns del "kairo-vm$i" 2>/dev/null || true
	ip netns add "kairo-vm$i"
	ip link set "kairo-vm$i" netns "kairo-vm$i"
	ip -n "kairo-vm$i" link set lo up
	ip -n "kairo-vm$i" addr add "10.10.0.$i/24" dev "kairo-vm$i"
	ip -n "kairo-vm$i" link set "kairo-vm$i" up
done

echo "== vm1 (10.10.0.1) pings vm2 (10.10.0.2) through kairod"
ip netns exec kairo-vm1 ping -c 5 -i 0.2 -W 2 10.10.0.2
echo "== vm2 pings vm1"
ip netns exec kairo-vm2 ping -c 3 -i 0.2 -W 2 10.10.0.1

kairoctl() { "$(dirname "$kairod")/kairoctl" "$@"; }  # the default socket, /run/kairo/kairod.sock
echo "== kairoctl show datapath"
kairoctl show datapath | head -1
echo "== kairoctl dump flows --ip-protocol 1 (the ICMP flows, with their hits)"
kairoctl dump flows --ip-protocol 1
echo "== kairoctl trace add --ip-dst 10.10.0.2 --limit 1; one more ping; kairoctl trace read"
kairoctl trace add --ip-dst 10.10.0.2 --ip-protocol 1 --limit 1 >/dev/null
ip netns exec kairo-vm1 ping -c 1 -W 2 10.10.0.2 >/dev/null
kairoctl trace read

echo "== datapath view at exit (the first packet of each flow missed and was simulated; the rest hit the cache)"
kill -TERM "$pid"
wait "$pid" || true
pid=""
sed -n '/^kairod: stopping/,$p' "$run/kairod.log" | tail -n +2
