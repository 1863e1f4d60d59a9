#!/usr/bin/env bash
# Nightly benchmark: one day's file run with --state over a 90-day history.
#
#   ACCOUNTS=100000 bash scripts/bench-nightly.sh     # about 10M rows over 90 days
#
# Generates ACCOUNTS x 90 days, loads days 1-89 into a state folder with one run, then times
# (3 runs, each on a fresh copy of that state) the run of day 90 alone: wall seconds and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/amlscreen-target}"
ACCOUNTS="${ACCOUNTS:-10000}"
RUNS="${RUNS:-3}"
WORK="${WORK:-/tmp/amlscreen-nightly-bench}"
SDN="${SDN:-../shared/data/watchlists/ofac-sdn-2021/sdn.csv}"
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/amlscreen"
data="$WORK/data-$ACCOUNTS"
mkdir -p "$WORK"
if [ ! -f "$data/history.csv" ]; then
    "$BIN" generate --accounts "$ACCOUNTS" --days 90 --seed 3 --out "$data" >/dev/null
    last=$(tail -n 1 "$data/transactions.csv" | cut -d, -f2 | cut -c1-10)
    prev=$(date -u -d "$last -1 day" +%Y-%m-%d)
    # the last day is tonight, the day before it last night; everything earlier is the backfill
    awk -F, -v last="$last" -v prev="$prev" -v d="$data" 'NR==1 {print > (d "/history.csv"); print > (d "/lastnight.csv"); print > (d "/tonight.csv"); next}
        substr($2,1,10)==last {print > (d "/tonight.csv"); next}
        substr($2,1,10)==prev {print > (d "/lastnight.csv"); next}
        {print > (d "/history.csv")}' "$data/transactions.csv"
fi
rm -rf "$WORK/state-base"
# backfill in one run (a backfill keeps all its days for one generation), then last night as a
# normal night, which prunes the history to the lookback: the steady state of a nightly job
"$BIN" run "$data/history.csv" --fx "$data/fx.csv" --state "$WORK/state-base" --out "$WORK/out-history" >/dev/null
"$BIN" run "$data/lastnight.csv" --fx "$data/fx.csv" --state "$WORK/state-base" --out "$WORK/out-lastnight" >/dev/null
echo "backfill: $(($(wc -l < "$data/history.csv") - 1)) rows; last night: $(($(wc -l < "$data/lastnight.csv") - 1)); tonight: $(($(wc -l < "$data/tonight.csv") - 1)) rows"
for i in $(seq "$RUNS"); do
    rm -rf "$WORK/state"; cp -a "$WORK/state-base" "$WORK/state"
    /usr/bin/time -v "$BIN" run "$data/tonight.csv" --fx "$data/fx.csv" --watchlist "$SDN" \
        --state "$WORK/state" --out "$WORK/out-tonight" 2>"$WORK/time.log" >/dev/null
    wall=$(grep "Elapsed (wall clock)" "$WORK/time.log" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$WORK/time.log" | awk '{print int($NF/1024)}')
    echo "run $i: wall $wall, peak RSS ${rss} MB"
done
grep -A12 '"nightly"' "$WORK/out-tonight/manifest.json"
