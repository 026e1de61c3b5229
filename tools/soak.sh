#!/usr/bin/env bash
# Soak kairod for MINUTES (default 30): new flows and cached traffic together, a topology change
# every second, ZooKeeper and Redis restarted in turn every minute.  Not part of the test suite.
# Prints RSS at start and end, crashes, and whether the counters add up (tools/soak.py).
#
#   tools/soak.sh [MINUTES]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "tools/soak.sh: run as root (namespaces, tap devices)" >&2; exit 1; }
"$root/deploy/install-deps.sh"
BUILD_DIR=${BUILD_DIR:-$root/build} "$root/deploy/build.sh" >/dev/null
export KAIROD=${KAIROD:-${BUILD_DIR:-$root/build}/kairod}
exec /usr/bin/python3 "$root/tools/soak.py" "${1:-30}"
