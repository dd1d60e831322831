#!/bin/sh
# System calls of the walk, per thread: `benches/walk_syscalls.sh BINARY TREE`.
# The walker is the thread that calls getdents64; its file-system calls are the walk's cost,
# its sched_yield/futex calls the hand-off to the workers. Needs strace.
set -eu
BIN=$1
TREE=$2
OUT=$(mktemp -d)
strace -f -qq -o "$OUT/trace" "$BIN" scan "$TREE" --threads 1 --no-progress -o "$OUT/inv.json" >/dev/null || true
grep -v 'resumed>' "$OUT/trace" > "$OUT/calls"
W=$(grep getdents64 "$OUT/calls" | awk '{print $1}' | sort | uniq -c | sort -rn | head -1 | awk '{print $2}')
echo "walker thread: $(grep -c "^$W " "$OUT/calls") system calls"
grep "^$W " "$OUT/calls" | sed -E 's/^[0-9]+ +//; s/\(.*//' | sort | uniq -c | sort -rn | head -12
echo "all threads: $(wc -l < "$OUT/calls") system calls"
sed -E 's/^[0-9]+ +//; s/\(.*//' "$OUT/calls" | sort | uniq -c | sort -rn | head -12
rm -rf "$OUT"
