"""Write the demo register as KBO Open Data CSV files, in the official format.

File names, header lines, quoting (text quoted, dates and absent values bare), date format
(dd-mm-yyyy) and number formats ("0123.456.789", establishments "2.xxx.xxx.xxx") follow the real
extract sample in /work/shared/realdata/B/kbo_opendata_sample_rows_2025/. As the KBO cookbook
says, the open data lists *active* entities only: stopped ("ST") enterprises are left out, and
bankrupt (JuridicalSituation 050) or liquidating (012) ones stay in with Status "AC". ONSS
employers are the enterprises with activities of ActivityGroup "006"; the others only have
group "001" (VAT) activities. Foreign firms and unknown businesses are not in the register.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from demo import DemoError
from demo.model import TODAY, DemoEmployer
from demo.numbers import dotted, kbo_phone
from demo.vocab import JURIDICAL_SITUATIONS, LEGAL_FORMS
from demo.world import World

HEADERS = {
    "enterprise": ("EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise",
                   "JuridicalForm", "JuridicalFormCAC", "StartDate"),
    "denomination": ("EntityNumber", "Language", "TypeOfDenomination", "Denomination"),
    "address": ("EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode",
                "MunicipalityNL", "MunicipalityFR", "StreetNL", "StreetFR", "HouseNumber", "Box",
                "ExtraAddressInfo", "DateStrikingOff"),
    "contact": ("EntityNumber", "EntityContact", "ContactType", "Value"),
    "activity": ("EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"),
    "establishment": ("EstablishmentNumber", "StartDate", "EnterpriseNumber"),
    "branch": ("Id", "StartDate", "EnterpriseNumber"),
    "meta": ("Variable", "Value"),
    "code": ("Category", "Code", "Language", "Description"),
}
Cell = str | date | None

_FIXED_CODES: tuple[tuple[str, str, str, str], ...] = (
    ("ActivityGroup", "001", "FR", "Activités TVA"),
    ("ActivityGroup", "001", "NL", "BTW-activiteiten"),
    ("ActivityGroup", "006", "FR", "Activités ONSS"),
    ("ActivityGroup", "006", "NL", "RSZ-activiteiten"),
    ("Classification", "MAIN", "FR", "Activité principale"),
    ("Classification", "MAIN", "NL", "Hoofdactiviteit"),
    ("Classification", "SECO", "FR", "Activité secondaire"),
    ("Classification", "SECO", "NL", "Nevenactiviteit"),
    ("ContactType", "EMAIL", "FR", "Adresse e-mail"),
    ("ContactType", "EMAIL", "NL", "E-mailadres"),
    ("ContactType", "TEL", "FR", "Numéro de téléphone"),
    ("ContactType", "TEL", "NL", "Telefoonnummer"),
    ("ContactType", "WEB", "FR", "Adresse web"),
    ("ContactType", "WEB", "NL", "Webadres"),
    ("EntityContact", "ENT", "FR", "Entreprise"),
    ("EntityContact", "ENT", "NL", "Onderneming"),
    ("Language", "1", "FR", "français"),
    ("Language", "1", "NL", "Frans"),
    ("Language", "2", "FR", "néerlandais"),
    ("Language", "2", "NL", "Nederlands"),
    ("Status", "AC", "FR", "Actif"),
    ("Status", "AC", "NL", "Actief"),
    ("TypeOfAddress", "BAET", "FR", "Unité d'établissement"),
    ("TypeOfAddress", "BAET", "NL", "Vestigingseenheid"),
    ("TypeOfAddress", "REGO", "FR", "Siège"),
    ("TypeOfAddress", "REGO", "NL", "Zetel"),
    ("TypeOfDenomination", "001", "FR", "Dénomination"),
    ("TypeOfDenomination", "001", "NL", "Naam"),
    ("TypeOfDenomination", "002", "FR", "Abréviation"),
    ("TypeOfDenomination", "002", "NL", "Afkorting"),
    ("TypeOfEnterprise", "2", "FR", "Personne morale"),
    ("TypeOfEnterprise", "2", "NL", "Rechtspersoon"),
)


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    return '"' + value.replace('"', '""') + '"'


def _line(values: Sequence[Cell]) -> str:
    return ",".join(_cell(v) for v in values) + "\n"


def header_line(name: str) -> str:
    return ",".join(f'"{h}"' for h in HEADERS[name]) + "\n"


def _enterprise_rows(e: DemoEmployer) -> dict[str, list[tuple[Cell, ...]]]:
    num = dotted(e.enterprise_number)
    est = dotted(e.establishment_number)
    form = LEGAL_FORMS[e.legal_form]
    lang = "1" if e.language == "fr" else "2"
    a = e.address
    rows: dict[str, list[tuple[Cell, ...]]] = {k: [] for k in HEADERS}
    rows["enterprise"].append((num, e.status, e.juridical_situation, "2", form.code,
                               form.cac_code, e.start_date))
    rows["denomination"].append((num, lang, "001", e.name))
    if e.abbreviation:
        rows["denomination"].append((num, lang, "002", e.abbreviation))
    # An ex officio strike-off (e.g. for UBO obligations) shows on kbopub but not in the open
    # data: the real row of 0200.171.970 keeps an empty DateStrikingOff, so does the demo.
    for entity, kind in ((num, "REGO"), (est, "BAET")):
        rows["address"].append((entity, kind, None, None, a.postcode, a.municipality_nl,
                                a.municipality_fr, a.street_nl, a.street_fr, a.house_number,
                                a.box, "", None))
    if e.phone:
        rows["contact"].append((num, "ENT", "TEL", kbo_phone(e.phone)))
    if e.email:
        rows["contact"].append((num, "ENT", "EMAIL", e.email))
    if e.website:
        rows["contact"].append((num, "ENT", "WEB", e.website))
    groups = ["006"] if e.onss_employer else []
    if e.vat_since or not e.onss_employer:
        groups.append("001")
    for group in groups:
        naces = e.nace if group == "001" else e.nace[:1]
        for version in ("2025", "2008"):
            for i, nace in enumerate(naces):
                rows["activity"].append((num, group, version, nace.code,
                                         "MAIN" if i == 0 else "SECO"))
    rows["establishment"].append((est, max(e.start_date, e.address_since), num))
    return rows


def _code_rows(employers: Iterable[DemoEmployer]) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = [tuple(r) for r in _FIXED_CODES]
    forms, situations, naces = set(), set(), {}
    for e in employers:
        form = LEGAL_FORMS[e.legal_form]
        forms.add(form.code)
        if form.cac_code:
            forms.add(form.cac_code)
        situations.add(e.juridical_situation)
        for nace in e.nace:
            naces[nace.code] = nace
    by_code = {f.code: f for f in LEGAL_FORMS.values()}
    for code in sorted(forms):
        rows += [("JuridicalForm", code, "FR", by_code[code].label_fr),
                 ("JuridicalForm", code, "NL", by_code[code].label_nl)]
    for code in sorted(situations):
        fr, nl = JURIDICAL_SITUATIONS[code]
        rows += [("JuridicalSituation", code, "FR", fr), ("JuridicalSituation", code, "NL", nl)]
    for category in ("Nace2008", "Nace2025"):
        for code in sorted(naces):
            rows += [(category, code, "FR", naces[code].label_fr),
                     (category, code, "NL", naces[code].label_nl)]
    return rows


def write_kbo_opendata(world: World, directory: Path) -> dict[str, int]:
    """Write the nine CSV files of a full extract into ``directory``; return rows per file."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DemoError(f"cannot create {directory}: {err}") from err
    active = [e for e in world.employers if e.in_open_data]
    active.sort(key=lambda e: e.enterprise_number)
    tables: dict[str, list[tuple[Cell, ...]]] = {k: [] for k in HEADERS}
    for e in active:
        for name, rows in _enterprise_rows(e).items():
            tables[name].extend(rows)
    tables["establishment"].sort(key=lambda r: str(r[0]))
    tables["meta"] = [("SnapshotDate", TODAY.strftime("%d-%m-%Y")),
                      ("ExtractTimestamp", TODAY.strftime("%d-%m-%Y") + " 07:00:00"),
                      ("ExtractType", "full"), ("ExtractNumber", str(world.seed)),
                      ("Version", "1.0.0")]
    tables["code"] = _code_rows(active)
    counts: dict[str, int] = {}
    for name, rows in tables.items():
        with open(directory / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            fh.write(header_line(name))
            for row in rows:
                fh.write(_line(row))
        counts[name] = len(rows)
    return counts
