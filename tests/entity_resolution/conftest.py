"""Fixtures of the entity-resolution tests: paths of the real-data copies, a KBO dump folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REALWORLD = Path(__file__).parent.parent / "fixtures" / "realworld"
KBO_ROWS = REALWORLD / "kbo_opendata_rows_2025"
KBO_DIRTY = REALWORLD / "kbo_dirty_Yamnyr" / "kbo_enterprise_sample_Yamnyr.csv"
DNB = REALWORLD / "dnb_name_matching"


@pytest.fixture
def kbo_dump(tmp_path: Path) -> Path:
    """The real KBO Open Data rows laid out as a dump folder (code_excerpt.csv → code.csv)."""
    dump = tmp_path / "KboOpenData_0136_2025_05_Full"
    dump.mkdir()
    for f in KBO_ROWS.glob("*.csv"):
        target = "code.csv" if f.name == "code_excerpt.csv" else f.name
        shutil.copyfile(f, dump / target)
    return dump


@pytest.fixture
def kbo_dirty_csv() -> Path:
    """The real enterprise.csv rows after careless spreadsheet processing."""
    return KBO_DIRTY


@pytest.fixture
def dnb_dir() -> Path:
    """DeNederlandscheBank/name_matching's labelled name pairs."""
    return DNB


@pytest.fixture
def patstat_dir() -> Path:
    """dedupe-examples' Dutch patent-applicant clusters (reference file only)."""
    return REALWORLD / "dedupe_patstat_nl"


@pytest.fixture
def fodors_zagat_dir() -> Path:
    """Magellan's Fodors-Zagat restaurants and their gold matches."""
    return REALWORLD / "magellan_fodors_zagats"
