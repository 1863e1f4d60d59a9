#!/usr/bin/env python3
# Bench data for `rescreen` (issue #23): python3 scripts/rescreen-bench-data.py OFAC_DIR CUSTOMERS.csv OUT_DIR
# Builds two versions of the OFAC SDN list (sdn/alt/add) that differ in 200 entries
# (70 added, 60 removed, 70 changed), and a copy of the 1M-customer file in which 100
# customers carry the names of delta entries (so that the delta has hits to find).
import csv, os, random, shutil, sys
src = sys.argv[1]; customers = sys.argv[2]; out = sys.argv[3]
rng = random.Random(23)
def read(name):
    with open(os.path.join(src, name), newline='', encoding='utf-8') as f:
        return list(csv.reader(f))
sdn, alt, add = read('sdn.csv'), read('alt.csv'), read('add.csv')
ids = [r[0] for r in sdn if r and r[0].strip().isdigit()]
picked = rng.sample(ids, 200)
added, removed, changed = set(picked[:70]), set(picked[70:130]), set(picked[130:])
def write(dirname, drop, change):
    os.makedirs(os.path.join(out, dirname), exist_ok=True)
    for name, rows in (('sdn.csv', sdn), ('alt.csv', alt), ('add.csv', add)):
        with open(os.path.join(out, dirname, name), 'w', newline='', encoding='utf-8') as f:
            w = csv.writer(f, lineterminator='\n')
            for r in rows:
                if r and r[0] in drop:
                    continue
                if name == 'sdn.csv' and r and r[0] in change:
                    r = list(r)
                    # the old version spelled the name differently: one letter doubled
                    n = r[1]; k = len(n) // 2
                    r[1] = n[:k] + n[k] + n[k:]
                w.writerow(r)
# NEW lacks the removed entries; OLD lacks the added ones and spells the changed ones differently
write('new', removed, set())
write('old', added, changed)
names = {r[0]: r[1] for r in sdn if r and r[0] in added | removed | changed}
hit_names = [names[i] for i in sorted(names)][:100]
with open(customers, newline='', encoding='utf-8') as f, \
     open(os.path.join(out, 'customers.csv'), 'w', newline='', encoding='utf-8') as g:
    r = csv.reader(f); w = csv.writer(g, lineterminator='\n')
    header = next(r); w.writerow(header)
    for k, row in enumerate(r):
        if k % 10000 == 5000 and hit_names:
            row[2] = hit_names.pop(); row[4] = ''
        w.writerow(row)
