#!/usr/bin/env bash
# Forgets the kernel's cached directory entries and inodes, where allowed (root), so that a
# benchmark's name lookups do not depend on what ran before it.
#
# This machine kind's dentry hash table has 131,072 buckets (`dmesg | grep 'Dentry cache'`).
# The million-file data set of benches/scale.sh leaves over a million entries in it, and every
# name looked up after that walks chains about ten long: a rescan of the tree spent a quarter
# of its CPU in `__d_lookup_rcu` (0.31 s against 0.26 s with the cache forgotten). File data
# goes with the inodes; each measurement's warm-up run reads it back.
set -euo pipefail
if [ -w /proc/sys/vm/drop_caches ]; then
    sync
    echo 2 > /proc/sys/vm/drop_caches
else
    echo "fresh-dentries: not root; cached directory entries kept" >&2
fi
