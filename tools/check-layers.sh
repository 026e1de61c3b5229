#!/usr/bin/env bash
# Check that every #include "..." in the production floors goes to the floor's own headers or
# to a floor below it (../shared/DESIGN.md, "Where things live, and who may include whom").
# Names each wrong-way include as FILE:LINE and exits 1; exits 0 when there is none.
#
#   tools/check-layers.sh [ROOT]          check the tree at ROOT (default: this checkout)
#   tools/check-layers.sh --self-test     plant a wrong-way include in a copy and see it refused
#
# meson's per-floor include directories stop most wrong-way includes at compile time; this
# check also catches one that a floor's path happens to reach (a floor below sees the same
# header name) and says which rule it broke.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

# Which folders each floor may include from (its own first).  Transitive: a floor may include
# the floors below the floors it names.
declare -A ALLOW=(
	[util]="util"
	[pipeline]="pipeline util"
	[lcore]="lcore pipeline util"
	[topology]="topology util"
	[sim]="sim pipeline topology util"
	[nsdb]="nsdb sim pipeline topology util"
	[control]="control nsdb sim lcore pipeline topology util"
	[dataplane]="dataplane control nsdb sim lcore pipeline topology util"
)
# Single headers a floor may include from a floor above it, and why.
declare -A ALLOW_HEADER=(
	# The command handlers run on the daemon's state; the daemon wires them, nothing else.
	[control:dataplane/dataplane.h]=1
)
FLOORS="util pipeline lcore topology sim nsdb control dataplane"

check() {
	local root=$1 bad=0 floor file line inc owner
	declare -A where=()
	# Header name -> the floor that holds it (names are unique across floors).
	for floor in $FLOORS; do
		for file in "$root/$floor"/*.h; do
			[ -e "$file" ] || continue
			inc=$(basename "$file")
			if [ -n "${where[$inc]:-}" ]; then
				echo "check-layers: $inc is in both ${where[$inc]}/ and $floor/: header names must be unique" >&2
				bad=1
			fi
			where[$inc]=$floor
		done
	done
	for floor in $FLOORS; do
		for file in "$root/$floor"/*.[ch]; do
			[ -e "$file" ] || continue
			while IFS=: read -r line inc; do
				inc=${inc#*\"}
				inc=${inc%%\"*}
				owner=${where[$inc]:-}
				[ -n "$owner" ] || continue   # a header of no floor (a system one quoted)
				# A floor's private headers (*_private.h, *_internal.h) are its own.
				case $inc in *_private.h | *_internal.h)
					if [ "$owner" != "$floor" ]; then
						echo "${file#"$root"/}:$line: $floor/ includes $owner/$inc:" \
							"a private header of $owner/" >&2
						bad=1
					fi
					continue ;;
				esac
				case " ${ALLOW[$floor]} " in *" $owner "*) continue ;; esac
				[ -n "${ALLOW_HEADER[$floor:$owner/$inc]:-}" ] && continue
				echo "${file#"$root"/}:$line: $floor/ includes $owner/$inc:" \
					"$floor/ may include only ${ALLOW[$floor]// /, }" >&2
				bad=1
			done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file")
		done
	done
	return $bad
}

if [ "${1:-}" = "--self-test" ]; then
	# The check must pass on the tree, and fail, naming the line, once pipeline/ includes sim.h.
	tmp=$(mktemp -d /tmp/kairo-layers.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	for floor in $FLOORS; do cp -r "$here/$floor" "$tmp/$floor"; done
	check "$tmp" || { echo "self-test: the tree itself does not pass" >&2; exit 1; }
	printf '#include "sim.h"\n' >> "$tmp/pipeline/flow_cache_lookup.c"
	out=$(check "$tmp" 2>&1) && { echo "self-test: a wrong-way include was not refused" >&2; exit 1; }
	echo "$out" | grep -q '^pipeline/flow_cache_lookup.c:[0-9]*: pipeline/ includes sim/sim.h' || {
		echo "self-test: the refusal did not name the include: $out" >&2
		exit 1
	}
	echo "self-test: refused as it should be: $out"
	exit 0
fi

root=${1:-$here}
if check "$root"; then
	echo "check-layers: every include goes down"
else
	exit 1
fi
