#!/usr/bin/env python3
"""Where a run's own memory grows: samples the resident set of a command and prints each rise
or fall beside the last log event before it.

    python3 scripts/rss-timeline.py [--every SECONDS] [--step MB] LOG -- amlscreen --log-format json run ...

The command's stderr goes to LOG (give it `--log-format json`, so that every stage and every
cluster step is an event with its time). Printed: seconds since the start, resident MB, the last
event (a stage, a cluster step or a message), for each change of at least `--step` MB (3), then
the exact peak (the kernel's, as `/usr/bin/time -f %M` gives it) and the wall time. The resident
set is read from /proc every `--every` seconds (0.1), so the timeline can miss a short rise.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time


def resident_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def events(log_path):
    found = []
    with open(log_path, errors="replace") as log:
        for line in log:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            fields = event.get("fields", {})
            what = fields.get("stage") or fields.get("step") or fields.get("message", "")
            when = datetime.datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
            found.append((when.timestamp(), str(what)))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=0.1)
    parser.add_argument("--step", type=float, default=3.0)
    parser.add_argument("log")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command after --")
    samples = []
    with open(args.log, "w") as log:
        started = time.time()
        child = subprocess.Popen(command, stderr=log)
        while True:
            # reaped here, not by Popen, so that the child's exact peak comes with it
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid == child.pid:
                break
            kb = resident_kb(child.pid)
            if kb is not None:
                samples.append((time.time(), kb))
            time.sleep(args.every)
    code = os.waitstatus_to_exitcode(status)
    if not samples:
        sys.exit(f"no samples: the command ended at once (exit {code})")
    logged = events(args.log)
    last_mb = 0.0
    for when, kb in samples:
        mb = kb / 1024
        if abs(mb - last_mb) >= args.step:
            before = [what for at, what in logged if at <= when]
            print(f"{when - started:9.1f} s {mb:8.0f} MB  {before[-1] if before else ''}")
            last_mb = mb
    sampled = max(kb for _, kb in samples) / 1024
    # ru_maxrss is in KB on Linux
    print(f"peak {usage.ru_maxrss / 1024:.0f} MB ({sampled:.0f} MB sampled), "
          f"{time.time() - started:.1f} s, exit {code}")
    sys.exit(code)


if __name__ == "__main__":
    main()
