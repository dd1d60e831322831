#!/usr/bin/env bash
# kartlegg against ripgrep on the same generated data, in the same run.
#
#   benches/compare.sh [DATA_DIR]        (default: ./bench-data, git-ignored)
#
# Builds kartlegg --release, installs ripgrep, hyperfine and GNU time if missing (Debian),
# generates the corpus with `examples/gencorpus.rs` if missing (about 3 GB on disk: the 1 GB
# corpus, the 100,000-file tree and a 1 GB single-line file), then times with hyperfine.
# Runs are warm-cache: every command gets a warm-up run and nothing drops the page cache
# (that needs root), so the figures measure the CPU side of scanning, not the disk.
# Prints a table and writes it, with the machine and the commands, into BENCHMARKS.md under
# "Scanner core (issue 2)".
set -euo pipefail

cd "$(dirname "$0")/.."
DATA=${1:-bench-data}
RUNS=${RUNS:-5}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

need() { command -v "$1" >/dev/null || apt-get install -y "$2" >/dev/null; }
need rg ripgrep
need hyperfine hyperfine
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null

cargo build --release --quiet
cargo build --release --quiet --example gencorpus
TARGET=${CARGO_TARGET_DIR:-target}
K="$TARGET/release/kartlegg"
"$TARGET/release/examples/gencorpus" "$DATA"

# The three patterns ripgrep counts: what kartlegg looks for before it validates (11-digit
# identity/account numbers, 8-digit Norwegian mobiles, e-mail addresses). ripgrep only
# matches; kartlegg also checks digits, scores context, masks and fingerprints.
# Word boundaries are ASCII ones, `(?-u:\b)`: ripgrep 13 with Unicode `\b` falls off its fast
# path on Norwegian text and runs about 40 times slower, which would flatter kartlegg.
P_ID='(?-u:\b)[0-9]{11}(?-u:\b)'
P_PHONE='(?-u:\b)[49][0-9]{7}(?-u:\b)'
P_EMAIL='[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}'
RG="rg -c --no-ignore --hidden -e '$P_ID' -e '$P_PHONE' -e '$P_EMAIL'"
KS="$K scan --no-progress --format json -o $OUT/report.json"

bytes() { du -sb --apparent-size "$1" | cut -f1; }
CORPUS_BYTES=$(bytes "$DATA/corpus")
TREE_FILES=$(find "$DATA/tree" -type f ! -name .complete | wc -l)
TREE_TXT=$(find "$DATA/tree" -type f -name '*.txt' | wc -l)
TREE_CSV=$(find "$DATA/tree" -type f -name '*.csv' | wc -l)

# name, command: timed below, one hyperfine run a round, in $OUT/<name>.<round>.json.
NAMES=()
CMDS=()
bench() {
    NAMES+=("$1")
    CMDS+=("$2")
    echo "$1|$2" >> "$OUT/commands"
}
bench rg-corpus "$RG $DATA/corpus"
bench kartlegg-corpus "$KS $DATA/corpus"
bench rg-corpus-j1 "$RG -j1 $DATA/corpus"
bench kartlegg-corpus-t1 "$KS --threads 1 $DATA/corpus"
bench kartlegg-corpus-t2 "$KS --threads 2 $DATA/corpus"
bench rg-tree "$RG $DATA/tree"
bench kartlegg-tree "$KS $DATA/tree"
bench kartlegg-tree-t1 "$KS --threads 1 $DATA/tree"
bench kartlegg-tree-t2 "$KS --threads 2 $DATA/tree"
# The tree's two kinds of files apart: where the gap to ripgrep is.
bench rg-tree-txt "$RG -g '*.txt' $DATA/tree"
bench kartlegg-tree-txt "$KS --exclude '*.csv' $DATA/tree"
bench rg-tree-csv "$RG -g '*.csv' $DATA/tree"
bench kartlegg-tree-csv "$KS --exclude '*.txt' $DATA/tree"

# The rounds interleave the commands: on a shared machine whose speed drifts over minutes, a
# slow phase falls on every command alike, not on the few that ran back to back in it (which
# moved the ratios of unchanged code by a tenth from one table to the next). An untimed
# warm-up round first.
bash benches/fresh-dentries.sh
for cmd in "${CMDS[@]}"; do sh -c "$cmd" >/dev/null 2>&1 || true; done
for round in $(seq "$RUNS"); do
    for i in "${!CMDS[@]}"; do
        hyperfine --style none --runs 1 -i --export-json "$OUT/${NAMES[$i]}.$round.json" \
            -n "${NAMES[$i]}" "${CMDS[$i]}" >/dev/null
    done
done

# Peak resident memory (KB), from GNU time (kartlegg exits 1 when it finds something).
peak() { { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk -F': ' '/Maximum resident/ {print $2}'; }
MEM_CORPUS=$(peak $KS "$DATA/corpus")
MEM_LINE=$(peak $KS "$DATA/longline")
MEM_TREE=$(peak $KS "$DATA/tree")
LINE_BYTES=$(bytes "$DATA/longline/one-line.txt")

CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
RAM=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
export OUT CORPUS_BYTES TREE_FILES TREE_TXT TREE_CSV MEM_CORPUS MEM_LINE MEM_TREE LINE_BYTES CPU RAM RUNS DATA
export MACHINE="$(nproc) cores ($CPU), $RAM RAM"
export VERSIONS="$($K --version 2>/dev/null || echo kartlegg), $(rg --version | sed -n 1p), $(hyperfine --version)"
python3 - <<'PY'
import datetime, glob, json, os, re, statistics

env = os.environ
out = env["OUT"]
cmds = dict(l.rstrip("\n").split("|", 1) for l in open(f"{out}/commands"))
res = {}
for name in cmds:
    rounds = glob.glob(f"{out}/{name}.*.json")
    times = sorted(t for f in rounds for t in json.load(open(f))["results"][0]["times"])
    res[name] = (times[0], statistics.median(times))
corpus, files = int(env["CORPUS_BYTES"]), int(env["TREE_FILES"])

def rate(name):
    med = res[name][1]
    if "tree" in name:
        n = {"txt": int(env["TREE_TXT"]), "csv": int(env["TREE_CSV"])}.get(name[-3:], files)
        return f"{n / med:,.0f} files/s"
    return f"{corpus / med / 1e6:,.0f} MB/s"

rows = ["| run | min (s) | median (s) | median rate |", "|---|---:|---:|---:|"]
rows += [f"| {n} | {res[n][0]:.3f} | {res[n][1]:.3f} | {rate(n)} |" for n in cmds]
med = lambda n: res[n][1]
goals = [
    ("corpus: ripgrep time / kartlegg time, default threads (goal >= 1.0)", med("rg-corpus") / med("kartlegg-corpus")),
    ("corpus, one thread each: rg -j1 time / kartlegg --threads 1 time", med("rg-corpus-j1") / med("kartlegg-corpus-t1")),
    ("tree: kartlegg files/s / ripgrep files/s (goal >= 0.8)", med("rg-tree") / med("kartlegg-tree")),
    ("tree, its text files only: the same ratio", med("rg-tree-txt") / med("kartlegg-tree-txt")),
    ("tree, its CSV files only: the same ratio", med("rg-tree-csv") / med("kartlegg-tree-csv")),
    ("corpus: --threads 1 time / --threads 2 time (goal >= 1.8)", med("kartlegg-corpus-t1") / med("kartlegg-corpus-t2")),
    ("tree: --threads 1 time / --threads 2 time (goal >= 1.8)", med("kartlegg-tree-t1") / med("kartlegg-tree-t2")),
]
rows += ["", "| ratio | value |", "|---|---:|"] + [f"| {g} | {v:.2f} |" for g, v in goals]
mb = lambda kb: f"{int(kb) / 1024:.0f} MB"
rows += [
    "",
    "| peak resident memory (goal < 200 MB) | |",
    "|---|---:|",
    f"| 1 GB corpus (8 files) | {mb(env['MEM_CORPUS'])} |",
    f"| {int(env['LINE_BYTES']) / 2**20:,.0f} MiB on one line | {mb(env['MEM_LINE'])} |",
    f"| {files:,} small files | {mb(env['MEM_TREE'])} |",
]
table = "\n".join(rows)
print(table)

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
commands = "\n".join(f"{n}: {c}" for n, c in cmds.items())
section = f"""## Scanner core (issue 2)

Measured {now} by `benches/compare.sh` on {env['MACHINE']}; {env['VERSIONS']}.
Corpus: {corpus / 1e9:.2f} GB in 8 files, {files:,} small files, from `examples/gencorpus.rs`.
Warm page cache (a warm-up round first, no cache drops); hyperfine, {env['RUNS']} rounds, each
running every command once in turn.

{table}

Commands (`$OUT` is a temporary directory):

```text
{commands}
```
"""
path = "BENCHMARKS.md"
old = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
marker = "## Scanner core (issue 2)"
notes_marker = "### Notes (issue 2)"
if marker in old:
    before, rest = old.split(marker, 1)
    # Keep hand-written notes under the section; replace only the measured part.
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
