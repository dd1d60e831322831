#!/usr/bin/env bash
# File servers at scale (issue 13): incremental rescans with --state, merging shards, and a
# million files in bounded memory.
#
#   benches/scale.sh [DATA_DIR]        (default: ./bench-data, git-ignored)
#
# Builds kartlegg --release, installs hyperfine and GNU time if missing (Debian), generates the
# corpus with `examples/gencorpus.rs` if missing (the 1 GB corpus and the 100,000-file tree of
# benches/compare.sh, and DATA_DIR/million: MILLION small files, default 1,000,000, about 5 GB),
# then measures, warm cache:
#   * a first scan with a new state, and a rescan with nothing changed, of the tree and of the
#     corpus; a rescan of the tree after 1 % of its files changed (touched: new mtime);
#   * one shard of four (--shard 0/4), and `kartlegg merge` of the four, next to a plain
#     copy of the four into one synced file (the floor of a merge that writes durably);
#   * the million files (--format json, sorting included), plain, then a first scan with a new
#     state and a rescan with nothing changed: wall time, GNU time's maximum resident set (the
#     largest process) and the largest sum over the scan and its worker processes, sampled
#     every 50 ms; and the size of the state.
# Prints a table and writes it, with the machine and the commands, into BENCHMARKS.md under
# "File servers at scale (issue 13)" (hand-written notes under "### Notes (issue 13)" are kept).
set -euo pipefail

cd "$(dirname "$0")/.."
DATA=${1:-bench-data}
RUNS=${RUNS:-5}
MILLION=${MILLION:-1000000}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

need() { command -v "$1" >/dev/null || apt-get install -y "$2" >/dev/null; }
need hyperfine hyperfine
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null

cargo build --release --quiet
cargo build --release --quiet --example gencorpus
TARGET=${CARGO_TARGET_DIR:-target}
K="$TARGET/release/kartlegg"
"$TARGET/release/examples/gencorpus" "$DATA"
"$TARGET/release/examples/gencorpus" "$DATA/million" --files "$MILLION" --mb 1

printf 'the benchmark key' > "$OUT/key"
KS="$K scan --no-progress --format json --hash-key-file $OUT/key"

# name, command, [hyperfine options...]: one hyperfine result each, in $OUT/<name>.json.
bench() {
    local name=$1 cmd=$2
    shift 2
    hyperfine --style none --warmup 1 --runs "$RUNS" -i "$@" --export-json "$OUT/$name.json" -n "$name" "$cmd" >/dev/null
    echo "$name|$cmd" >> "$OUT/commands"
}

bash benches/fresh-dentries.sh

# Every 100th file of the tree: the 1 % that changes.
find "$DATA/tree" -type f ! -name .complete | sort | awk 'NR % 100 == 0' > "$OUT/one-percent"

for set in tree corpus; do
    S="$OUT/$set.state"
    bench "$set-full" "$KS -o $OUT/report.json $DATA/$set"
    bench "$set-first" "$KS -o $OUT/report.json --state $S $DATA/$set" --prepare "rm -f $S $S-wal"
    # The state of a finished scan, taken as the start of every rescan.
    rm -f "$S" "$S-wal"
    $KS -o "$OUT/report.json" --state "$S" "$DATA/$set" || true
    cp "$S" "$OUT/$set.base"
    # Synced after the copy: the copy's own writes are not the scan's to wait for (the
    # fold of a rescan that changed the state syncs the database).
    bench "$set-rescan" "$KS -o $OUT/report.json --state $S $DATA/$set" \
        --prepare "cp $OUT/$set.base $S && sync $S"
done
bench "tree-rescan-1pct" "$KS -o $OUT/report.json --state $OUT/tree.state $DATA/tree" \
    --prepare "cp $OUT/tree.base $OUT/tree.state && sync $OUT/tree.state && xargs -a $OUT/one-percent -d '\n' touch"

# Four shards of the tree (and of the corpus), merged.
for set in tree corpus; do
    for i in 1 2 3; do $KS --shard "$i/4" -o "$OUT/$set-shard-$i.json" "$DATA/$set" || true; done
    bench "$set-shard-0of4" "$KS --shard 0/4 -o $OUT/$set-shard-0.json $DATA/$set"
    bench "$set-merge-4" "$K merge $OUT/$set-shard-0.json $OUT/$set-shard-1.json $OUT/$set-shard-2.json $OUT/$set-shard-3.json -o $OUT/$set-merged.json"
    # The floor of any merge that writes its output durably, as merge does: the shards copied
    # into one file and synced.
    bench "$set-copy-4" "sh -c 'cat $OUT/$set-shard-[0-3].json > $OUT/$set-copy.json && sync $OUT/$set-copy.json'"
done

# The million files, plain and with a state (a first scan, then a rescan with nothing
# changed): wall time, GNU time's maximum resident set (the largest process), and the largest
# sum of resident sets of the scan and its workers, sampled every 50 ms.
MILLION_FILES=$(find "$DATA/million/tree" -type f ! -name .complete | wc -l)
million() {
    local name=$1
    shift
    /usr/bin/time -v -o "$OUT/$name.time" $KS -o "$OUT/$name.json" "$@" "$DATA/million/tree" &
    local scan=$! peak=0 kpid sum
    while kill -0 "$scan" 2>/dev/null; do
        kpid=$(pgrep -P "$scan" -x kartlegg | head -1 || true)
        if [ -n "$kpid" ]; then
            # The scan may end between the two looks: then there is nothing to add.
            sum=$(ps -o rss= -p "$kpid" --ppid "$kpid" | awk '{s += $1} END {print s + 0}' || true)
            [ "$sum" -gt "$peak" ] && peak=$sum
        fi
        sleep 0.05
    done
    wait "$scan" || true
    echo "$peak" > "$OUT/$name.peak"
}
# The million files' inodes, read once untimed: what ran before pushed them out of the
# cache, and the first run would time reading them from disk (54.7 s against 13 to 17 s warm),
# where every other figure here is of a warm cache.
du -s --apparent-size "$DATA/million/tree" >/dev/null
million million
rm -f "$OUT/million.state" "$OUT/million.state-wal"
million million-first --state "$OUT/million.state"
million million-rescan --state "$OUT/million.state"
STATE_BYTES=$(stat -c %s "$OUT/million.state")

CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
RAM=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
export OUT RUNS DATA MILLION_FILES STATE_BYTES
export MACHINE="$(nproc) cores ($CPU), $RAM RAM"
export VERSIONS="$($K --version 2>/dev/null || echo kartlegg), $(hyperfine --version)"
export TREE_FILES=$(find "$DATA/tree" -type f ! -name .complete | wc -l)
python3 - <<'PY'
import datetime, json, os, re

env = os.environ
out = env["OUT"]
cmds = dict(l.rstrip("\n").split("|", 1) for l in open(f"{out}/commands"))
res = {}
for name in cmds:
    r = json.load(open(f"{out}/{name}.json"))["results"][0]
    res[name] = (min(r["times"]), r["median"])
med = lambda n: res[n][1]

rows = ["| run | min (s) | median (s) |", "|---|---:|---:|"]
rows += [f"| {n} | {res[n][0]:.3f} | {res[n][1]:.3f} |" for n in cmds]
pct = lambda a, b: f"{100 * med(a) / med(b):.1f} %"
goals = [
    ("tree: rescan, nothing changed / first scan (goal <= 15 %)", pct("tree-rescan", "tree-first")),
    ("tree: rescan after 1 % changed / first scan (goal <= 20 %)", pct("tree-rescan-1pct", "tree-first")),
    ("corpus: rescan, nothing changed / first scan (goal <= 15 %)", pct("corpus-rescan", "corpus-first")),
    ("tree: merge of 4 shards / one shard (goal <= 5 %)", pct("tree-merge-4", "tree-shard-0of4")),
    ("corpus: merge of 4 shards / one shard (goal <= 5 %)", pct("corpus-merge-4", "corpus-shard-0of4")),
    ("tree: the shards copied and synced / one shard (a merge's floor)", pct("tree-copy-4", "tree-shard-0of4")),
    ("corpus: the shards copied and synced / one shard (a merge's floor)", pct("corpus-copy-4", "corpus-shard-0of4")),
    ("tree: first scan with --state / full scan without", pct("tree-first", "tree-full")),
]
rows += ["", "| ratio | value |", "|---|---:|"] + [f"| {g} | {v} |" for g, v in goals]
mb = lambda kb: f"{int(kb) / 1024:.0f} MB"
def run(name):
    t = dict(l.strip().split(": ", 1) for l in open(f"{out}/{name}.time") if ": " in l)
    summary = json.load(open(f"{out}/{name}.json"))["summary"]
    peak = open(f"{out}/{name}.peak").read().strip()
    return t["Elapsed (wall clock) time (h:mm:ss or m:ss)"], t["Maximum resident set size (kbytes)"], peak, summary
runs = {n: run(n) for n in ("million", "million-first", "million-rescan")}
files = int(env["MILLION_FILES"])
rows += [
    "",
    f"| {files:,} files, --format json (goal < 200 MB) | plain | first scan with --state | rescan, nothing changed |",
    "|---|---:|---:|---:|",
    "| wall time | " + " | ".join(r[0] for r in runs.values()) + " |",
    "| records written | " + " | ".join(f"{r[3]['files_seen']:,}" for r in runs.values()) + " |",
    "| peak resident, largest process (GNU time) | " + " | ".join(mb(r[1]) for r in runs.values()) + " |",
    "| peak resident, scan and workers together (sampled every 50 ms) | " + " | ".join(mb(r[2]) for r in runs.values()) + " |",
]
inc = runs["million-rescan"][3].get("incremental") or {}
state = int(env["STATE_BYTES"])
rows += [
    "",
    f"The rescan reused {inc.get('reused', 0):,} files and read {inc.get('read', 0):,}; the state "
    f"after it: {state / 1e6:,.0f} MB ({state / files:,.0f} bytes a file).",
]
table = "\n".join(rows)
print(table)

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
commands = "\n".join(f"{n}: {c}" for n, c in cmds.items())
section = f"""## File servers at scale (issue 13)

Measured {now} by `benches/scale.sh` on {env['MACHINE']}; {env['VERSIONS']}.
Data from `examples/gencorpus.rs`: the 1 GB corpus (8 files) and the tree of {int(env['TREE_FILES']):,}
small files of `benches/compare.sh`, and {int(env['MILLION_FILES']):,} small files for the memory and state runs.
Warm page cache; hyperfine, {env['RUNS']} runs each. A rescan starts from the state of a finished
scan (copied in before each run); "1 % changed" touches every 100th file of the tree first.

{table}

Commands (`$OUT` is a temporary directory):

```text
{commands}
```
"""
path = "BENCHMARKS.md"
old = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
marker = "## File servers at scale (issue 13)"
notes_marker = "### Notes (issue 13)"
if marker in old:
    before, rest = old.split(marker, 1)
    notes = rest[rest.index(notes_marker):] if notes_marker in rest else ""
    nxt = re.search(r"^## ", notes, re.M)
    after = notes[nxt.start():] if nxt else ""
    notes = notes[: nxt.start()] if nxt else notes
    if not notes:
        m = re.search(r"^## ", rest, re.M)
        after = rest[m.start():] if m else ""
    new = before + section + ("\n" + notes if notes else "") + ("\n" + after if after else "")
else:
    new = old.rstrip("\n") + "\n\n" + section
open(path, "w").write(new)
print(f"\nwritten to {path}")
PY
