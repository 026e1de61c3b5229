#!/usr/bin/env bash
# The multi-host demo: ZooKeeper and Redis of its own (ports of their own, not the system
# services; the hosts reach them over management veths), two kairod hosts in
# network namespaces joined by a VXLAN underlay, a router with masquerade and a floating IP,
# VMs (namespaces behind tap ports) that ping and move a file over TCP (HTTP) across the
# hosts; then both hosts' views (datapath, flows, tunnels, list host) and a flow explain, and
# everything it made is removed.  The body is tools/demo_overlay.py, built on the tests' helpers.
#
#   tools/demo-overlay.sh [--short]
#
# --short: fewer pings, a smaller file, shorter views, and no dependency installation or
# build (KAIROD names the kairod to use, else build/kairod): tests/netns/test_demo_overlay.py.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "demo-overlay.sh: run as root (it creates namespaces, veths and taps)" >&2
	exit 1
fi
short=()
case "${1:-}" in
--short) short=(--short) ;;
"") ;;
*) echo "usage: $0 [--short]" >&2; exit 2 ;;
esac

if [ ${#short[@]} -eq 0 ]; then
	"$root/deploy/install-deps.sh"
	KAIROD=$("$root/deploy/build.sh")
fi
export KAIROD=${KAIROD:-$root/build/kairod}
[ -x "$KAIROD" ] || { echo "demo-overlay.sh: no kairod at $KAIROD (deploy/build.sh)" >&2; exit 1; }

# Every name the body makes carries this tag, so the trap can find what a killed run left.
export DEMO_TAG=$(( $$ % 1000 ))
run=$(mktemp -d /tmp/kairo-demo-overlay.XXXXXX)
body=""
cleanup() {
	# The body removes what it made; this is for a body killed before it could.  Its
	# daemons die with it (PR_SET_PDEATHSIG).
	if [ -n "$body" ]; then
		kill -TERM "$body" 2>/dev/null || true # it cleans up on SIGTERM, then exits
		wait "$body" 2>/dev/null || true
	fi
	for ns in kdv1 kdv2 kdex kdha kdhb; do
		ip netns del "$ns$DEMO_TAG" 2>/dev/null || true
	done
	for link in kdm0 kdm1 kdua; do
		ip link del "$link$DEMO_TAG" 2>/dev/null || true
	done
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

/usr/bin/python3 "$root/tools/demo_overlay.py" "${short[@]}" --workdir "$run" &
body=$!
status=0
wait "$body" || status=$?
body=""
exit "$status"
