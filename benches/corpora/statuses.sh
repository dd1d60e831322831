#!/usr/bin/env bash
# Runs kartlegg over every file of a corpus folder, one scan per file (so a crash, a hang or a
# peak of memory is that file's), and counts the statuses. Not run in CI: the public corpora
# (mozilla/pdf.js test/pdfs, Apache Tika's test documents, libzip's regression archives) are
# fetched by hand — see BENCHMARKS.md, "Hostile corpora".
#   benches/corpora/statuses.sh DIR [KARTLEGG] [SECONDS]
#     KARTLEGG: the binary (default target/release/kartlegg)
#     SECONDS:  wall-clock limit per file, after which the scan counts as a hang (default 120)
# Prints one line per file (name, status/reason of the file's own record, records, peak KiB,
# exit code), then: statuses by count, crashes (no inventory or exit > 2), hangs, the largest
# peak, and the total time.
set -u
dir=${1:?usage: statuses.sh DIR [KARTLEGG] [SECONDS]}
bin=$(realpath "${2:-target/release/kartlegg}")
limit=${3:-120}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s)
find "$dir" -maxdepth 1 -type f | sort | while IFS= read -r f; do
    timeout -s KILL "$limit" /usr/bin/time -f '%M %x' -o "$out/time" \
        "$bin" scan "$f" --format json --no-progress -o "$out/inv.json" >/dev/null 2>&1
    rc=$?
    # GNU time writes "Command exited with non-zero status N" before its own line on exit 1.
    if [ $rc -eq 137 ] || [ ! -s "$out/time" ]; then kib=0; code=HANG; else read -r kib code < <(tail -n 1 "$out/time"); fi
    s=$(python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    own = [x for x in d["files"] if "!/" not in x["path"]][0]
    print(own["status"] + "/" + own.get("reason", "-"), len(d["files"]))
except Exception:
    print("NO_INVENTORY 0")' "$out/inv.json" 2>/dev/null)
    rm -f "$out/inv.json" "$out/time"
    printf '%s\t%s\t%s\t%s\n' "$(basename "$f")" "${s// /$'\t'}" "$kib" "$code"
done | tee "$out/lines"
echo "--- status/reason of each file (count)"
cut -f2 "$out/lines" | sort | uniq -c | sort -rn
echo "--- crashes (no inventory, or exit > 2): $(awk -F'\t' '$2 == "NO_INVENTORY" || ($5 != "HANG" && $5 > 2)' "$out/lines" | wc -l)"
echo "--- hangs (over ${limit}s): $(awk -F'\t' '$5 == "HANG"' "$out/lines" | wc -l)"
echo "--- largest peak: $(cut -f4 "$out/lines" | sort -n | tail -1) KiB"
echo "--- files: $(wc -l <"$out/lines"), time: $(( $(date +%s) - start )) s"
