#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Reserve 2 MiB hugepages for kairod and mount hugetlbfs: the unit's ExecStartPre
# (deploy/kairod.service, installed as /usr/lib/kairo/kairo-hugepages).
#
#   kairo-hugepages [PAGES]     (default: $KAIRO_HUGEPAGES from /etc/default/kairo, else 0)
#
# Idempotent: pages already reserved are kept (the count only grows to PAGES, never shrinks,
# so another DPDK process's pages are not taken away), and a mounted hugetlbfs is left alone.
# PAGES 0 does nothing (EAL then runs with --no-huge, as KAIRO_EAL_ARGS says).  Fewer pages
# than asked for is a warning, not a failure: EAL says whether its -m fits in them.
# Environment for tests: KAIRO_HUGEPAGES_SYSFS (the hugepages-2048kB directory),
# KAIRO_HUGEPAGES_MOUNT (the mount point).
set -eu

pages=${1:-${KAIRO_HUGEPAGES:-0}}
hp=${KAIRO_HUGEPAGES_SYSFS:-/sys/kernel/mm/hugepages/hugepages-2048kB}
mnt=${KAIRO_HUGEPAGES_MOUNT:-/dev/hugepages}

case $pages in
'' | *[!0-9]*)
	echo "kairo-hugepages: \"$pages\": a number of 2 MiB pages" >&2
	exit 2
	;;
esac
[ "$pages" -eq 0 ] && exit 0

if [ ! -w "$hp/nr_hugepages" ]; then
	echo "kairo-hugepages: $hp/nr_hugepages cannot be written: no 2 MiB hugepages here" >&2
	exit 0
fi
have=$(cat "$hp/nr_hugepages")
if [ "$have" -lt "$pages" ]; then
	echo "$pages" >"$hp/nr_hugepages" 2>/dev/null || true
	have=$(cat "$hp/nr_hugepages")
	echo "kairo-hugepages: $have of $pages 2 MiB pages reserved"
	[ "$have" -ge "$pages" ] || echo "kairo-hugepages: only $have pages: memory is fragmented or short" >&2
fi
if ! mountpoint -q "$mnt"; then
	mkdir -p "$mnt"
	mount -t hugetlbfs -o pagesize=2M nodev "$mnt"
	echo "kairo-hugepages: hugetlbfs mounted on $mnt"
fi
exit 0
