#!/usr/bin/env python3
"""Attribute `perf` samples of an amlscreen run to this crate's source lines.

Release builds carry no debug information, and Polars' closures all show up in `perf report` as
`FnMut::call_mut`. Build only this crate with line tables (Polars is not rebuilt), record with
task-clock, then run this script: each sample is charged to the first frame of its inlining
chain that lies in `src/`, or else to the innermost function (a Polars kernel, the allocator).

    cargo build --release --config 'profile.release.package.amlscreen.debug="line-tables-only"'
    perf record -e task-clock -F 1000 -o run.perf target/release/amlscreen run FILE ...
    python3 scripts/perf-by-source.py run.perf target/release/amlscreen [TOP]

Needs perf, readelf and addr2line (binutils).
"""
import collections
import re
import subprocess
import sys


def main():
    data, binary = sys.argv[1], sys.argv[2]
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    run = lambda *cmd, **kw: subprocess.run(cmd, capture_output=True, text=True, **kw).stdout
    # the executable segment: samples are runtime addresses, addr2line wants link addresses
    segment = next(l.split() for l in run("readelf", "-lW", binary).splitlines()
                   if l.strip().startswith("LOAD") and "R E" in l)
    link_minus_file = int(segment[2], 16) - int(segment[1], 16)
    mmap = re.search(r"\[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (0x[0-9a-f]+) [^\]]*\]: r-xp \S*amlscreen",
                     run("perf", "script", "-i", data, "--show-mmap-events"))
    base, size, offset = (int(mmap.group(i), 16) for i in (1, 2, 3))
    total, ours, elsewhere = 0, collections.Counter(), collections.Counter()
    for line in run("perf", "script", "-i", data, "-F", "ip,dso").splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        total += 1
        ip = int(parts[0], 16)
        if "amlscreen" in parts[1] and base <= ip < base + size:
            ours[ip - base + offset + link_minus_file] += 1
        else:
            elsewhere[parts[1]] += 1
    frames, current = {}, None
    listing = run("addr2line", "-f", "-i", "-C", "-a", "-e", binary,
                  input="\n".join(hex(a) for a in ours))
    for line in listing.splitlines():
        if line.startswith("0x"):
            current = int(line, 16)
            frames[current] = []
        else:
            frames[current].append(line)
    charged = collections.Counter()
    for address, count in ours.items():
        lines = frames.get(address, [])
        chain = list(zip(lines[0::2], lines[1::2]))
        own = [(f, l) for f, l in chain if "/src/" in l and "registry" not in l and "/rustc/" not in l]
        key = (own[0][1].split("/src/", 1)[1] if own else (chain[0][0] if chain else "?"))
        charged[key[:150]] += count
    print(f"{total} samples")
    for dso, count in elsewhere.most_common(4):
        print(f"{100 * count / total:5.1f}%  {dso}")
    for key, count in charged.most_common(top):
        print(f"{100 * count / total:5.1f}%  {key}")


if __name__ == "__main__":
    main()
