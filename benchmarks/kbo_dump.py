"""A fast, deterministic generator of KBO Open Data dumps of any size (for bench_import).

Writes ``enterprise.csv``, ``denomination.csv``, ``address.csv``, ``contact.csv``,
``activity.csv`` and ``code.csv`` in the exact format of the official extract (the real
sample in ``tests/fixtures/realworld/kbo_opendata_rows_2025/``): quoted text, bare dates
``dd-mm-yyyy`` and bare absent values, dotted numbers ``0200.065.765`` with a valid mod-97
check, every file sorted by enterprise number. Per enterprise: a legal name (sometimes also
an abbreviation and a commercial name), a registered seat at a real postcode, a contact for
about half, one to three NACE activities (ONSS group 006 for about a third). Written with
plain string formatting (the csv module is several times slower) so that a million
enterprises take well under a minute.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

from entity_resolution.geo import lookup_postcode
from entity_resolution.register import RegisterEntry

_POSTCODES = (
    "1000",
    "1030",
    "1050",
    "1500",
    "2000",
    "2018",
    "3000",
    "3500",
    "4000",
    "4020",
    "5000",
    "6000",
    "7000",
    "8000",
    "8500",
    "9000",
    "9070",
    "9300",
    "1300",
    "6700",
)
_STREETS = (
    "Rue de la Loi",
    "Kerkstraat",
    "Stationsstraat",
    "Chaussée de Louvain",
    "Dorpsstraat",
    "Avenue Louise",
    "Grote Markt",
    "Rue Haute",
    "Molenstraat",
)
_WORDS = (
    "Bouw",
    "Clean",
    "Trans",
    "Logistics",
    "Horeca",
    "Services",
    "Construct",
    "Techniek",
    "Immo",
    "Consult",
    "Food",
    "Express",
    "Renov",
    "Nettoyage",
    "Market",
    "Invest",
)
_FORMS = ("014", "015", "016", "017", "030", "610", "612", "416", "417")
_NACE = ("41201", "43320", "49410", "56101", "81210", "62010", "47110", "70220", "45201")
_HEADERS = {
    "enterprise": '"EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise",'
    '"JuridicalForm","JuridicalFormCAC","StartDate"',
    "denomination": '"EntityNumber","Language","TypeOfDenomination","Denomination"',
    "address": '"EntityNumber","TypeOfAddress","CountryNL","CountryFR","Zipcode",'
    '"MunicipalityNL","MunicipalityFR","StreetNL","StreetFR","HouseNumber","Box",'
    '"ExtraAddressInfo","DateStrikingOff"',
    "contact": '"EntityNumber","EntityContact","ContactType","Value"',
    "activity": '"EntityNumber","ActivityGroup","NaceVersion","NaceCode","Classification"',
    "code": '"Category","Code","Language","Description"',
}
_CODES = (
    ("ActivityGroup", "001", "FR", "Activités TVA"),
    ("ActivityGroup", "006", "FR", "Activités ONSS"),
    ("JuridicalSituation", "000", "FR", "Situation normale"),
    ("JuridicalSituation", "050", "FR", "Ouverture de faillite"),
    ("JuridicalForm", "014", "FR", "Société anonyme"),
    ("JuridicalForm", "015", "FR", "Société privée à responsabilité limitée"),
    ("JuridicalForm", "610", "FR", "Société à responsabilité limitée"),
)


def enterprise_number(index: int) -> str:
    """The ``index``-th generated enterprise number, dotted (``0200.000.0xx``); increasing."""
    base = 2_000_000 + index  # 8 leading digits: 02000000…, valid first digit 0
    plain = f"{base:08d}{97 - base % 97:02d}"
    return f"{plain[:4]}.{plain[4:7]}.{plain[7:]}"


def write_dump(
    directory: Path, count: int, seed: int = 11, skip: frozenset[int] = frozenset()
) -> Path:
    """Write a dump of ``count`` enterprises into ``directory`` (created); return it.

    Indexes in ``skip`` are left out (to simulate enterprises dropped from a later dump).
    """
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files = {k: (directory / f"{k}.csv").open("w", encoding="utf-8", newline="") for k in _HEADERS}
    try:
        for name, header in _HEADERS.items():
            files[name].write(header + "\r\n")
        files["code"].writelines(f'"{a}","{b}","{c}","{d}"\r\n' for a, b, c, d in _CODES)
        places = {p: lookup_postcode(p) for p in _POSTCODES}
        ent, den, adr, con, act = (
            files[k] for k in ("enterprise", "denomination", "address", "contact", "activity")
        )
        buf: dict[str, list[str]] = {k: [] for k in ("e", "d", "a", "c", "t")}
        for i in range(count):
            r = rng.random()  # drawn before skipping: the others stay the same
            if i in skip:
                continue
            num = enterprise_number(i)
            situation = "050" if r < 0.01 else "000"
            form = _FORMS[i % len(_FORMS)]
            start = f"{1 + i % 28:02d}-{1 + i % 12:02d}-{1950 + i % 75}"
            buf["e"].append(f'"{num}","AC","{situation}","2","{form}",,{start}\r\n')
            w1, w2 = _WORDS[i % 16], _WORDS[(i // 16) % 16]
            buf["d"].append(f'"{num}","2","001","{w1} {w2} {i}"\r\n')
            if r < 0.2:
                buf["d"].append(f'"{num}","2","002","{w1[:3].upper()}{i}"\r\n')
            if 0.2 <= r < 0.35:
                buf["d"].append(f'"{num}","1","003","{w2} & Co {i}"\r\n')
            postcode = _POSTCODES[int(r * 1000) % len(_POSTCODES)]
            place = places[postcode]
            town = (place.municipality_fr if place is not None else None) or "Bruxelles"
            street = _STREETS[i % len(_STREETS)]
            buf["a"].append(
                f'"{num}","REGO",,,"{postcode}","{town}","{town}","{street}","{street}",'
                f'"{1 + i % 200}","","",\r\n'
            )
            if r < 0.3:
                buf["c"].append(f'"{num}","ENT","TEL","02 {i % 1000:03d} {i % 100:02d} 10"\r\n')
            elif r < 0.5:
                buf["c"].append(f'"{num}","ENT","EMAIL","info{i}@example.be"\r\n')
            buf["t"].append(f'"{num}","001","2008","{_NACE[i % 9]}","MAIN"\r\n')
            if r < 0.33:
                buf["t"].append(f'"{num}","006","2025","{_NACE[(i + 3) % 9]}","MAIN"\r\n')
            if r > 0.7:
                buf["t"].append(f'"{num}","001","2025","{_NACE[(i + 5) % 9]}","SECO"\r\n')
            if i % 10_000 == 9_999:
                for key, f in zip("edact", (ent, den, adr, con, act), strict=True):
                    f.writelines(buf[key])
                    buf[key].clear()
        for key, f in zip("edact", (ent, den, adr, con, act), strict=True):
            f.writelines(buf[key])
    finally:
        for f in files.values():
            f.close()
    return directory


# --------------------------------------------------------------------------- padding a dump
_PAD_NACE = ("41201", "43299", "45203", "47111", "49410", "56101", "81210", "96021", "62010")


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _sort_key(line: str) -> str:
    """A data line's entity number, digits only (enterprise 0xxx…, establishment 2.xxx…)."""
    first = line.split(",", 1)[0].strip('"')
    return "".join(ch for ch in first if ch.isdigit())


def pad_dump(directory: Path, entries: Iterable[RegisterEntry]) -> int:
    """Add ``entries`` (e.g. :func:`benchmarks.filler.filler_entries`) to the KBO Open Data
    dump in ``directory`` (written by :func:`demo.kbo_export.write_kbo_opendata`), in the same
    format, every file kept sorted by entity number as the reader expects. Returns how many.

    Per entry: the enterprise (status, juridical situation, legal form code, a start date),
    its name, its seat (postcode and municipality), its phone and e-mail if any, one NACE
    activity in group 006 (ONSS employer) or 001 (VAT only)."""
    from demo.numbers import dotted, kbo_phone
    from demo.vocab import LEGAL_FORMS

    form_codes = {form.label_fr: form.code for form in LEGAL_FORMS.values()}
    rows: dict[str, list[str]] = {k: [] for k in ("enterprise", "denomination", "address",
                                                   "contact", "activity")}
    count = 0
    for i, e in enumerate(entries):
        num = _quoted(dotted(e.enterprise_number))
        form = form_codes.get(e.legal_form or "", "610")
        start = f"{1 + i % 28:02d}-{1 + i % 12:02d}-{1960 + i % 64}"
        rows["enterprise"].append(
            f'{num},"{e.status or "AC"}","{e.juridical_situation or "000"}","2","{form}",,'
            f"{start}\n"
        )
        rows["denomination"].append(f'{num},"1","001",{_quoted(e.name)}\n')
        town = _quoted(e.municipality or "")
        street = _quoted(e.street or "")
        rows["address"].append(
            f'{num},"REGO",,,"{e.postcode or ""}",{town},{town},{street},{street},"","","",\n'
        )
        if e.phone:
            rows["contact"].append(f'{num},"ENT","TEL",{_quoted(kbo_phone(e.phone))}\n')
        if e.email:
            rows["contact"].append(f'{num},"ENT","EMAIL",{_quoted(e.email)}\n')
        group = "006" if e.onss_employer else "001"
        nace = _PAD_NACE[i % len(_PAD_NACE)]
        rows["activity"].append(f'{num},"{group}","2025","{nace}","MAIN"\n')
        count += 1
    for name, added in rows.items():
        path = directory / f"{name}.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            header, *lines = fh.readlines()
        lines += added
        lines.sort(key=_sort_key)  # stable: an entity's own rows keep their order
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write(header)
            fh.writelines(lines)
    return count
