#!/usr/bin/env python3
"""Brute-force rapidfuzz name-screening peer, exactly as the sanctions part of
../shared/bench/peer_duckdb.py: every listed OFAC sdn.csv primary name and every query name go
through `norm` (NFKD, drop combining marks, lower case, keep [a-z0-9 ], sort tokens), then
`process.cdist(queries, listed, scorer=fuzz.token_sort_ratio, score_cutoff=90, workers=-1)`;
a query is flagged when any listed name reaches the cutoff.

Usage:
  pip install rapidfuzz numpy
  python3 scripts/peer_names.py NAMES_FILE --sdn ../shared/data/watchlists/ofac-sdn-2021/sdn.csv
  python3 scripts/peer_names.py EVAL.csv --sdn .../sdn.csv --eval     # precision/recall too

NAMES_FILE is a CSV with a `name` (or `query`) column, or one name per line. With --eval the
file is the evaluation set written by amlscreen (`query,label,...`, label match/nonmatch).
Prints seconds (screening only, and total) and the number of flagged names.
"""
import argparse
import csv
import re
import sys
import time
import unicodedata


def norm(s):
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = re.sub(r"[^a-z0-9 ]+", " ", s)
    return " ".join(sorted(s.split()))


def read_listed(path):
    listed = []
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        for row in csv.reader(f):
            if len(row) > 1 and row[1] and row[1] != "-0-":
                listed.append(norm(row[1]))
    return listed


def read_names(path):
    """Returns (names, labels); labels is None unless the file has a `label` column."""
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        text = f.read()
    lines = text.splitlines()
    if not lines:
        sys.exit(f"{path}: no names")
    header = next(csv.reader([lines[0]]))
    lowered = [h.strip().lower() for h in header]
    column = next((c for c in ("name", "query") if c in lowered), None)
    if column is None:
        return [l.strip() for l in lines if l.strip()], None
    rows = list(csv.DictReader(text.splitlines(), fieldnames=lowered))[1:]
    names = [r[column] for r in rows if r.get(column)]
    labels = [r.get("label") for r in rows if r.get(column)] if "label" in lowered else None
    return names, labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names")
    ap.add_argument("--sdn", required=True)
    ap.add_argument("--cutoff", type=float, default=90.0)
    ap.add_argument("--eval", action="store_true", help="report precision/recall using the label column")
    a = ap.parse_args()

    from rapidfuzz import fuzz, process
    import numpy as np

    t_start = time.time()
    names, labels = read_names(a.names)
    t0, cpu0 = time.time(), time.process_time()
    listed = read_listed(a.sdn)
    # Distinct names once, as amlscreen does.
    distinct = sorted(set(names))
    queries = [norm(n) for n in distinct]
    hits = process.cdist(queries, listed, scorer=fuzz.token_sort_ratio, score_cutoff=a.cutoff, workers=-1)
    flagged_rows = np.nonzero(hits.max(axis=1) > 0)[0]
    flagged = {distinct[r] for r in flagged_rows}
    t1, cpu1 = time.time(), time.process_time()
    print(f"peer: {len(distinct)} distinct names x {len(listed)} listed names, "
          f"cutoff {a.cutoff:g}: screening {t1 - t0:.2f}s wall, {cpu1 - cpu0:.2f}s CPU, "
          f"total {t1 - t_start:.2f}s, {len(flagged)} flagged")
    if a.eval:
        if labels is None:
            sys.exit("--eval needs a `label` column (match/nonmatch)")
        tp = sum(1 for n, l in zip(names, labels) if l == "match" and n in flagged)
        fp = sum(1 for n, l in zip(names, labels) if l != "match" and n in flagged)
        pos = sum(1 for l in labels if l == "match")
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / pos if pos else 1.0
        print(f"peer eval: {pos} true variants, {len(labels) - pos} non-matches: "
              f"precision {precision:.4f}, recall {recall:.4f} (TP {tp}, FP {fp}, FN {pos - tp})")


if __name__ == "__main__":
    main()
