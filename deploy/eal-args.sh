#!/usr/bin/env bash
# Print the EAL memory arguments for one kairod (or testpmd) instance: hugepages when
# they can be had, else the --no-huge fallback.  Usage: eal-args.sh PREFIX [MEMORY_MB]
#
# Each instance gets its own --file-prefix so several can run at once.  --no-shconf
# keeps them from sharing a runtime directory; with --no-huge, DPDK 22.11 refuses
# --in-memory, so that is the combination used.
set -euo pipefail
prefix=${1:?file prefix}
mem=${2:-512}

hp=/sys/kernel/mm/hugepages/hugepages-2048kB
want=$(( mem / 2 + 64 ))
if [ -z "${KAIRO_NO_HUGE:-}" ] && [ -w "$hp/nr_hugepages" ]; then
	if [ "$(cat "$hp/free_hugepages")" -lt "$want" ]; then
		echo $(( $(cat "$hp/nr_hugepages") + want )) > "$hp/nr_hugepages" 2>/dev/null || true
	fi
	if ! mountpoint -q /dev/hugepages; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
	fi
	if mountpoint -q /dev/hugepages && [ "$(cat "$hp/free_hugepages")" -ge "$want" ]; then
		echo "--in-memory --file-prefix $prefix -m $mem"
		exit 0
	fi
fi
echo "--no-huge --no-shconf --file-prefix $prefix -m $mem"
