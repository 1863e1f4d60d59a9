#!/usr/bin/env python3
"""Clean-customer alerts per rule and the case ranking of one run, against a generator's labels.

    python3 scripts/alert-quality.py OUT/cases.jsonl LAB/labels.csv

A clean alert is one on an account of no planted instance (its subject or any account in its
`accounts` list). Cases are ranked as the report shows them (score, then case id); a case is
true when one of its subject accounts is planted. Prints the clean alerts (all, and without the
`cash_threshold` reports), precision at 50 and 100 cases, precision at R (R = true cases) and
the step-wise average precision, the same definitions as `amlscreen backtest`. It reads any
run's `cases.jsonl`, so it scores older versions too.
"""
import collections
import csv
import json
import sys


def main(cases_path, labels_path):
    planted = set()
    with open(labels_path, newline="") as f:
        for row in csv.DictReader(f):
            planted.add(row["subject_account"])
            planted.update(a for a in row["accounts"].split(";") if a)
    with open(cases_path) as f:
        cases = [json.loads(line) for line in f if line.strip()]
    per_rule = collections.Counter(
        a["rule_id"]
        for c in cases
        for a in c["alerts"]
        if a["subject_account"] not in planted
    )
    total = sum(per_rule.values())
    print(f"clean alerts {total}, without cash_threshold {total - per_rule.get('cash_threshold', 0)}")
    for rule, n in per_rule.most_common():
        print(f"  {rule:<28} {n}")
    cases.sort(key=lambda c: (-c["score"], c["case_id"]))
    flags = [any(a in planted for a in c["subject"]["accounts"]) for c in cases]
    true = sum(flags)
    seen, ap = 0, 0.0
    for k, flag in enumerate(flags, 1):
        if flag:
            seen += 1
            ap += seen / k

    def at(k):
        return f"{sum(flags[:k]) / k:.3f}" if len(flags) >= k and k > 0 else "-"

    print(
        f"cases {len(cases)}, true {true}; precision@50 {at(50)}, @100 {at(100)}, "
        f"@{true} {at(true)}; average precision {ap / true if true else float('nan'):.4f}"
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
