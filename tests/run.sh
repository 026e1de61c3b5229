#!/usr/bin/env bash
# The whole Kairo test suite, from a fresh machine: install, build twice (release with -Werror,
# and ASan+UBSan), run the unit tests and the packet, namespace and daemon tests against both
# builds, then the fuzz harnesses for 20 s each (tests/fuzz/run.sh, a clang build of their
# own).  Ends with one line "N passed, N failed".
#
#   tests/run.sh            everything
#   tests/run.sh -k flood   only tests whose name matches (passed to pytest)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ "$(id -u)" -eq 0 ] || { echo "tests/run.sh: run as root (namespaces, tap devices)" >&2; exit 1; }

"$root/deploy/install-deps.sh" || { echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp -d /tmp/kairo-tests.XXXXXX)
trap 'rm -rf "$results"' EXIT
failed_steps=0

build() {
	local dir=$1
	shift
	echo "== build $dir $*"
	if ! BUILD_DIR="$root/$dir" "$root/deploy/build.sh" -Dwerror=true "$@"; then
		echo "build of $dir failed" >&2
		failed_steps=$((failed_steps + 1))
		return 1
	fi
}

# Unit tests through meson; their counts are read back from meson's JSON log.
unit() {
	local dir=$1
	echo "== unit tests ($dir)"
	meson test -C "$root/$dir" --suite unit --print-errorlogs
	cp "$root/$dir/meson-logs/testlog.json" "$results/unit-$dir.json" 2>/dev/null || true
}

# Packet, namespace, daemon and NSDB tests through pytest, against the kairod of one build
# (extra directories and pytest's arguments after the build's name).
integration() {
	local dir=$1
	shift
	echo "== packet, namespace and daemon tests ($dir/kairod)"
	KAIROD="$root/$dir/kairod" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		--junitxml="$results/integration-$dir.xml" "$root/tests/pcap" "$root/tests/netns" \
		"$root/tests/daemon" "$root/tests/nsdb" "$@"
}

# tests/package/ builds the Debian package from the tree itself (minutes) and installs it:
# once, beside the release build.
if build build; then
	unit build
	integration build "$root/tests/package" "$@"
fi
# The sanitizer build: leaks are not checked in the daemon (EAL keeps its memory to the end
# by design), everything else ASan and UBSan see is fatal.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
	unit build-asan
	integration build-asan "$@"
fi

# libFuzzer harnesses (tests/fuzz/README.md): 20 s each on a copy of their seeds, in a clang
# build of their own.  Its junit file is counted below; a crash, a broken invariant or a fuzz
# build that fails is a failure, and a run that wrote no file is one too.
echo "== fuzz (tests/fuzz/run.sh 20)"
"$root/tests/fuzz/run.sh" --junit "$results/fuzz.xml" 20

/usr/bin/python3 - "$results" "$failed_steps" <<'PY'
import json, re, sys, pathlib, xml.etree.ElementTree as ET
res = pathlib.Path(sys.argv[1])
passed, failed, skipped = 0, int(sys.argv[2]), 0
for f in res.glob("unit-*.json"):
    for line in f.read_text().splitlines():
        t = json.loads(line)
        r, out = t["result"], t.get("stdout") or ""
        # A cmocka binary holds many tests: count its cases, not one per binary.
        ran = re.search(r"\[==========\] (\d+) test\(s\) run", out)
        if ran:
            ok = len(re.findall(r"^\[       OK \]", out, re.M))
            passed += ok
            failed += int(ran.group(1)) - ok
            if r != "OK" and ok == int(ran.group(1)):
                failed += 1   # every case passed but the binary still failed (crash at exit)
        elif r == "OK":
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
for f in list(res.glob("integration-*.xml")) + list(res.glob("fuzz.xml")):
    for suite in ET.parse(f).getroot().iter("testsuite"):
        t = int(suite.get("tests", 0)); e = int(suite.get("errors", 0))
        fl = int(suite.get("failures", 0)); s = int(suite.get("skipped", 0))
        passed += t - e - fl - s; failed += e + fl; skipped += s
for want in ("unit-build.json", "integration-build.xml", "fuzz.xml"):
    if not (res / want).exists():
        failed += 1   # a stage that did not even run is a failure
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed else 0)
PY
