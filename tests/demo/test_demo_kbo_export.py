"""The demo register as KBO Open Data CSV, in the exact format of the real extract."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from demo.kbo_export import HEADERS, write_kbo_opendata
from demo.world import World

REALWORLD = Path(__file__).parent.parent / "fixtures" / "realworld"

SAMPLE = REALWORLD / "kbo_opendata_rows_2025"
LINE_SHAPES = {  # quoting and number/date formats, checked on the real rows too
    "enterprise": r'"\d{4}\.\d{3}\.\d{3}","AC","\d{3}","2","\d{3}",("\d{3}")?,\d{2}-\d{2}-\d{4}',
    "establishment": r'"2\.\d{3}\.\d{3}\.\d{3}",\d{2}-\d{2}-\d{4},"\d{4}\.\d{3}\.\d{3}"',
    "activity": r'"[\d.]+","00\d","20(03|08|25)","\d{5}","(MAIN|SECO|ANCI)"',
    "denomination": r'"\d{4}\.\d{3}\.\d{3}","[0-4]","00[1-4]","[^"]+"',
}


@pytest.fixture(scope="module")
def exported(world: World, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    directory = tmp_path_factory.mktemp("kbo")
    return directory, write_kbo_opendata(world, directory)


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_header_lines_are_byte_identical(exported: tuple[Path, dict]) -> None:
    directory, _ = exported
    for name in HEADERS:
        real_name = "code_excerpt.csv" if name == "code" else f"{name}.csv"
        real_header = (SAMPLE / real_name).read_bytes().split(b"\n")[0] + b"\n"
        ours = (directory / f"{name}.csv").read_bytes().split(b"\n")[0] + b"\n"
        assert ours == real_header, name
    assert sorted(p.name for p in directory.iterdir()) == sorted(f"{n}.csv" for n in HEADERS)


def test_lines_have_the_real_shapes(exported: tuple[Path, dict]) -> None:
    directory, _ = exported
    for name, shape in LINE_SHAPES.items():
        real_lines = (SAMPLE / f"{name}.csv").read_text(encoding="utf-8").splitlines()[1:]
        ours = (directory / f"{name}.csv").read_text(encoding="utf-8").splitlines()[1:]
        assert real_lines and ours
        for line in real_lines + ours:
            assert re.fullmatch(shape, line), (name, line)
    # absent values are bare, empty strings quoted — as in the real Belgian address rows
    shape = r'"[\d.]+","(REGO|BAET)",,,"\d{4}",("[^"]*",){7}(\d{2}-\d{2}-\d{4})?'
    real_be = [line for line in (SAMPLE / "address.csv").read_text(encoding="utf-8").splitlines()
               if ',"REGO",,,' in line]
    ours = (directory / "address.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(real_be) >= 10
    for line in real_be + ours:
        assert re.fullmatch(shape, line), line
    assert any(re.search(r",\d{2}-\d{2}-\d{4}$", line) for line in real_be + ours)
    assert (directory / "enterprise.csv").read_bytes().endswith(b"\n")
    assert b"\r" not in (directory / "enterprise.csv").read_bytes()


def test_row_counts_are_consistent(world: World, exported: tuple[Path, dict]) -> None:
    directory, counts = exported
    tables = {name: read(directory / f"{name}.csv") for name in HEADERS}
    assert {name: len(rows) for name, rows in tables.items()} == counts
    active = [e for e in world.employers if e.status == "AC"]
    assert len(active) < len(world.employers)  # stopped enterprises are left out
    assert counts["enterprise"] == len(active) == counts["establishment"]
    assert counts["branch"] == 0 and counts["meta"] == 5
    numbers = {r["EnterpriseNumber"] for r in tables["enterprise"]}
    assert {r["Status"] for r in tables["enterprise"]} == {"AC"}
    kinds = Counter(r["TypeOfAddress"] for r in tables["address"])
    assert kinds == {"REGO": len(active), "BAET": len(active)}
    assert {r["EntityNumber"] for r in tables["denomination"]} == numbers
    situations = Counter(r["JuridicalSituation"] for r in tables["enterprise"])
    assert situations["050"] >= 3 and situations["012"] >= 2 and "052" not in situations
    onss = {r["EntityNumber"] for r in tables["activity"] if r["ActivityGroup"] == "006"}
    expected = {e.dotted_number for e in active if e.onss_employer}
    assert onss == expected
    non_onss = {e.dotted_number for e in active if not e.onss_employer}
    assert non_onss and all(
        r["ActivityGroup"] == "001" for r in tables["activity"] if r["EntityNumber"] in non_onss)
    old_forms = [r for r in tables["enterprise"] if r["JuridicalForm"] == "015"]
    assert old_forms and all(r["JuridicalFormCAC"] == "610" for r in old_forms)


def test_codes_are_described(exported: tuple[Path, dict]) -> None:
    directory, _ = exported
    codes = {(r["Category"], r["Code"]) for r in read(directory / "code.csv")}
    for r in read(directory / "enterprise.csv"):
        assert ("JuridicalForm", r["JuridicalForm"]) in codes
        assert ("JuridicalSituation", r["JuridicalSituation"]) in codes
        assert ("Status", r["Status"]) in codes
    for r in read(directory / "activity.csv"):
        assert ("ActivityGroup", r["ActivityGroup"]) in codes
        assert (f"Nace{r['NaceVersion']}", r["NaceCode"]) in codes
    real = {(r["Category"], r["Code"], r["Language"]): r["Description"]
            for r in read(SAMPLE / "code_excerpt.csv")}
    ours = {(r["Category"], r["Code"], r["Language"]): r["Description"]
            for r in read(directory / "code.csv")}
    shared = set(real) & set(ours)
    assert len(shared) >= 20
    assert all(real[k] == ours[k] for k in shared)
