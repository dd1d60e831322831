#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 300), seeded from the repository's
# fixtures, and keeps what crashed as regression inputs under tests/fixtures/fuzz/TARGET/.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# cargo-fuzz needs a nightly compiler; on a stable toolchain RUSTC_BOOTSTRAP=1 lets it use the
# sanitizer flags (`cargo install cargo-fuzz` once). Not run by CI: it takes the machine for
# as long as it is told to. Results go to fuzz/results.txt (target, runs, executions, crashes).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-300}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(detect text csv json sql pdf office sheet zip tar gzip ole rtf mail sqlite)
export RUSTC_BOOTSTRAP=1
# SQLite's amalgamation has file-static arrays of one name in two functions, which
# AddressSanitizer's ODR check reports at start-up (a false positive that stops every target).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=0}
FIX=../tests/fixtures

seed() { # target -> fixture files that seed it
    case "$1" in
        detect|text) ls $FIX/office/*.rtf $FIX/dumps/*.csv $FIX/mail/*.eml ;;
        csv) ls $FIX/dumps/*.csv $FIX/dumps/*.tsv ;;
        json) ls $FIX/dumps/*.json $FIX/dumps/*.ndjson ;;
        sql) ls $FIX/dumps/*.sql ;;
        pdf) ls $FIX/docs/*.pdf ;;
        office) ls $FIX/office/*.docx $FIX/office/*.pptx $FIX/office/*.odt $FIX/office/*.odp ;;
        sheet) ls $FIX/docs/*.xlsx $FIX/docs/*.ods ;;
        zip) ls $FIX/archive/*.zip ;;
        tar) ls $FIX/archive/*.tar ;;
        gzip) ls $FIX/archive/*.gz $FIX/archive/*.tgz $FIX/archive/*.bz2 $FIX/archive/*.xz $FIX/archive/*.zst ;;
        ole) ls $FIX/docs/*.xls $FIX/docs/*.doc $FIX/docs/encrypted.xlsx ;;
        rtf) ls $FIX/office/*.rtf ;;
        mail) ls $FIX/mail/* | grep -v -e README -e '\.py$' ;;
        sqlite) ls $FIX/dumps/*.sqlite ;;
    esac
}

: > results.txt
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t"
    for f in $(seed "$t"); do cp -n "$f" "corpus/$t/" 2>/dev/null || true; done
    [ -d "$FIX/fuzz/$t" ] && cp -n "$FIX/fuzz/$t"/* "corpus/$t/" 2>/dev/null || true
    log=$(mktemp)
    cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
        -timeout=30 -print_final_stats=1 >"$log" 2>&1 || true
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    crashes=0
    for a in artifacts/"$t"/*; do
        [ -f "$a" ] || continue
        mkdir -p "$FIX/fuzz/$t"
        cp "$a" "$FIX/fuzz/$t/$(basename "$a")"
        crashes=$((crashes + 1))
    done
    echo "$t ${SECONDS_EACH}s executions=$execs crashes=$crashes" | tee -a results.txt
    rm -f "$log"
done
