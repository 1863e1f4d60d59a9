#!/usr/bin/env bash
# Whole-run benchmark: amlscreen against the DuckDB + rapidfuzz peer and against the floor (a
# Polars read of the same file that computes nothing), on generated data, alternating runs.
#
#   bash scripts/bench.sh                      # 1M rows, CSV and Parquet, 3 runs each
#   SIZES="1000000 10000000" bash scripts/bench.sh
#
# Needs: python3 with duckdb, rapidfuzz, numpy, pyarrow (pip install ...), ../shared (OFAC SDN and
# UN lists, the peer script). Prints median wall seconds, peak RSS and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/amlscreen-target}"
SIZES="${SIZES:-1000000}"
RUNS="${RUNS:-3}"
FORMATS="${FORMATS:-csv parquet}"
SHARED="${SHARED:-../shared}"
WORK="${WORK:-/tmp/amlscreen-bench}"
SDN="$SHARED/data/watchlists/ofac-sdn-2021/sdn.csv"
UN="$SHARED/data/watchlists/un/consolidated.xml"
PEER="$SHARED/bench/peer_duckdb.py"

cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/amlscreen"
mkdir -p "$WORK"

# wall seconds and peak RSS (MB) of one command, as "seconds rss"
measure() {
    local log="$WORK/time.log"
    /usr/bin/time -v "$@" >"$WORK/cmd.out" 2>"$log" || { cat "$log" >&2; exit 2; }
    local wall rss
    wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(grep "Maximum resident set size" "$log" | awk '{print int($NF/1024)}')
    echo "$wall $rss"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf "%-10s %-8s %-10s %10s %10s %10s %10s %10s %10s\n" rows format tool median_s rss_mb vs_peer vs_floor runs ""
for rows in $SIZES; do
    accounts=$(( rows / 99 ))
    data="$WORK/data-$rows"
    if [ ! -f "$data/transactions.csv" ]; then
        # no --watchlist: listed names such as "LTD. ANGLO-CARIBBEAN CO.," hold commas, and the
        # peer's DuckDB CSV sniffer then rejects the (valid, quoted) CSV
        "$BIN" generate --accounts "$accounts" --days 90 --seed 1 --out "$data" >/dev/null
        "$BIN" generate --accounts "$accounts" --days 90 --seed 1 --format parquet --out "$data" >/dev/null
    fi
    for fmt in $FORMATS; do
        file="$data/transactions.$fmt"
        : >"$WORK/ours" ; : >"$WORK/peer" ; : >"$WORK/floor"
        for i in $(seq "$RUNS"); do
            measure "$BIN" run "$file" --fx "$data/fx.csv" --watchlist "$SDN" --watchlist "$UN" --out "$WORK/out-$rows" >>"$WORK/ours"
            measure python3 "$PEER" "$file" "$WORK/peer-alerts.csv" --sdn "$SDN" >>"$WORK/peer"
            measure "$BIN" debug read-floor "$file" >>"$WORK/floor"
        done
        ours=$(awk '{print $1}' "$WORK/ours" | median); ours_rss=$(awk '{print $2}' "$WORK/ours" | sort -n | tail -1)
        peer=$(awk '{print $1}' "$WORK/peer" | median); peer_rss=$(awk '{print $2}' "$WORK/peer" | sort -n | tail -1)
        floor=$(awk '{print $1}' "$WORK/floor" | median); floor_rss=$(awk '{print $2}' "$WORK/floor" | sort -n | tail -1)
        printf "%-10s %-8s %-10s %10.2f %10s %10.2f %10.2f %10s\n" "$rows" "$fmt" amlscreen "$ours" "$ours_rss" "$(echo "$ours / $peer" | bc -l)" "$(echo "$ours / $floor" | bc -l)" "$RUNS"
        printf "%-10s %-8s %-10s %10.2f %10s %10s %10s %10s\n" "$rows" "$fmt" peer "$peer" "$peer_rss" 1.00 "" "$RUNS"
        printf "%-10s %-8s %-10s %10.2f %10s %10s %10s %10s\n" "$rows" "$fmt" floor "$floor" "$floor_rss" "" 1.00 "$RUNS"
    done
done
