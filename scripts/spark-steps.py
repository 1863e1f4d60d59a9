#!/usr/bin/env python3
"""Where a Spark run's time went, from its JSON log.

    amlscreen --log-format json run ... --engine spark ... 2> run.log
    python3 scripts/spark-steps.py run.log [TOP]

Reads the `cluster step` events (one per query sent to the cluster: its step and seconds) and
prints the total, the TOP slowest steps (20 by default), and the seconds by kind of step (the
step's text without the rule it names).
"""
import json
import signal
import re
import sys
from collections import defaultdict


def main() -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    steps = []
    with open(sys.argv[1], encoding="utf-8") as log:
        for line in log:
            try:
                fields = json.loads(line).get("fields", {})
            except json.JSONDecodeError:
                continue
            if fields.get("message") == "cluster step":
                steps.append((float(fields["seconds"]), fields["step"]))
    if not steps:
        print(f"{sys.argv[1]}: no `cluster step` events (was the run made with --log-format json and --engine spark?)", file=sys.stderr)
        return 2
    print(f"{len(steps)} cluster steps, {sum(s for s, _ in steps):.1f} s in all")
    print(f"\nslowest {top}:")
    for seconds, step in sorted(steps, reverse=True)[:top]:
        print(f"{seconds:9.2f} s  {step}")
    kinds = defaultdict(lambda: [0, 0.0])
    for seconds, step in steps:
        kind = re.sub(r" (of|for) \S+$", "", step)
        kinds[kind][0] += 1
        kinds[kind][1] += seconds
    print("\nby kind (steps, seconds):")
    for kind, (n, seconds) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
        print(f"{seconds:9.2f} s  {n:4d}  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
