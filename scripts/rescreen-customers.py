#!/usr/bin/env python3
# A large customer file for the `rescreen` benchmark (issue #23):
#   python3 scripts/rescreen-customers.py SOURCE_CUSTOMERS.csv COUNT OUT.csv
# SOURCE is a customer file written by `amlscreen generate` (its people's given names and
# surnames, its companies' names, its nationalities). The output holds COUNT customers: people
# with a given name, sometimes a second one, and a surname drawn from the source's, a birth
# date and a nationality; one in five is a company whose name is a source company's with its
# first word swapped for another's. Seeded: the same inputs give the same bytes.
import csv, random, sys

source, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(1223)
given, surnames, firms, nationalities = [], [], [], []
with open(source, newline='', encoding='utf-8') as f:
    for row in csv.DictReader(f):
        words = row['name'].split()
        if row['type'] == 'person' and len(words) >= 2:
            given.extend(words[:-1])
            surnames.append(words[-1])
            if row['nationality']:
                nationalities.append(row['nationality'])
        elif row['type'] == 'entity' and len(words) >= 2:
            firms.append(words)
given, surnames = sorted(set(given)), sorted(set(surnames))
firm_heads = sorted({w[0] for w in firms})
firms.sort()
nationalities.sort()
if not (given and surnames and firms and nationalities):
    sys.exit(f'{source}: needs people with nationalities and companies')
header = ['customer_id', 'accounts', 'name', 'type', 'birth_date', 'nationality', 'country',
          'id_numbers', 'segment', 'expected_monthly_volume', 'onboarded']
with open(out, 'w', newline='', encoding='utf-8') as g:
    w = csv.writer(g, lineterminator='\n')
    w.writerow(header)
    for k in range(count):
        cid, account = f'RC-{k:07d}', f'{7000000000 + k}'
        if rng.random() < 0.2:
            words = list(rng.choice(firms))
            words[0] = rng.choice(firm_heads)
            born = f'{rng.randint(1950, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}'
            w.writerow([cid, account, ' '.join(words), 'entity', born, '', 'JM',
                        f'REG-{rng.randint(0, 999999):06d}', 'business',
                        f'{rng.randint(1000, 900000)}.00', '2020-01-01'])
        else:
            names = [rng.choice(given)]
            if rng.random() < 0.4:
                names.append(rng.choice(given))
            names.append(rng.choice(surnames))
            born = f'{rng.randint(1940, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}'
            nat = rng.choice(nationalities)
            w.writerow([cid, account, ' '.join(names), 'person', born, nat, nat,
                        f'P{rng.randint(0, 9999999):07d}', 'retail',
                        f'{rng.randint(500, 20000)}.00', '2015-06-01'])
