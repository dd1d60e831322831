#!/usr/bin/env bash
# The cost of a retention review that dates every finding by its log line: a generated Apache
# access log (default 1 GB, seeded, so every run writes the same bytes) scanned by the release
# binary without a policy and with `--policy` (from = "content"), RUNS times each, alternating.
# Prints CPU time (user + sys: the machine is shared, so wall time says little), wall time and
# peak memory per run. The scan runs with `--isolation threads`, so that all its CPU time is
# the measured process's.
#
#   benches/retention.sh [DIR] [MB]      (default: bench-data/retention, 1024)
#   RUNS=3 benches/retention.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-bench-data/retention}
mb=${2:-1024}
runs=${RUNS:-3}
mkdir -p "$dir"
log="$dir/access.log"

if [ ! -f "$log.complete" ]; then
    python3 - "$log" "$mb" <<'EOF'
import random, sys
random.seed(11)
path, mb = sys.argv[1], int(sys.argv[2])
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
pages = ["/", "/kurs", "/kurs/norsk-a1", "/kurs/truckforer", "/om-oss", "/kontakt", "/bilder/logo.png"]
agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
          "curl/8.4.0"]
# 100,000 distinct lines (a fifth with an e-mail address in the query), repeated to size.
lines = []
for i in range(100_000):
    y = random.choice([2023, 2024, 2025, 2026])
    ts = "%02d/%s/%d:%02d:%02d:%02d +0100" % (random.randint(1, 28), random.choice(months), y,
                                             random.randrange(24), random.randrange(60), random.randrange(60))
    ip = "%d.%d.%d.%d" % (random.randint(1, 223), random.randrange(256), random.randrange(256), random.randint(1, 254))
    page = random.choice(pages)
    if i % 5 == 0:
        page = "/pamelding?epost=deltaker%d@kursfirma.no&kurs=%d" % (i, random.randrange(300))
    lines.append('%s - - [%s] "GET %s HTTP/1.1" %d %d "-" "%s"\n'
                 % (ip, ts, page, random.choice([200, 200, 200, 304, 404]), random.randrange(200, 90000),
                    random.choice(agents)))
block = "".join(lines).encode()
with open(path, "wb") as out:
    for _ in range(max(1, mb * 1_000_000 // len(block))):
        out.write(block)
EOF
    touch "$log.complete"
fi

policy="$dir/policy.toml"
cat > "$policy" <<'EOF'
as_of = "2026-12-01"
[[policy]]
id = "logg"
keep = "360d"
from = "content"
EOF

cargo build --release --bin kartlegg -q
bin=target/release/kartlegg
echo "log: $(du -h "$log" | cut -f1), machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %10s %10s %10s\n' run "cpu s" "wall s" "max MB"
for i in $(seq "$runs"); do
    for mode in none policy; do
        args=()
        [ "$mode" = policy ] && args=(--policy "$policy")
        # In threads, so that /usr/bin/time sees all the CPU time (worker processes are not
        # its children); exit 1 means personal data was found.
        /usr/bin/time -f '%U %S %e %M' -o "$dir/time" \
            "$bin" scan "$log" --isolation threads --no-progress --format json \
            -o "$dir/inventory.json" "${args[@]}" || [ $? -eq 1 ]
        tail -1 "$dir/time" | awk -v m="$mode" '{ printf "%-8s %10.2f %10.2f %10.1f\n", m, $1 + $2, $3, $4 / 1024 }'
    done
done
