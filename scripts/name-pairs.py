#!/usr/bin/env python3
"""Builds tests/fixtures/name-pairs.csv: labelled person and company name pairs.

Deterministic (fixed seed, inputs read in file order, stdlib only). Sources:

* the OFAC SDN list (legacy CSV, sdn.csv and alt.csv): an entry's primary name against its own
  listed aka/fka spellings gives real variants (transliteration, dropped or added middle names,
  concatenation); primary names of DIFFERENT entries sharing a surname, a given name or a
  company word give hard non-matches;
* hand-written tables of public knowledge below: common transliterations of given names and
  surnames, legal-form spellings, usual company-word abbreviations, name particles that are
  written joined or apart.

Usage: scripts/name-pairs.py [--ofac DIR] [--out FILE]
(defaults: /work/shared/data/watchlists/ofac-sdn-2021, tests/fixtures/name-pairs.csv)

A held-out set is built the same way from the UN Security Council consolidated list (its
individuals' and entities' names and aliases) instead of OFAC:

    scripts/name-pairs.py --un /work/shared/data/watchlists/un/consolidated.xml \
        --out tests/fixtures/name-pairs-un.csv

UN names of persons are written in order (`FIRST SECOND THIRD`), without a comma: `right` keeps
them so, and for the generation their last word is taken as the surname.

Columns: left,right,kind,match,category,source. `right` is written as the list writes it
(`SURNAME, Given` for OFAC persons); `left` is the name as a customer record might hold it.
"""

import argparse
import csv
import difflib
import random
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET

SEED = 20261206

# Public transliteration variants of common given names and surnames (Arabic, Persian, Russian,
# Ukrainian, Chinese, Korean and Spanish/Portuguese spellings). Each row lists spellings of one
# name; any two of them are variants.
TRANSLITERATIONS = [
    ["MUHAMMAD", "MOHAMMED", "MOHAMED", "MOHAMMAD", "MUHAMMED", "MOHAMAD", "MUHAMED"],
    ["AHMAD", "AHMED", "AHMET"],
    ["YUSUF", "YOUSSEF", "YOUSEF", "YUSEF", "YOUSIF"],
    ["HUSSEIN", "HUSSAIN", "HUSAYN", "HOSSEIN", "HUSEIN"],
    ["HASSAN", "HASAN", "HACEN"],
    ["OSAMA", "USAMA", "OUSSAMA"],
    ["OMAR", "UMAR", "OMER"],
    ["KHALED", "KHALID", "KHALIDE"],
    ["MAHMOUD", "MAHMUD", "MAHMOOD"],
    ["MUSTAFA", "MOSTAFA", "MUSTAPHA"],
    ["ABDULLAH", "ABDALLAH", "ABDULLA"],
    ["IBRAHIM", "EBRAHIM", "IBRAHEEM"],
    ["ISMAIL", "ISMAEL", "ESMAIL"],
    ["YAHYA", "YAHIA", "YEHIA"],
    ["SAEED", "SAID", "SAID", "SAIED"],
    ["HAMID", "HAMED", "HAMEED"],
    ["MAJID", "MAJED", "MAJEED"],
    ["RASHID", "RASHED", "RACHID"],
    ["SULEIMAN", "SULAYMAN", "SOLIMAN", "SULEYMAN"],
    ["ABDELKADER", "ABDULQADIR", "ABDELQADER"],
    ["FAISAL", "FAYSAL", "FEISAL"],
    ["JAMAL", "GAMAL", "DJAMAL"],
    ["QASIM", "KASSEM", "QASSEM", "KASIM"],
    ["NASSER", "NASIR", "NASER"],
    ["ZAKARIYA", "ZAKARIA", "ZAKARIYYA"],
    ["ALEKSANDR", "ALEXANDER", "ALEKSANDER", "OLEKSANDR"],
    ["SERGEI", "SERGEY", "SERHIY", "SERGUEI"],
    ["YURI", "YURIY", "IURII", "YURIJ"],
    ["DMITRI", "DMITRY", "DMITRIY", "DMYTRO"],
    ["ANDREI", "ANDREY", "ANDRIY"],
    ["ALEKSEI", "ALEXEY", "ALEKSEY", "OLEKSIY"],
    ["MIKHAIL", "MIKHAYLO", "MYKHAILO"],
    ["VIKTOR", "VICTOR"],
    ["YEVGENIY", "EVGENY", "YEVHEN", "EVGENII"],
    ["NIKOLAI", "NIKOLAY", "MYKOLA"],
    ["GENNADY", "GENNADIY", "GENADIJ"],
    ["VALERY", "VALERIY", "VALERII"],
    ["ARKADY", "ARKADIY", "ARKADII"],
    ["KONSTANTIN", "CONSTANTINE", "KOSTIANTYN"],
    ["ALEKSEYEV", "ALEXEEV", "ALEKSEEV"],
    ["KOVALENKO", "KOVALENKA"],
    ["TCHAIKOVSKY", "CHAIKOVSKY", "TSCHAIKOWSKY"],
    ["ZHANG", "CHANG"],
    ["XIAO", "HSIAO"],
    ["ZHOU", "CHOU"],
    ["LI", "LEE"],
    ["PARK", "PAK", "BAK"],
    ["CHOE", "CHOI"],
    ["JOSE", "JOSEPH"],
    ["JORGE", "GEORGE"],
]

# Name particles written joined or apart.
JOINABLE_PREFIXES = ["ABDUL", "ABDEL", "ABD", "AL", "EL", "ABU", "BIN", "BEN", "UL", "UD"]

# Legal-form spellings (short, long, other forms used for the same company type).
LEGAL_FORMS = [
    ["LTD", "LIMITED", "LTD."],
    ["CO", "COMPANY", "CO."],
    ["CORP", "CORPORATION", "CORP."],
    ["INC", "INCORPORATED", "INC."],
    ["LLC", "L.L.C.", "LIMITED LIABILITY COMPANY"],
    ["S.A.", "SA", "SOCIEDAD ANONIMA"],
    ["S.A.R.L.", "SARL"],
    ["GMBH", "G.M.B.H.", "GESELLSCHAFT MIT BESCHRAENKTER HAFTUNG"],
    ["JSC", "JOINT STOCK COMPANY", "AO"],
    ["OOO", "LLC", "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU"],
    ["PJSC", "PUBLIC JOINT STOCK COMPANY", "PAO"],
    ["FZE", "FREE ZONE ESTABLISHMENT"],
    ["FZCO", "FREE ZONE COMPANY"],
    ["PLC", "PUBLIC LIMITED COMPANY"],
    ["PTE LTD", "PRIVATE LIMITED", "PTE. LTD."],
    ["S.R.L.", "SRL"],
    ["C.A.", "COMPANIA ANONIMA"],
    ["S.A. DE C.V.", "SA DE CV"],
]

# Rows appended after issue #23's fixes to the matcher (initials of several given names,
# romanisation variants of the Arabic qaf and dhal and of Korean initials, Russian and Ukrainian
# legal forms): OFAC only, after every row above and with their own random stream, so the rows
# above are unchanged. Built after the fixes: they check them, and are not held out.

# Public romanisations of names, each row one name: the Arabic qaf written Q, G or K (and the
# Persian GH), the dhal or dad written DH, DD or D, Korean initials G or K, the French OU and the
# Turkish H for KH. Any two spellings of a row are variants.
ROMANISATIONS = [
    ["QADHAFI", "GADDAFI", "KADHAFI", "GADHAFI", "QADDAFI"],
    ["QASIM", "GASIM", "KASIM"],
    ["QASSEM", "GASSEM", "KASSEM"],
    ["QADIR", "GADIR", "KADIR"],
    ["QASEMI", "GHASEMI"],
    ["QAHTANI", "GAHTANI"],
    ["QAYSI", "GAYSI"],
    ["RAMADAN", "RAMADHAN"],
    ["FADIL", "FADHIL"],
    ["FADLI", "FADHLI"],
    ["AWAD", "AWADH"],
    ["MURTADA", "MURTADHA"],
    ["RIAD", "RIADH"],
    ["KIM", "GIM"],
    ["KANG", "GANG"],
    ["KWANG", "GWANG"],
    ["KHALIL", "HALIL"],
    ["YUSUF", "YOUSSOUF"],
    ["NUR", "NOUR"],
]

# Russian and Ukrainian legal forms: short, English and spelled-out forms of one company type.
RUSSIAN_LEGAL_FORMS = [
    ["AO", "JSC", "AKTSIONERNOE OBSHCHESTVO", "JOINT STOCK COMPANY"],
    ["OAO", "OJSC", "OTKRYTOE AKTSIONERNOE OBSHCHESTVO", "OPEN JOINT STOCK COMPANY"],
    ["ZAO", "CJSC", "ZAKRYTOE AKTSIONERNOE OBSHCHESTVO", "CLOSED JOINT STOCK COMPANY"],
    ["PAO", "PJSC", "PUBLICHNOE AKTSIONERNOE OBSHCHESTVO", "PUBLIC JOINT STOCK COMPANY"],
    ["OOO", "LLC", "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU"],
    ["TOV", "LLC", "TOVARYSTVO Z OBMEZHENOYU VIDPOVIDALNISTYU"],
]

# Usual abbreviations of company words (as business registers and payment messages write them).
COMPANY_ABBREVIATIONS = {
    "INTERNATIONAL": "INTL",
    "COMPANY": "CO",
    "CORPORATION": "CORP",
    "TRADING": "TRDG",
    "INDUSTRIES": "INDS",
    "INDUSTRIAL": "INDL",
    "MANAGEMENT": "MGMT",
    "BROTHERS": "BROS",
    "SERVICES": "SVCS",
    "DEVELOPMENT": "DEV",
    "ENGINEERING": "ENGG",
    "TECHNOLOGY": "TECH",
    "TECHNOLOGIES": "TECH",
    "GENERAL": "GEN",
    "NATIONAL": "NATL",
    "ASSOCIATION": "ASSN",
    "INVESTMENT": "INVT",
    "INVESTMENTS": "INVTS",
    "ENTERPRISES": "ENT",
    "ENTERPRISE": "ENT",
    "ESTABLISHMENT": "EST",
    "GROUP": "GRP",
    "SHIPPING": "SHPG",
    "MANUFACTURING": "MFG",
    "ELECTRONICS": "ELEC",
    "PETROLEUM": "PETRO",
    "AIRLINES": "AIRL",
    "EXCHANGE": "EXCH",
    "FOUNDATION": "FDN",
    "INSTITUTE": "INST",
    "DEPARTMENT": "DEPT",
    "CONSTRUCTION": "CONSTR",
    "HOLDING": "HLDG",
    "HOLDINGS": "HLDGS",
    "MARITIME": "MAR",
    "INDUSTRY": "IND",
    "COMMERCIAL": "COMML",
}

# Common given names of several regions, inserted as a middle name the list does not hold.
MIDDLE_NAMES = [
    "Ahmed", "Ali", "Hassan", "Karim", "Omar", "Salim", "Ivanovich", "Petrovich", "Sergeyevich",
    "Maria", "Jose", "Luis", "Antonio", "Jean", "Pierre", "Min", "Wei", "Hyun", "Kumar",
    "Prasad", "Emmanuel", "Joseph", "Abdul", "Yusuf", "Michael", "James", "Carlos", "Elena",
]

WEAK = {
    "AL", "EL", "BIN", "BINT", "IBN", "ABU", "ABD", "DE", "DA", "DI", "DEL", "LA", "VAN", "VON",
    "BEN", "OF", "THE", "AND", "Y", "E", "DOS", "DAS", "DO", "LE", "DU", "UD", "UL",
}
LEGAL_WORDS = {
    "LTD", "LIMITED", "CO", "COMPANY", "CORP", "CORPORATION", "INC", "INCORPORATED", "LLC", "SA",
    "S.A.", "SARL", "S.A.R.L.", "GMBH", "JSC", "OOO", "PJSC", "PAO", "FZE", "FZCO", "PLC", "PTE",
    "SRL", "S.R.L.", "C.A.", "CA", "CV", "C.V.", "DE", "AG", "BV", "NV", "SAL", "S.A.L.", "LTDA",
    "CJSC", "OJSC", "ZAO", "OAO", "SDN", "BHD", "PVT", "FZ", "LLP", "CIA", "AO",
}
LEGAL_LETTERS = {w.replace(".", "") for w in LEGAL_WORDS}
# Words too general to make two companies a hard non-match on their own.
GENERIC_COMPANY_WORDS = LEGAL_WORDS | {
    "AND", "OF", "THE", "FOR", "&", "DE", "DEL", "LA", "EL", "AL", "Y", "E", "DI", "DA", "DO",
}


def fold(text):
    """Upper-case ASCII letters, digits, spaces, commas, dots, hyphens and apostrophes."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\s+", " ", text).strip()
    return text


def letters(text):
    return re.sub(r"[^A-Z0-9]", "", fold(text).upper())


def words(text):
    return [w for w in re.split(r"[\s,]+", fold(text).upper()) if w]


def split_person(listed):
    """`SURNAME, Given Middle` -> (given tokens, surname tokens); None without a comma."""
    if "," not in listed:
        return None
    surname, given = listed.split(",", 1)
    s, g = surname.split(), given.split()
    if not s or not g:
        return None
    return g, s


def natural(listed):
    """`SURNAME, Given` as `Given Surname`."""
    parts = split_person(listed)
    if parts is None:
        return listed
    g, s = parts
    return " ".join(g + s)


def ratio(a, b):
    return difflib.SequenceMatcher(None, letters(a), letters(b)).ratio()


def middle_change(primary, alias):
    """`added` or `dropped` when the alias keeps the primary name's surname and first given name
    and only adds or leaves out middle names; else None."""
    p, a = split_person(primary), split_person(alias)
    if p is None or a is None:
        return None
    (pg, ps), (ag, as_) = p, a
    if [t.upper() for t in ps] != [t.upper() for t in as_] or pg[0].upper() != ag[0].upper():
        return None
    pm, am = [t.upper() for t in pg[1:]], [t.upper() for t in ag[1:]]
    if len(am) > len(pm) and all(t in am for t in pm):
        return "added"
    if len(am) < len(pm) and all(t in pm for t in am):
        return "dropped"
    return None


def clean(name):
    """Drops list annotations (quotes, parentheses) from a listed name."""
    name = re.sub(r"\(.*?\)", "", name)
    name = name.replace('"', "").replace("'", "'")
    return re.sub(r"\s+", " ", name).strip(" ,;")


def read_ofac(folder):
    entries = {}
    order = []
    with open(f"{folder}/sdn.csv", encoding="latin-1", newline="") as f:
        for row in csv.reader(f):
            if len(row) < 3:
                continue
            ent, name, kind = row[0].strip(), clean(row[1]), row[2].strip()
            if kind == "individual":
                kind = "person"
            elif kind == "-0-":
                kind = "entity"
            else:
                continue
            if not name or not name.isascii():
                continue
            entries[ent] = {"id": ent, "name": name, "kind": kind, "aliases": []}
            order.append(ent)
    with open(f"{folder}/alt.csv", encoding="latin-1", newline="") as f:
        for row in csv.reader(f):
            if len(row) < 4 or row[0].strip() not in entries:
                continue
            alias = clean(row[3])
            if alias and alias.isascii():
                entries[row[0].strip()]["aliases"].append((row[2].strip(), alias))
    return [entries[e] for e in order]


def read_un(path):
    """UN consolidated list entries, in file order, in the shape read_ofac gives. A person's name
    is written `LAST, First Second` for the generation (the last word as the surname); `listed`
    keeps the name as the UN writes it, in order."""
    root = ET.parse(path).getroot()
    entries = []
    qualities = {"good": "aka", "a.k.a.": "aka", "f.k.a.": "fka", "low": "low"}
    for section, tag, kind in (("INDIVIDUALS", "INDIVIDUAL", "person"),
                               ("ENTITIES", "ENTITY", "entity")):
        for node in root.find(section).findall(tag):
            parts = [(node.findtext(t) or "").strip()
                     for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
            listed = clean(" ".join(p for p in parts if p))
            if not listed or not listed.isascii():
                continue
            ident = (node.findtext("REFERENCE_NUMBER") or node.findtext("DATAID") or "").strip()

            def shaped(name):
                w = name.split()
                if kind == "person" and len(w) >= 2:
                    return f"{w[-1]}, {' '.join(w[:-1])}"
                return name

            e = {"id": ident, "name": shaped(listed), "listed": listed, "kind": kind,
                 "aliases": []}
            for alias in node.findall(f"{tag}_ALIAS"):
                quality = qualities.get((alias.findtext("QUALITY") or "").strip().lower(), "aka")
                # one ALIAS_NAME may hold several names, `;`-separated
                for text in (alias.findtext("ALIAS_NAME") or "").split(";"):
                    text = clean(text)
                    if text and text.isascii() and "," not in text:
                        e["aliases"].append((quality, shaped(text)))
            entries.append(e)
    return entries


class Builder:
    def __init__(self, listed=None):
        self.rows = []
        self.seen = set()
        # the listed name as the list writes it, by the name used for the generation
        self.listed = listed or {}

    def add(self, left, right, kind, match, category, source):
        right = self.listed.get(right, right)
        left, right = fold(left), fold(right)
        key = (left.upper(), right.upper())
        if not left or not right or key in self.seen or key[0] == key[1]:
            return False
        if letters(left) == letters(right) and category not in ("concatenation", "reordered"):
            return False
        self.seen.add(key)
        self.rows.append([left, right, kind, "true" if match else "false", category, source])
        return True

    def count(self, category, kind=None):
        return sum(
            1 for r in self.rows if r[4] == category and (kind is None or r[2] == kind)
        )


# The list the pairs come from, as sources name it.
LIST_LABEL = "OFAC SDN"


def src(entry, detail=""):
    base = f"{LIST_LABEL} ent {entry['id']}"
    return f"{base}; {detail}" if detail else base


def initial(word):
    """`Isa` -> `I.`, `'Isa` -> `I.`"""
    return next(c for c in word + "X" if c.isalpha()) + "."


def title(name):
    return " ".join(w.capitalize() if w.isalpha() else w for w in name.split())


def typo(word, rng):
    """One keyboard slip in a word of 5+ letters: a dropped, doubled, swapped or replaced letter."""
    neighbours = {
        "A": "S", "S": "D", "D": "F", "E": "R", "R": "T", "I": "O", "O": "P", "N": "M", "M": "N",
        "L": "K", "K": "L", "H": "J", "U": "Y", "T": "R", "B": "V", "G": "H", "Y": "U", "Z": "X",
    }
    i = rng.randrange(1, len(word) - 1)
    how = rng.randrange(4)
    if how == 0:
        return word[:i] + word[i + 1 :]
    if how == 1:
        return word[:i] + word[i] + word[i:]
    if how == 2 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    c = word[i]
    return word[:i] + neighbours.get(c, "E" if c != "E" else "A") + word[i + 1 :]


def build(folder, un=None):
    global LIST_LABEL
    rng = random.Random(SEED)
    if un:
        LIST_LABEL = "UN"
        entries = read_un(un)
    else:
        entries = read_ofac(folder)
    persons = [e for e in entries if e["kind"] == "person" and split_person(e["name"])]
    companies = [e for e in entries if e["kind"] == "entity"]
    b = Builder({e["name"]: e["listed"] for e in entries if "listed" in e})

    # --- positives from the list's own aliases -------------------------------------------------
    from_alias = {}
    for e in persons + companies:
        primary = e["name"]
        for alt_type, alias in e["aliases"]:
            p, a = letters(primary), letters(alias)
            pw, aw = words(primary), words(alias)
            if alias.count(",") > 1:
                continue
            if p == a and len(pw) != len(aw):
                found = ("concatenation", e, alt_type, alias, "written joined or apart")
            elif e["kind"] == "person" and middle_change(primary, alias) == "added":
                found = ("added_middle", e, alt_type, alias, "with more names")
            elif e["kind"] == "person" and middle_change(primary, alias) == "dropped":
                found = ("dropped_middle", e, alt_type, alias, "with fewer names")
            elif (alt_type == "aka" and len(pw) == len(aw) and p != a
                  and "WWW" not in aw[0] and not any(".COM" in t for t in aw)
                  and all(ratio(x, y) >= 0.6 and abs(len(x) - len(y)) <= 3
                          for x, y in zip(pw, aw))
                  and not any(x != y and (letters(x) in LEGAL_LETTERS or letters(y) in LEGAL_LETTERS)
                              for x, y in zip(pw, aw))):
                found = ("transliteration", e, alt_type, alias, "spelled otherwise")
            else:
                continue
            from_alias.setdefault((found[0], e["kind"]), []).append(found)
    alias_quota = {
        ("concatenation", "person"): 30,
        ("concatenation", "entity"): 30,
        ("added_middle", "person"): 40,
        ("dropped_middle", "person"): 40,
        ("transliteration", "person"): 45,
        ("transliteration", "entity"): 25,
    }
    for key in sorted(from_alias):
        found = from_alias[key]
        rng.shuffle(found)
        for category, e, alt_type, alias, how in found:
            if b.count(category, e["kind"]) >= alias_quota.get(key, 0):
                break
            left = natural(alias) if e["kind"] == "person" else alias
            b.add(left, e["name"], e["kind"], True, category,
                  src(e, f"{alt_type} {how} than the primary name" if "names" in how
                      else f"{alt_type} {how}, listed for the same entry"))

    # --- positives from table-driven variants of listed names -----------------------------------
    spelled = {}
    for row in TRANSLITERATIONS:
        for s in row:
            spelled.setdefault(s, [x for x in row if x != s])
    shuffled = persons[:]
    rng.shuffle(shuffled)
    for e in shuffled:
        if b.count("transliteration", "person") >= 75:
            break
        g, s = split_person(e["name"])
        tokens = g + s
        hits = [i for i, t in enumerate(tokens) if t.upper() in spelled]
        if not hits:
            continue
        i = hits[0]
        variant = tokens[:]
        variant[i] = rng.choice(spelled[tokens[i].upper()]).capitalize()
        b.add(title(" ".join(variant)), e["name"], "person", True, "transliteration",
              src(e, f"public transliteration {tokens[i].upper()}/{variant[i].upper()}"))

    # reordered: family name first, as many records and East Asian, Hungarian and official
    # documents write it
    rng.shuffle(shuffled)
    for e in shuffled:
        if b.count("reordered") >= 70:
            break
        g, s = split_person(e["name"])
        if len(g) + len(s) < 2:
            continue
        b.add(title(" ".join(s + g)), e["name"], "person", True, "reordered",
              src(e, "family name first"))

    # dropped and added middle names
    rng.shuffle(shuffled)
    for e in shuffled:
        if b.count("dropped_middle") >= 70:
            break
        g, s = split_person(e["name"])
        if len(g) < 2 or any(t.upper() in WEAK for t in g[1:2]):
            continue
        b.add(title(" ".join([g[0]] + s)), e["name"], "person", True, "dropped_middle",
              src(e, "middle names left out"))
    rng.shuffle(shuffled)
    for e in shuffled:
        if b.count("added_middle") >= 70:
            break
        g, s = split_person(e["name"])
        if len(g) != 1 or len(s) > 2:
            continue
        middle = MIDDLE_NAMES[rng.randrange(len(MIDDLE_NAMES))]
        b.add(title(" ".join([g[0], middle] + s)), e["name"], "person", True, "added_middle",
              src(e, "a middle name the list does not hold"))

    # concatenation of name particles (Abdul Rahman / Abdulrahman, Al Hassan / Alhassan)
    rng.shuffle(shuffled)
    for e in shuffled:
        if b.count("concatenation", "person") >= 45:
            break
        g, s = split_person(e["name"])
        tokens = g + s
        for i in range(len(tokens) - 1):
            t = tokens[i].upper()
            if t in JOINABLE_PREFIXES and len(tokens[i + 1]) > 2:
                joined = tokens[:i] + [tokens[i] + tokens[i + 1].lower()] + tokens[i + 2 :]
                b.add(title(" ".join(joined)), e["name"], "person", True, "concatenation",
                      src(e, "name particle written joined"))
                break
            # only particles that cannot start a given name themselves (Alirio, Eleni)
            m = re.match(r"^(ABDUL|ABDEL|ABU)([A-Z]{3,})$", t)
            if m and len(tokens) > 2:
                split = tokens[:i] + [m.group(1).capitalize(), m.group(2).capitalize()]
                split += tokens[i + 1 :]
                b.add(title(" ".join(split)), e["name"], "person", True, "concatenation",
                      src(e, "joined name particle written apart"))
                break
    comp = companies[:]
    rng.shuffle(comp)
    for e in comp:
        if b.count("concatenation", "entity") >= 35:
            break
        w = e["name"].split()
        core = [i for i, t in enumerate(w) if t.upper().strip(".,") not in GENERIC_COMPANY_WORDS]
        if len(core) < 2 or core[1] != core[0] + 1:
            continue
        i = core[0]
        if not (w[i].isalpha() and w[i + 1].isalpha()):
            continue
        joined = w[:i] + [w[i] + w[i + 1]] + w[i + 2 :]
        b.add(" ".join(joined), e["name"], "entity", True, "concatenation",
              src(e, "two words of the name written as one"))

    # legal forms: another spelling of the same legal form, or the legal form left out
    forms = []
    for row in LEGAL_FORMS:
        for f_ in row:
            forms.append((f_, [x for x in row if x != f_]))
    forms.sort(key=lambda x: -len(x[0]))
    rng.shuffle(comp)
    for e in comp:
        if b.count("legal_form") >= 75:
            break
        name = e["name"]
        for form, others in forms:
            pat = r"(?:^|[\s,])" + re.escape(form) + r"$"
            m = re.search(pat, name.upper())
            if not m:
                continue
            stem = name[: m.start()].rstrip(" ,")
            if len(words(stem)) < 1:
                break
            if rng.randrange(4) == 0:
                b.add(stem, name, "entity", True, "legal_form", src(e, f"legal form {form} left out"))
            else:
                other = rng.choice(others)
                b.add(f"{stem} {other}", name, "entity", True, "legal_form",
                      src(e, f"legal form {form} written {other}"))
            break

    # abbreviations and initials
    rng.shuffle(comp)
    for e in comp:
        if b.count("abbreviation/initials", "entity") >= 40:
            break
        w = e["name"].split()
        idx = [i for i, t in enumerate(w) if t.upper().strip(",.") in COMPANY_ABBREVIATIONS
               and t.upper().strip(",.") not in LEGAL_WORDS]
        if not idx:
            continue
        out = w[:]
        for i in idx:
            out[i] = COMPANY_ABBREVIATIONS[w[i].upper().strip(",.")]
        b.add(" ".join(out), e["name"], "entity", True, "abbreviation/initials",
              src(e, "usual abbreviations of company words"))
    rng.shuffle(shuffled)
    for e in shuffled:
        if b.count("abbreviation/initials", "person") >= 40:
            break
        g, s = split_person(e["name"])
        if len(g) < 2 or any(len(t) < 3 for t in g):
            continue
        if rng.randrange(2):
            out = [g[0]] + [initial(t) for t in g[1:]] + s  # middle names as initials
            how = "middle names as initials"
        else:
            out = [initial(t) for t in g] + s  # given names as initials
            how = "given names as initials"
        b.add(title(" ".join(out)), e["name"], "person", True, "abbreviation/initials", src(e, how))

    # typos: one keyboard slip in the longest word
    pool = shuffled[:90] + comp[:90]
    rng.shuffle(pool)
    for e in pool:
        if b.count("typo", e["kind"]) >= 40:
            continue
        text = natural(e["name"]) if e["kind"] == "person" else e["name"]
        w = text.split()
        long_words = [i for i, t in enumerate(w) if t.isalpha() and len(t) >= 5]
        if not long_words:
            continue
        i = max(long_words, key=lambda k: (len(w[k]), -k))
        w[i] = typo(w[i].upper(), rng)
        out = " ".join(w)
        if e["kind"] == "person":
            out = title(out)
        b.add(out, e["name"], e["kind"], True, "typo", src(e, "one mistyped letter"))

    # --- hard negatives: different entries ------------------------------------------------------
    def different_people(a, c):
        ga, sa = split_person(a["name"])
        gc, sc = split_person(c["name"])
        return ratio(" ".join(ga), " ".join(gc)) < 0.6 or ratio(" ".join(sa), " ".join(sc)) < 0.6

    by_surname, by_given = {}, {}
    for e in persons:
        g, s = split_person(e["name"])
        core_s = [t.upper() for t in s if t.upper() not in WEAK]
        if core_s:
            by_surname.setdefault(core_s[-1], []).append(e)
        if g[0].upper() not in WEAK and len(g[0]) > 2:
            by_given.setdefault(g[0].upper(), []).append(e)

    def pairs_of(groups, category, limit, check, detail):
        keys = sorted(k for k, v in groups.items() if len(v) >= 2)
        rng.shuffle(keys)
        made = 0
        rounds = 0
        while made < limit and rounds < 4:
            for k in keys:
                if made >= limit:
                    break
                members = groups[k]
                a, c = rng.sample(members, 2)
                if a["id"] == c["id"] or not check(a, c):
                    continue
                left = natural(a["name"]) if a["kind"] == "person" else a["name"]
                if a["kind"] == "person":
                    left = title(left)
                if b.add(left, c["name"], a["kind"], False, category,
                         f"{LIST_LABEL} ents {a['id']} and {c['id']}; {detail} {k}"):
                    made += 1
            rounds += 1

    pairs_of(by_surname, "shared_surname", 130,
             lambda a, c: ratio(" ".join(split_person(a["name"])[0]),
                                " ".join(split_person(c["name"])[0])) < 0.6,
             "different people sharing the surname")
    pairs_of(by_given, "shared_given_name", 130,
             lambda a, c: ratio(" ".join(split_person(a["name"])[1]),
                                " ".join(split_person(c["name"])[1])) < 0.6,
             "different people sharing the given name")
    by_word = {}
    for e in companies:
        for t in set(words(e["name"])):
            t = t.strip(".")
            if len(t) >= 4 and t not in GENERIC_COMPANY_WORDS:
                by_word.setdefault(t, []).append(e)
    by_word = {k: v for k, v in by_word.items() if 2 <= len(v) <= 60}

    def different_companies(a, c):
        return ratio(a["name"], c["name"]) < 0.8 and letters(a["name"]) not in letters(c["name"])

    pairs_of(by_word, "similar_company", 150, different_companies,
             "different companies sharing the word")

    made = 0
    while made < 55:
        a, c = rng.sample(persons, 2)
        if different_people(a, c) and b.add(title(natural(a["name"])), c["name"], "person", False,
                                            "unrelated", f"{LIST_LABEL} ents {a['id']} and {c['id']}"):
            made += 1
    made = 0
    while made < 55:
        a, c = rng.sample(companies, 2)
        if different_companies(a, c) and b.add(a["name"], c["name"], "entity", False, "unrelated",
                                               f"{LIST_LABEL} ents {a['id']} and {c['id']}"):
            made += 1
    if not un:
        build_fix_rows(b, persons, companies, by_surname)
    return b.rows


def given_initials(given):
    return [initial(t) for t in given]


def build_fix_rows(b, persons, companies, by_surname):
    """The rows appended after issue #23's fixes (see ROMANISATIONS)."""
    rng = random.Random(SEED + 23)
    shuffled = persons[:]
    rng.shuffle(shuffled)

    # initials of every given name: the person, one initial changed, another person of the
    # surname whose given names start otherwise
    def initials_fit(letters, given):
        """Whether the letters are the first letters of given names, in order."""
        it = iter(t[0].upper() for t in given)
        return all(any(l == g for g in it) for l in letters)

    pos = neg = 0
    for e in shuffled:
        if pos >= 20 and neg >= 20:
            break
        g, s = split_person(e["name"])
        if len(g) < 2 or any(len(t) < 3 or not t[0].isalpha() for t in g):
            continue
        letters_ = [t[0].upper() for t in g]
        if pos < 20 and b.add(title(" ".join(given_initials(g) + s)), e["name"], "person", True,
                              "abbreviation/initials", src(e, "every given name as an initial")):
            pos += 1
            continue
        if neg < 20:
            k = rng.randrange(len(g))
            other = rng.choice([c for c in "BCDFGHJKLMNPRSTVWZ" if c not in letters_])
            changed = given_initials(g)
            changed[k] = other + "."
            if b.add(title(" ".join(changed + s)), e["name"], "person", False, "wrong_initial",
                     src(e, f"every given name as an initial, initial {k + 1} changed")):
                neg += 1
    made = 0
    keys = sorted(k for k, v in by_surname.items() if len(v) >= 2)
    rng.shuffle(keys)
    for k in keys:
        if made >= 20:
            break
        a, c = rng.sample(by_surname[k], 2)
        ga, sa = split_person(a["name"])
        gc, _ = split_person(c["name"])
        if a["id"] == c["id"] or any(not t[0].isalpha() for t in ga):
            continue
        if initials_fit([t[0].upper() for t in ga], gc):
            continue
        if b.add(title(" ".join(given_initials(ga) + sa)), c["name"], "person", False,
                 "shared_surname_initials",
                 f"{LIST_LABEL} ents {a['id']} and {c['id']}; initials of one person's given "
                 f"names, another person of the surname {k}"):
            made += 1

    # romanisations: the person with a name spelled otherwise; another person holding the name
    spelled = {}
    for row in ROMANISATIONS:
        for x in row:
            spelled[x] = [y for y in row if y != x]

    def respelled(name):
        """`name` with its first romanised word written otherwise, and what changed; None when
        it holds none. Words are split on spaces and hyphens, the hyphens kept."""
        parts = re.split(r"([ ,\-]+)", name)
        for i, part in enumerate(parts):
            if part.upper() in spelled:
                other = rng.choice(spelled[part.upper()])
                other = other if part.isupper() else other.capitalize()
                return "".join(parts[:i] + [other] + parts[i + 1 :]), part.upper(), other.upper()
        return None

    holders = {}
    for e in persons:
        for w in re.split(r"[ ,\-]+", e["name"].upper()):
            if w in spelled:
                holders.setdefault(w, []).append(e)
                break
    per_name = {}
    pos = 0
    for e in shuffled:
        if pos >= 30:
            break
        found = respelled(e["name"])
        if not found:
            continue
        variant, was, now = found
        if per_name.get(was, 0) >= 3:
            continue
        if b.add(natural(variant), e["name"], "person", True, "transliteration",
                 src(e, f"romanisation {was}/{now}")):
            per_name[was] = per_name.get(was, 0) + 1
            pos += 1
    made = 0
    names = sorted(holders)
    for _ in range(4):
        for w in names:
            if made >= 30:
                break
            group = holders[w]
            if len(group) < 2:
                continue
            a, c = rng.sample(group, 2)
            if a["id"] == c["id"]:
                continue
            rest_a = [t for t in words(natural(a["name"])) if t != w]
            rest_c = [t for t in words(natural(c["name"])) if t != w]
            if ratio(" ".join(rest_a), " ".join(rest_c)) >= 0.6:
                continue
            found = respelled(a["name"])
            if not found:
                continue
            variant, was, now = found
            if b.add(title(natural(variant)), c["name"], "person", False, "shared_name_romanised",
                     f"{LIST_LABEL} ents {a['id']} and {c['id']}; different people sharing the "
                     f"name {was}, written {now}"):
                made += 1

    # Russian and Ukrainian legal forms written otherwise; another company sharing a word
    forms = []
    for row in RUSSIAN_LEGAL_FORMS:
        for f_ in row:
            forms.append((f_, [x for x in row if x != f_]))
    forms.sort(key=lambda x: -len(x[0]))

    def russian_form(name):
        """(stem, form, other spellings) of a name starting or ending with a Russian or Ukrainian
        legal form (the first of a row, or the row's spelled-out form)."""
        upper = name.upper()
        for form, others in forms:
            if not any(form in (row[0], row[2]) for row in RUSSIAN_LEGAL_FORMS):
                continue
            m = re.search(r"(?:^|[\s,])" + re.escape(form) + r"$", upper)
            if m:
                return name[: m.start()].rstrip(" ,"), form, others
            if upper.startswith(form + " "):
                return name[len(form) + 1 :].strip(" ,"), form, others
        return None

    comp = companies[:]
    rng.shuffle(comp)
    russian = [(e, russian_form(e["name"])) for e in comp]
    russian = [(e, f) for e, f in russian if f and words(f[0])]
    made = 0
    for e, (stem, form, others) in russian:
        if made >= 25:
            break
        other = rng.choice(others)
        left = f"{other} {stem}" if rng.randrange(2) else f"{stem} {other}"
        if b.add(left, e["name"], "entity", True, "legal_form",
                 src(e, f"Russian legal form {form} written {other}")):
            made += 1
    by_word = {}
    for e in companies:
        for t in set(words(e["name"])):
            t = t.strip(".'")
            if len(t) >= 4 and t not in GENERIC_COMPANY_WORDS and not any(
                    t in row or any(t in x.split() for x in row) for row in RUSSIAN_LEGAL_FORMS):
                by_word.setdefault(t, []).append(e)
    by_word = {k: v for k, v in by_word.items() if 2 <= len(v) <= 60}
    made = 0
    for e, (stem, form, others) in russian:
        if made >= 25:
            break
        shared = sorted(t.strip(".'") for t in set(words(stem)) if t.strip(".'") in by_word)
        for t in shared:
            mates = [c for c in by_word[t] if c["id"] != e["id"]
                     and ratio(c["name"], e["name"]) < 0.8
                     and letters(stem) not in letters(c["name"])]
            if not mates:
                continue
            c = mates[rng.randrange(len(mates))]
            other = rng.choice(others)
            if b.add(f"{stem} {other}", c["name"], "entity", False, "similar_company",
                     f"{LIST_LABEL} ents {e['id']} and {c['id']}; different companies sharing "
                     f"the word {t}, legal form {form} written {other}"):
                made += 1
                break


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ofac", default="/work/shared/data/watchlists/ofac-sdn-2021")
    parser.add_argument("--un", help="build from the UN consolidated list XML instead of OFAC")
    parser.add_argument("--out", default="tests/fixtures/name-pairs.csv")
    args = parser.parse_args()
    rows = build(args.ofac, args.un)
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["left", "right", "kind", "match", "category", "source"])
        w.writerows(rows)
    counts = {}
    for r in rows:
        counts[(r[3], r[4], r[2])] = counts.get((r[3], r[4], r[2]), 0) + 1
    for k in sorted(counts):
        print(*k, counts[k], file=sys.stderr)
    positives = sum(1 for r in rows if r[3] == "true")
    print(f"{len(rows)} pairs, {positives} positives", file=sys.stderr)


if __name__ == "__main__":
    main()
