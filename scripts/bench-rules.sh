#!/usr/bin/env bash
# Rule-stage benchmark (issue 3): amlscreen's rule stage with all shipped packs against the
# DuckDB peer's typology queries, on the same generated file, alternating runs.
#
#   bash scripts/bench-rules.sh                          # 1M rows, Parquet, 3 runs each
#   SIZES="1000000 10000000" FORMATS="parquet csv" bash scripts/bench-rules.sh
#
# Ours: the manifest's `rules` stage seconds of `amlscreen run` (no watchlist). The peer: the sum
# of the seconds it prints per typology query (`peer_duckdb.py` without --sdn). Neither counts
# reading the file. Peak RSS is of the whole process (read + rules). Data as in scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/amlscreen-target}"
SIZES="${SIZES:-1000000}"
RUNS="${RUNS:-3}"
FORMATS="${FORMATS:-parquet}"
SHARED="${SHARED:-../shared}"
WORK="${WORK:-/tmp/amlscreen-bench}"
PEER="$SHARED/bench/peer_duckdb.py"

cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/amlscreen"
mkdir -p "$WORK"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
rss_of() { grep "Maximum resident set size" "$1" | awk '{print int($NF/1024)}'; }

printf "%-10s %-8s %12s %12s %8s %14s %10s\n" rows format ours_rules_s peer_rules_s ratio ours_rss_mb peer_rss_mb
for rows in $SIZES; do
    data="$WORK/data-$rows"
    if [ ! -f "$data/transactions.parquet" ]; then
        "$BIN" generate --accounts $(( rows / 99 )) --days 90 --seed 1 --out "$data" >/dev/null
        "$BIN" generate --accounts $(( rows / 99 )) --days 90 --seed 1 --format parquet --out "$data" >/dev/null
    fi
    for fmt in $FORMATS; do
        file="$data/transactions.$fmt"
        : >"$WORK/ours-rules" ; : >"$WORK/peer-rules"; ours_rss=0; peer_rss=0
        for _ in $(seq "$RUNS"); do
            /usr/bin/time -v "$BIN" run "$file" --fx "$data/fx.csv" --out "$WORK/rules-out" \
                >/dev/null 2>"$WORK/time.log" || { cat "$WORK/time.log" >&2; exit 2; }
            python3 -c 'import json,sys; print(dict(json.load(open(sys.argv[1]))["stage_seconds"])["rules"])' \
                "$WORK/rules-out/manifest.json" >>"$WORK/ours-rules"
            ours_rss=$(( $(rss_of "$WORK/time.log") > ours_rss ? $(rss_of "$WORK/time.log") : ours_rss ))
            /usr/bin/time -v python3 "$PEER" "$file" "$WORK/peer-alerts.csv" >"$WORK/peer.out" 2>"$WORK/time.log" \
                || { cat "$WORK/time.log" >&2; exit 2; }
            python3 -c 'import ast,sys; t=open(sys.argv[1]).read().split("seconds per rule:")[1]; print(sum(ast.literal_eval(t.strip()).values()))' \
                "$WORK/peer.out" >>"$WORK/peer-rules"
            peer_rss=$(( $(rss_of "$WORK/time.log") > peer_rss ? $(rss_of "$WORK/time.log") : peer_rss ))
        done
        ours=$(median <"$WORK/ours-rules"); peer=$(median <"$WORK/peer-rules")
        printf "%-10s %-8s %12.3f %12.3f %8.2f %14s %10s\n" "$rows" "$fmt" "$ours" "$peer" \
            "$(echo "$ours / $peer" | bc -l)" "$ours_rss" "$peer_rss"
    done
done
