#!/usr/bin/env bash
# kartlegg on mozilla/pdf.js's test PDFs: status counts, crashes, hangs, peak memory; and,
# when pypdf and pdftotext are installed, the files they read but kartlegg calls unreadable.
# Not run in CI (about a minute per pass on 2 cores; the corpus is not in this repository).
#
#   benches/corpora/pdfjs.sh DIR [KARTLEGG]
#
# DIR holds the PDFs of pdf.js's test/pdfs folder, e.g.
#   git clone --depth 1 https://github.com/mozilla/pdf.js && cp pdf.js/test/pdfs/*.pdf DIR
# (files stored as links to other sites are not in the clone). KARTLEGG defaults to
# target/release/kartlegg. Needs GNU time (/usr/bin/time) and jq.
#
# Pass 1 scans the whole folder in one run (peak RSS of the process, wall time, statuses).
# Pass 2 scans each file in its own process with a 120 s timeout: a crash (signal, or no
# inventory) or a hang is counted per file, with the largest per-file peak RSS.
# Pass 3 (optional) asks pypdf and pdftotext about the files kartlegg marks error.
set -uo pipefail

DIR=${1:?usage: pdfjs.sh DIR [KARTLEGG]}
K=${2:-target/release/kartlegg}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "# kartlegg: $K ($("$K" --version 2>/dev/null))"
echo "# corpus: $DIR ($(find "$DIR" -maxdepth 1 -iname '*.pdf' | wc -l) PDFs)"

echo "## pass 1: one scan of the whole folder"
/usr/bin/time -f '%M %e' -o "$OUT/time" "$K" scan "$DIR" --no-progress --format json \
    -o "$OUT/inv.json" 2>"$OUT/stderr"
echo "exit code: $?"
read -r rss secs < <(tail -1 "$OUT/time")
echo "peak RSS: $((rss / 1024)) MB, wall time: ${secs} s"
jq -r '.files[] | "\(.status)/\(.reason // "-")"' "$OUT/inv.json" | sort | uniq -c | sort -rn

echo "## pass 2: each file in its own process (120 s timeout)"
crashes=0 hangs=0 max=0 maxfile=
for f in "$DIR"/*.pdf "$DIR"/*.PDF; do
    [ -e "$f" ] || continue
    rm -f "$OUT/one.json"
    /usr/bin/time -f '%M' -o "$OUT/t1" timeout 120 "$K" scan "$f" --no-progress \
        --format json -o "$OUT/one.json" >/dev/null 2>&1
    rc=$?
    if [ "$rc" = 124 ]; then
        hangs=$((hangs + 1)); echo "hang: $f"
    elif [ "$rc" -ge 128 ] || [ ! -s "$OUT/one.json" ]; then
        crashes=$((crashes + 1)); echo "crash (exit $rc): $f"
    fi
    r=$(tail -1 "$OUT/t1" | tr -dc 0-9)
    if [ -n "$r" ] && [ "$r" -gt "$max" ]; then max=$r; maxfile=$f; fi
done
echo "crashes: $crashes, hangs: $hangs, largest per-file peak RSS: $((max / 1024)) MB ($maxfile)"

echo "## pass 3: files kartlegg marks error, as pypdf and pdftotext see them"
if python3 -c 'import pypdf' 2>/dev/null && command -v pdftotext >/dev/null; then
    jq -r '.files[] | select(.status == "error") | .path' "$OUT/inv.json" >"$OUT/errors"
    python3 - "$OUT/errors" <<'PY'
import sys, subprocess, logging
import pypdf
logging.disable(logging.CRITICAL)
read = 0
paths = [l.rstrip("\n") for l in open(sys.argv[1])]
for p in paths:
    try:
        r = pypdf.PdfReader(p)
        if r.is_encrypted:
            r.decrypt("")
        py = sum(len((pg.extract_text() or "").split()) for pg in r.pages)
        py_ok = True
    except Exception:
        py, py_ok = 0, False
    t = subprocess.run(["pdftotext", "-q", p, "-"], capture_output=True, timeout=120)
    pt = len(t.stdout.split())
    if py_ok or t.returncode == 0:
        read += 1
    print(f"{p}: pypdf {'reads' if py_ok else 'fails'} ({py} words), "
          f"pdftotext exit {t.returncode} ({pt} words)")
print(f"{read} of {len(paths)} files kartlegg marks error are read by pypdf or pdftotext")
PY
else
    echo "(pypdf or pdftotext not installed: skipped)"
fi
