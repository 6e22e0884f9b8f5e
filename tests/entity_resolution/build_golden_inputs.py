"""Build ``golden/pairs_input.json``: the 35 hand-written pairs first (kept as they are), then
about 270 pairs drawn deterministically from the real fixtures and written Belgian variants.

Every generated pair has an ``id`` saying what it tests and an ``expect`` ("match" |
"possible" | "none"): what a careful human would answer. ``test_golden.py`` counts the pinned
outcomes that disagree with ``expect``, so the golden file documents the known misses.

Sources (all under ``tests/fixtures/realworld/``):

- ``kbo_opendata_rows_2025``: real KBO names, abbreviations, seats and phone, against the
  variants an ad writes. Legal forms are grafted onto the real names (the sample rows are
  public bodies without a company form) to test old/new and dotted forms.
- ``dedupe_patstat_nl``: same-cluster pairs (true) and cross-cluster pairs sharing a word
  (false), picked from sorted clusters, every k-th.
- ``dnb_name_matching``: row i of the perturbed file against row i (true) and row i + 1
  (false), every k-th row.

Run, then regenerate the pinned outputs and review the diff::

    .venv/bin/python tests/entity_resolution/build_golden_inputs.py
    .venv/bin/python tests/entity_resolution/er_golden.py
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
REAL = HERE.parent / "fixtures" / "realworld"
HAND_WRITTEN = 35

Pair = dict[str, Any]


def be_number(i: int) -> str:
    """A valid Belgian enterprise number (mod-97 check digits) for synthetic entry ``i``."""
    base = 8_000_000 + i  # 0800xxxxxx: outside the real KBO sample's 0200/0201/0400 range
    return f"0{base:07d}{97 - base % 97:02d}"


def pair(pid: str, query: dict[str, Any], entry: dict[str, Any], expect: str) -> Pair:
    assert expect in {"match", "possible", "none"}, expect
    return {"id": pid, "query": query, "entry": entry, "expect": expect}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- KBO sample rows

# (old form written in the ad, new form in the register, language of the name: 2 NL, 1 FR)
FORM_CHANGES = [
    ("BVBA", "BV"),
    ("B.V.B.A.", "BV"),
    ("bvba", "BV"),
    ("CVBA", "CV"),
    ("C.V.B.A.", "CV"),
    ("NV", "NV"),
    ("N.V.", "NV"),
    ("VZW", "VZW"),
]
FORM_CHANGES_FR = [
    ("SPRL", "SRL"),
    ("s.p.r.l.", "SRL"),
    ("S.P.R.L.", "SRL"),
    ("SCRL", "SC"),
    ("SA", "SA"),
    ("S.A.", "SA"),
    ("ASBL", "ASBL"),
    ("a.s.b.l.", "ASBL"),
]
# ad form that conflicts with the register's form
FORM_CONFLICTS = {"nl": ("NV", "VZW"), "fr": ("SA", "ASBL")}
# a postcode of another district than each seat (seat postcode -> other)
OTHER_DISTRICT = {
    "9070": "3500",
    "9000": "8400",
    "9500": "4000",
    "9520": "2300",
    "1400": "9000",
    "1332": "8000",
    "3290": "6000",
}


def dotted(number: str) -> str:
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


def wrong_check(number: str) -> str:
    check = (int(number[8:]) + 1) % 100
    return number[:8] + f"{check:02d}"


def kbo_pairs() -> list[Pair]:
    root = REAL / "kbo_opendata_rows_2025"
    names: dict[str, dict[str, str]] = defaultdict(dict)
    lang: dict[str, str] = {}
    for row in _csv(root / "denomination.csv"):
        names[row["EntityNumber"]][row["TypeOfDenomination"]] = row["Denomination"]
        if row["TypeOfDenomination"] == "001":
            lang[row["EntityNumber"]] = "fr" if row["Language"] == "1" else "nl"
    seats = {
        r["EntityNumber"]: r for r in _csv(root / "address.csv") if r["TypeOfAddress"] == "REGO"
    }
    phones = {
        r["EntityNumber"]: r["Value"]
        for r in _csv(root / "contact.csv")
        if r["ContactType"] == "TEL"
    }
    out: list[Pair] = []
    for k, dotted_nr in enumerate(sorted(names)):
        nr = dotted_nr.replace(".", "")
        name = names[dotted_nr]["001"]
        abbr = names[dotted_nr].get("002")
        seat = seats[dotted_nr]
        base: dict[str, Any] = {
            "enterprise_number": nr,
            "name": name,
            "postcode": seat["Zipcode"],
            "municipality": seat["MunicipalityNL"],
        }
        if abbr:
            base["other_names"] = [abbr]
        if dotted_nr in phones:
            base["phone"] = phones[dotted_nr]
        p = f"kbo-{nr}"
        forms = FORM_CHANGES_FR if lang[dotted_nr] == "fr" else FORM_CHANGES
        old, new = forms[k % len(forms)]
        with_form = dict(base, name=f"{name} {new}")
        out += [
            pair(f"{p}-upper-case", {"name": name.upper()}, base, "match"),
            pair(
                f"{p}-lower-case-same-postcode",
                {"name": name.lower(), "postcode": seat["Zipcode"]},
                base,
                "match",
            ),
            pair(
                f"{p}-old-form-{old.lower().strip('.')}-vs-{new.lower()}",
                {"name": f"{name} {old}"},
                with_form,
                "match",
            ),
            pair(f"{p}-no-form-in-ad", {"name": name}, with_form, "match"),
            pair(
                f"{p}-number-spaced",
                {"name": name, "number": f"{nr[:4]} {nr[4:7]} {nr[7:]}"},
                base,
                "match",
            ),
            pair(
                f"{p}-number-be-dotted-other-name",
                {"name": "Onze Werkplaats", "number": f"BE {dotted(nr)}"},
                base,
                "match",
            ),
            pair(
                f"{p}-number-wrong-check-other-name",
                {"name": "Onze Werkplaats", "number": f"BE {dotted(wrong_check(nr))}"},
                base,
                "none",
            ),
        ]
        if abbr:
            out.append(pair(f"{p}-abbreviation-002", {"name": abbr}, base, "match"))
        else:
            bad, reg = FORM_CONFLICTS[lang[dotted_nr]]
            out.append(
                pair(
                    f"{p}-legal-form-conflict-{bad.lower()}-vs-{reg.lower()}",
                    {"name": f"{name} {bad}"},
                    dict(base, name=f"{name} {reg}"),
                    "possible",
                )
            )
        if seat["Zipcode"] in OTHER_DISTRICT:
            out.append(
                pair(
                    f"{p}-postcode-other-district",
                    {"name": name, "postcode": OTHER_DISTRICT[seat["Zipcode"]]},
                    base,
                    "match",
                )
            )
        if dotted_nr in phones:
            out.append(
                pair(
                    f"{p}-phone-and-abbreviation",
                    {"name": abbr or name, "phone": phones[dotted_nr]},
                    base,
                    "match",
                )
            )
            out.append(
                pair(
                    f"{p}-phone-absent-entry",
                    {"name": abbr or name, "phone": "0470 99 88 77"},
                    {k2: v for k2, v in base.items() if k2 != "phone"},
                    "match",
                )
            )
    return out


# ---------------------------------------------------------------- PATSTAT clusters

LEGAL_WORDS = {
    "bv",
    "nv",
    "inc",
    "co",
    "gmbh",
    "ltd",
    "corp",
    "company",
    "corporation",
    "the",
    "of",
    "and",
    "ag",
    "sa",
    "limited",
    "llc",
    "plc",
    "kg",
    "de",
    "van",
    "en",
    "und",
    "aktiengesellschaft",
    "holding",
    "b",
    "v",
    "n",
    "s",
    "a",
    "oy",
    "ab",
    "spa",
}


def _words(name: str) -> set[str]:
    return {
        w for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in LEGAL_WORDS and len(w) >= 3
    }


# Same-cluster pairs naming distinct legal entities of one group (a subsidiary, another
# country's company): a careful human would only say "possible". Chosen by reading the names.
PATSTAT_SISTERS = {
    "2219999",
    "2322698",
    "5178357",
    "7885278",
    "10521775",
    "13470090",
    "14473277",
    "25056575",
    "26844752",
    "30984013",
    "36918088",
}
# Cross-cluster pairs whose shared word is the group's brand: "possible", not "none".
PATSTAT_BRANDS = {"dsm", "merck", "philips", "schlumberger", "shell"}


def patstat_pairs(n_true: int = 55, n_false: int = 45) -> list[Pair]:
    clusters: dict[str, set[str]] = defaultdict(set)
    for row in _csv(REAL / "dedupe_patstat_nl" / "patstat_reference.csv"):
        clusters[row["leuven_id"]].add(row["person_name"].strip())
    ids = sorted(clusters, key=int)
    positives: list[Pair] = []
    multi = [c for c in ids if len(clusters[c]) >= 2]
    for c in multi:
        names = sorted(clusters[c])
        positives.append(
            pair(
                f"patstat-same-{c}",
                {"name": names[len(names) // 2]},
                {"enterprise_number": be_number(int(c) % 100_000), "name": names[0]},
                "possible" if c in PATSTAT_SISTERS else "match",
            )
        )
    step = len(positives) / n_true
    positives = [positives[int(i * step)] for i in range(min(n_true, len(positives)))]

    # cross-cluster: names of two clusters sharing a distinctive word
    by_word: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for c in ids:
        for name in sorted(clusters[c]):
            for w in sorted(_words(name)):
                by_word[w].append((c, name))
    candidates: list[Pair] = []
    seen: set[tuple[str, str]] = set()
    for w in sorted(by_word):
        firsts: dict[str, str] = {}
        for c, name in by_word[w]:
            firsts.setdefault(c, name)
        cs = sorted(firsts, key=int)
        for a, b in zip(cs, cs[1:], strict=False):
            if (a, b) in seen:
                continue
            seen.add((a, b))
            candidates.append(
                pair(
                    f"patstat-cross-{a}-{b}-{w}",
                    {"name": firsts[a]},
                    {"enterprise_number": be_number(int(b) % 100_000), "name": firsts[b]},
                    "possible" if w in PATSTAT_BRANDS else "none",
                )
            )
    step = len(candidates) / n_false
    negatives = [candidates[int(i * step)] for i in range(min(n_false, len(candidates)))]
    return positives + negatives


# ---------------------------------------------------------------- DNB pairs


def dnb_pairs(n: int = 30) -> list[Pair]:
    root = REAL / "dnb_name_matching"
    register = _csv(root / "test_names.csv")
    queries = _csv(root / "adjusted_test_names.csv")
    k = len(queries) // n
    out: list[Pair] = []
    for i in range(0, k * n, k):
        q = {"name": queries[i]["company_name"]}
        out.append(
            pair(
                f"dnb-{i}-same-row",
                q,
                {"enterprise_number": be_number(200_000 + i), "name": register[i]["company_name"]},
                "match",
            )
        )
        out.append(
            pair(
                f"dnb-{i}-next-row",
                q,
                {
                    "enterprise_number": be_number(200_000 + i + 1),
                    "name": register[i + 1]["company_name"],
                },
                "none",
            )
        )
    return out


# ---------------------------------------------------------------- hand-made Belgian cases


def _e(i: int, name: str, **kw: Any) -> dict[str, Any]:
    return {"enterprise_number": be_number(300_000 + i), "name": name, **kw}


def belgian_pairs() -> list[Pair]:
    lam = be_number(300_045)
    lambert = {"enterprise_number": lam, "name": "Nettoyages Lambert SRL"}
    cases: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
        # shared generic words only
        (
            "generic-cleaning-services",
            {"name": "Cleaning Services BV"},
            _e(1, "Brussels Cleaning Services BV"),
            "none",
        ),
        (
            "generic-bouw-renovatie",
            {"name": "Bouw & Renovatie BV"},
            _e(2, "Algemene Bouw en Renovatie Antwerpen NV"),
            "none",
        ),
        (
            "generic-transport-logistics",
            {"name": "Transport Logistics SRL"},
            _e(3, "Euro Transport Logistics SA"),
            "none",
        ),
        (
            "generic-nettoyage-service",
            {"name": "Nettoyage Service"},
            _e(4, "Service Nettoyage Bruxellois SRL"),
            "none",
        ),
        (
            "generic-construct-group",
            {"name": "Construct Group"},
            _e(5, "Belgian Construct Group NV"),
            "none",
        ),
        ("generic-interim-plus", {"name": "Interim Plus"}, _e(6, "Plus Interim Gent BV"), "none"),
        # same surname, different trade
        (
            "surname-transport-vs-bouw",
            {"name": "Transport Peeters"},
            _e(7, "Bouw Peeters BV"),
            "none",
        ),
        (
            "surname-schilderwerken-vs-dakwerken",
            {"name": "Schilderwerken Maes"},
            _e(8, "Dakwerken Maes BV"),
            "none",
        ),
        (
            "surname-boulangerie-vs-toiture",
            {"name": "Boulangerie Dubois"},
            _e(9, "Toitures Dubois SRL"),
            "none",
        ),
        (
            "surname-same-trade-word-order",
            {"name": "Elektro Wouters"},
            _e(10, "Wouters Elektro BV"),
            "match",
        ),
        (
            "surname-trade-synonym-nl-fr",
            {"name": "Plafonnage Claes"},
            _e(11, "Pleisterwerken Claes"),
            "possible",
        ),
        # different towns
        (
            "town-jette-vs-mettet",
            {"name": "Garage Central Jette"},
            _e(12, "Garage Central Mettet SRL"),
            "none",
        ),
        (
            "town-gent-vs-genk",
            {"name": "Schoonmaak Vlaanderen Gent"},
            _e(13, "Schoonmaak Vlaanderen Genk"),
            "none",
        ),
        (
            "town-halle-vs-hal-its-french-name",
            {"name": "Bakkerij De Molen Halle"},
            _e(14, "Bakkerij De Molen Hal"),
            "match",
        ),
        (
            "town-same-written-nl-fr",
            {"name": "Garage Moderne Bruxelles"},
            _e(15, "Garage Moderne Brussel"),
            "match",
        ),
        (
            "town-leuven-vs-louvain-la-neuve",
            {"name": "Traiteur Saint-Pierre Louvain-la-Neuve"},
            _e(16, "Traiteur Saint-Pierre Leuven"),
            "none",
        ),
        # initials-only names
        ("initials-same-dotted", {"name": "J.M.V. BV"}, _e(17, "JMV BV"), "match"),
        ("initials-different", {"name": "JMV BV"}, _e(18, "JMB BV"), "none"),
        ("initials-vs-full-name", {"name": "D.V.B. Bouw"}, _e(19, "De Vos Bouw BV"), "possible"),
        ("initials-two-letters", {"name": "AB SRL"}, _e(20, "AC SRL"), "none"),
        # & / en / et / and
        (
            "and-en-vs-ampersand",
            {"name": "Peeters & Zonen"},
            _e(21, "Peeters en Zonen BV"),
            "match",
        ),
        ("and-et-vs-ampersand", {"name": "Martin et Fils"}, _e(22, "Martin & Fils SRL"), "match"),
        ("and-and-vs-en", {"name": "Smits and Partners"}, _e(23, "Smits en Partners"), "match"),
        (
            "and-different-partner",
            {"name": "Janssens & Claes"},
            _e(24, "Janssens & Maes BV"),
            "none",
        ),
        # accents and ligatures
        (
            "accent-oe-ligature",
            {"name": "Œuvres Sociales du Borinage ASBL"},
            _e(25, "Oeuvres Sociales du Borinage ASBL"),
            "match",
        ),
        (
            "accent-dropped",
            {"name": "Societe Generale de Menuiserie"},
            _e(26, "Société Générale de Menuiserie SA"),
            "match",
        ),
        (
            "accent-diaeresis",
            {"name": "Coöperatie Landbouw Kempen"},
            _e(27, "Cooperatie Landbouw Kempen CV"),
            "match",
        ),
        (
            "accent-ss-eszett",
            {"name": "Bäckerei Weiß Eupen"},
            _e(28, "Baeckerei Weiss Eupen"),
            "match",
        ),
        # joined / split names
        (
            "split-vanderhaegen",
            {"name": "Van der Haegen Transport"},
            _e(29, "Vanderhaegen Transport BV"),
            "match",
        ),
        ("split-dewilde", {"name": "De Wilde Tuinaanleg"}, _e(30, "Dewilde Tuinaanleg"), "match"),
        (
            "split-vandenbossche-vs-vandenberghe",
            {"name": "Vanden Bossche Bouw"},
            _e(31, "Vandenberghe Bouw BV"),
            "none",
        ),
        (
            "split-hyphen-saint",
            {"name": "Boucherie St Gilles"},
            _e(32, "Boucherie Saint-Gilles SRL"),
            "match",
        ),
        # foreign VAT numbers (valid) against a Belgian entry
        (
            "foreign-vat-pl-same-name",
            {"name": "Budowa Kowalski", "number": "PL7740001454"},
            _e(33, "Budowa Kowalski BV"),
            "possible",
        ),
        (
            "foreign-vat-ro-other-name",
            {"name": "Constructii Popescu", "number": "RO18547290"},
            _e(34, "Bouwbedrijf Peeters BV"),
            "none",
        ),
        (
            "foreign-vat-bg-same-name",
            {"name": "Stroitel Ivanov", "number": "BG175074752"},
            _e(35, "Stroitel Ivanov SRL"),
            "possible",
        ),
        (
            "foreign-vat-pt-other-name",
            {"name": "Limpezas Silva", "number": "PT501964843"},
            _e(36, "Schoonmaak Silva BV"),
            "none",
        ),
        (
            "foreign-vat-ro-in-text",
            {
                "name": "Transport Ionescu",
                "text": "Angajator: Transport Ionescu SRL, CUI RO14399840",
            },
            _e(37, "Transport Ionescu BV"),
            "possible",
        ),
        (
            "foreign-vat-pl-generic-name",
            {"name": "Construction Services", "number": "VAT PL5261040828"},
            _e(38, "Construction Services Belgium BV"),
            "none",
        ),
        # person-named sole traders
        ("person-surname-first", {"name": "Jansen Pieter"}, _e(39, "Pieter Jansen"), "match"),
        ("person-initial", {"name": "P. Jansen"}, _e(40, "Pieter Jansen"), "possible"),
        ("person-other-first-name", {"name": "Marc Jansen"}, _e(41, "Pieter Jansen"), "none"),
        (
            "person-with-trade",
            {"name": "Loodgieter Pieter Jansen"},
            _e(42, "Jansen Pieter"),
            "match",
        ),
        ("person-common-surname-only", {"name": "Dubois"}, _e(43, "Jean Dubois"), "possible"),
        (
            "person-double-surname",
            {"name": "Maria Garcia Lopez"},
            _e(44, "Garcia Lopez Maria"),
            "match",
        ),
        # numbers as ads write them
        (
            "number-tva-prefix",
            {"name": "Nettoyages Lambert", "number": f"TVA BE{dotted(lam)}"},
            lambert,
            "match",
        ),
        (
            "number-btw-no-be",
            {"name": "Lambert", "number": f"BTW {lam[0]} {lam[1:4]} {lam[4:7]} {lam[7:]}"},
            lambert,
            "match",
        ),
        (
            "number-old-nine-digits",
            {"name": "Lambert", "number": dotted(lam)[1:]},
            lambert,
            "match",
        ),
        # phones
        (
            "phone-same-other-name",
            {"name": "Kapsalon Lisa", "phone": "+32 3 234 56 78"},
            _e(46, "Haarmode Lisa BV", phone="03/234.56.78"),
            "match",
        ),
        (
            "phone-differs-same-name",
            {"name": "Kapsalon Lisa", "phone": "03 999 99 99"},
            _e(47, "Kapsalon Lisa BV", phone="03/234.56.78"),
            "match",
        ),
        # postcodes
        (
            "postcode-same-commune-brussels",
            {"name": "Snack Istanbul", "postcode": "1030"},
            _e(48, "Snack Istanbul SRL", postcode="1030"),
            "match",
        ),
        (
            "postcode-other-district-generic",
            {"name": "Frituur Centrum", "postcode": "8000"},
            _e(49, "Frituur Centrum BV", postcode="3500"),
            "possible",
        ),
        # legal forms
        (
            "form-vof-vs-commv",
            {"name": "Bakkerij Van Damme VOF"},
            _e(50, "Bakkerij Van Damme CommV"),
            "possible",
        ),
        (
            "form-sprlu-old",
            {"name": "Menuiserie Leroy SPRLU"},
            _e(51, "Menuiserie Leroy SRL"),
            "match",
        ),
        (
            "form-vzw-vs-asbl",
            {"name": "Jeugdhuis De Schakel VZW"},
            _e(52, "Jeugdhuis De Schakel ASBL"),
            "match",
        ),
        (
            "form-gcv-old",
            {"name": "Dakwerken Mertens Gewone Commanditaire Vennootschap"},
            _e(53, "Dakwerken Mertens CommV"),
            "match",
        ),
        # typos and spelling
        (
            "typo-one-letter",
            {"name": "Schrijnwerkerij Verstraaten"},
            _e(54, "Schrijnwerkerij Verstraeten BV"),
            "match",
        ),
        ("typo-ij-y", {"name": "Bakkery Van Dyck"}, _e(55, "Bakkerij Van Dijck"), "match"),
        ("typo-different-short", {"name": "Garage Luc"}, _e(56, "Garage Lux"), "none"),
        # distinctive word shared, different company
        (
            "brand-shared-different-company",
            {"name": "Atlas Copco Service Center Gent"},
            _e(57, "Atlas Schoonmaak BV"),
            "none",
        ),
        (
            "status-word-in-vereffening",
            {"name": "Bouwbedrijf Claeys in vereffening"},
            _e(58, "Bouwbedrijf Claeys BV"),
            "match",
        ),
        (
            "ad-boilerplate-for-client",
            {"name": "Randstad voor klant Vandemoortele"},
            _e(59, "Vandemoortele NV"),
            "possible",
        ),
        (
            "uppercase-abbreviation-vs-long",
            {"name": "STIB"},
            _e(
                60,
                "Société des Transports Intercommunaux de Bruxelles",
                other_names=["STIB", "MIVB"],
            ),
            "match",
        ),
        # names mistyped word for word (vigie-er/1.4), and what must not read as a typo
        ("mistyped-every-word", {"name": "Claex Smitz"}, _e(61, "Claes Smits BV"), "match"),
        (
            "mistyped-hyphenated",
            {"name": "Boulangerie Dupomt-Lrclercq"},
            _e(62, "Boulangerie Dupont-Leclercq"),
            "match",
        ),
        ("mistyped-digit", {"name": "Deprez Gr0ep"}, _e(63, "Deprez Groep NV"), "match"),
        (
            "mistyped-not-another-surname",
            {"name": "Fatima Bastin"},
            _e(64, "Fatima Martin"),
            "possible",
        ),
        ("mistyped-not-a-short-surname", {"name": "Jan Maes"}, _e(65, "Jan Maas BV"), "none"),
    ]
    return [pair(f"be-{pid}", q, e, exp) for pid, q, e, exp in cases]


def build() -> list[Pair]:
    existing = json.loads((GOLDEN / "pairs_input.json").read_text("utf-8"))
    generated = kbo_pairs() + patstat_pairs() + dnb_pairs() + belgian_pairs()
    pairs = existing[:HAND_WRITTEN] + generated
    ids = [p["id"] for p in pairs]
    assert len(ids) == len(set(ids)), "duplicate ids"
    return pairs


def main() -> None:
    pairs = build()
    (GOLDEN / "pairs_input.json").write_text(
        json.dumps(pairs, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{len(pairs)} pairs written")


if __name__ == "__main__":
    main()
