"""Rebuild the derived data files of this folder from the published sources (not used at run time).

    python entity_resolution/data/build_data.py /work/shared/realdata

- ``elf_legal_forms.csv``: GLEIF ISO 20275 ELF code list v1.4.1 (CC0), rows of the countries
  Vigie meets (BE NL FR DE LU PL RO BG PT ES IT GB), name and abbreviation columns only.
- ``postcodes_be.csv``: NewAgeKBO ``postal-mapping.json`` (MIT): postcode → municipality (NIS,
  NL/FR) → administrative arrondissement (NIS, NL/FR). The judicial district is derived in
  ``geo.py``, not stored.
- ``localities_be.csv``: bpost locality list via jief/zipcode-belgium ``zipcodes_num_fr.csv``:
  postcode, locality name (sub-municipalities too, e.g. 1300 Limal).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
COUNTRIES = {"BE", "NL", "FR", "DE", "LU", "PL", "RO", "BG", "PT", "ES", "IT", "GB"}
ELF_COLUMNS = {
    "ELF Code": "elf_code",
    "Country Code (ISO 3166-1)": "country",
    "Language Code (ISO 639-1)": "language",
    "Entity Legal Form name Local name": "local_name",
    "Entity Legal Form name Transliterated name (per ISO 01-140-10)": "transliterated_name",
    "Abbreviations Local language": "abbreviations",
    "Abbreviations transliterated": "abbreviations_transliterated",
    "ELF Status ACTV/INAC": "status",
}


def build_elf(realdata: Path) -> int:
    src = realdata / "D" / "gleif_elf-codes-1.4.1_opensanctions.csv"
    rows = 0
    with (
        src.open(encoding="utf-8-sig", newline="") as fin,
        (HERE / "elf_legal_forms.csv").open("w", encoding="utf-8", newline="") as fout,
    ):
        writer = csv.writer(fout)
        writer.writerow(ELF_COLUMNS.values())
        for row in csv.DictReader(fin):
            if row["Country Code (ISO 3166-1)"] in COUNTRIES:
                writer.writerow(row[k].strip() for k in ELF_COLUMNS)
                rows += 1
    return rows


def build_postcodes(realdata: Path) -> int:
    data = json.loads((realdata / "E" / "newagekbo" / "postal-mapping.json").read_text("utf-8"))
    with (HERE / "postcodes_be.csv").open("w", encoding="utf-8", newline="") as fout:
        writer = csv.writer(fout)
        writer.writerow(["postcode", "mun_nis", "mun_nl", "mun_fr", "arr_nis", "arr_nl", "arr_fr"])
        for r in sorted(data, key=lambda r: r["postal_code"]):
            writer.writerow(
                [
                    r["postal_code"],
                    r["mun_nis"],
                    r["mun_nl"],
                    r["mun_fr"],
                    r["arr_nis"],
                    r["arr_nl"],
                    r["arr_fr"],
                ]
            )
    return len(data)


def build_localities(realdata: Path) -> int:
    src = realdata / "E" / "jief_zipcode_belgium" / "zipcodes_num_fr.csv"
    rows = 0
    with (
        src.open(encoding="utf-8", newline="") as fin,
        (HERE / "localities_be.csv").open("w", encoding="utf-8", newline="") as fout,
    ):
        writer = csv.writer(fout)
        writer.writerow(["postcode", "locality", "sub_municipality", "province_fr"])
        for row in csv.reader(fin):
            if row and row[0].strip():
                writer.writerow([row[0].strip(), row[1].strip(), row[2].strip(), row[3].strip()])
                rows += 1
    return rows


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/realdata")
    print("elf rows", build_elf(root))
    print("postcodes", build_postcodes(root))
    print("localities", build_localities(root))
