#!/usr/bin/env bash
# Configure and build Kairo into BUILD_DIR (default build/).  Extra arguments go to meson setup,
# e.g. -Dwerror=true or -Db_sanitize=address,undefined.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$root" "$@" >/dev/null
elif [ "$#" -gt 0 ]; then
	meson configure "$build" "$@" >/dev/null
fi
# Two cores are shared with whatever else runs: do not take both for the compiler.
ninja -C "$build" -j "${KAIRO_BUILD_JOBS:-2}" >/dev/null
echo "$build/kairod"
