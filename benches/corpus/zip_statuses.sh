#!/usr/bin/env bash
# Compares kartlegg's status for each zip in a folder with `unzip -t`, one scan per file (so a
# crash shows as that file's), with the peak memory of each scan. Not run in CI: the corpus is
# fetched by hand (libzip's regress/*.zip, see BENCHMARKS.md).
#   benches/corpus/zip_statuses.sh DIR [KARTLEGG]   (default: target/release/kartlegg)
# Prints one line per file (unzip verdict, status/reason, peak KiB, exit code), then counts.
set -u
dir=${1:?usage: zip_statuses.sh DIR [KARTLEGG]}
bin=${2:-target/release/kartlegg}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for f in "$dir"/*.zip; do
    if unzip -tqq "$f" >/dev/null 2>&1; then u=ok; else u=fail; fi
    /usr/bin/time -f '%M %x' -o "$out/time" "$bin" scan "$f" --format json --no-progress \
        >"$out/inv.json" 2>/dev/null
    read -r kib code <"$out/time"
    s=$(python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    r = [x for x in d["files"] if "!/" not in x["path"]][0]
    print(r["status"] + "/" + r.get("reason", "-"))
except Exception:
    print("NO_INVENTORY")' "$out/inv.json")
    printf '%s\t%s\t%s\t%s\t%s\n' "$(basename "$f")" "$u" "$s" "$kib" "$code"
done | tee "$out/lines"
echo "--- unzip -t verdict x kartlegg status (count)"
cut -f2,3 "$out/lines" | sort | uniq -c | sort -rn
echo "--- crashes (exit > 2 or no inventory): $(awk -F'\t' '$5 > 2 || $3 == "NO_INVENTORY"' "$out/lines" | wc -l)"
echo "--- peak KiB max: $(cut -f4 "$out/lines" | sort -n | tail -1)"
