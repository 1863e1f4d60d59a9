#!/usr/bin/env python3
"""Measures the customer risk rating against a generated data set's labels.

    python3 scripts/rating-eval.py LAB_DIR OUT_DIR

LAB_DIR is a folder written by `amlscreen generate` (labels.csv, lookalikes.csv); OUT_DIR holds
the customers_risk.csv of `amlscreen run ... --customers LAB_DIR/customers.csv`. A customer is
*involved* when it holds an account of a planted instance. Prints the rating's ROC AUC for
telling involved customers from the others, with and without the factor of the run's own alerts,
each factor's AUC alone and how often it applies to involved, clean and look-alike customers,
and the rating levels' make-up.
"""
import bisect
import collections
import csv
import re
import sys


def factor_of(text):
    if "alerts of this run" in text or "alert of this run" in text:
        return "alerts"
    if text.startswith("segment"):
        return "segment"
    if "in cash" in text:
        return "cash"
    if "crossed a border" in text:
        return "cross_border"
    if "declared" in text:
        return "activity"
    if "sanction" in text or "listed" in text or "match" in text:
        return "sanctions"
    return "country"


def auc(scored):
    pos = [s for s, y in scored if y]
    neg = sorted(s for s, y in scored if not y)
    if not pos or not neg:
        return float("nan")
    total = 0.0
    for p in pos:
        lo, hi = bisect.bisect_left(neg, p), bisect.bisect_right(neg, p)
        total += lo + 0.5 * (hi - lo)
    return total / (len(pos) * len(neg))


def main(lab, out):
    involved = set()
    for r in csv.DictReader(open(f"{lab}/labels.csv")):
        involved.update(a for a in re.split(r"[;| ]+", r["accounts"]) if a)
    lookalike = {r["account"] for r in csv.DictReader(open(f"{lab}/lookalikes.csv"))}
    data = []
    for r in csv.DictReader(open(f"{out}/customers_risk.csv")):
        accounts = r["accounts"].split(";")
        points = collections.Counter()
        for m in re.finditer(r"([^;]+?) \(\+(\d+)\)", r["factors"]):
            points[factor_of(m.group(1).strip())] += int(m.group(2))
        data.append(
            (
                any(a in involved for a in accounts),
                any(a in lookalike for a in accounts),
                int(r["score"]),
                points,
                r["level"],
            )
        )
    n_inv = sum(d[0] for d in data)
    n_look = sum(d[1] for d in data)
    print(f"customers {len(data)}, involved {n_inv}, look-alike businesses {n_look}")
    print(f"AUC, whole rating: {auc([(d[2], d[0]) for d in data]):.3f}")
    print(f"AUC, without the run's alerts: {auc([(d[2] - d[3]['alerts'], d[0]) for d in data]):.3f}")
    print("factor        AUC alone  involved  clean   look-alike (share it applies to)")
    for f in ["country", "segment", "cash", "cross_border", "activity", "sanctions", "alerts"]:
        share = lambda sel: sum(1 for d in data if sel(d) and d[3][f]) / max(1, sum(1 for d in data if sel(d)))
        print(
            f"{f:<13} {auc([(d[3][f], d[0]) for d in data]):9.3f}  {share(lambda d: d[0]):8.3f}"
            f"  {share(lambda d: not d[0]):6.3f}  {share(lambda d: d[1]):6.3f}"
        )
    for name, rated in [("level", lambda d: d[4]), ("level without alerts", None)]:
        for level, lo, hi in [("high", 50, 10**9), ("medium", 25, 50), ("low", -1, 25)]:
            if rated:
                group = [d for d in data if d[4] == level]
            else:
                group = [d for d in data if lo <= d[2] - d[3]["alerts"] < hi]
            print(
                f"{name} {level}: {len(group)} customers, {sum(d[0] for d in group)} involved,"
                f" {sum(d[1] for d in group)} look-alike"
            )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
