"""The register and batch-matching commands, end to end through the CLI."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

from tests.vigie_cli import run_vigie

KBO = Path(__file__).parents[1] / "fixtures" / "realworld" / "kbo_opendata_rows_2025"


def _vigie(data_dir: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """``vigie ARGS`` on the database ``url`` (default: the data folder's SQLite file)."""
    env = {**os.environ, "VIGIE_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    env.pop("VIGIE_DATABASE_URL", None)
    if url:
        env["VIGIE_DATABASE_URL"] = url
    return run_vigie(list(args), env)


def test_import_kbo_then_match_a_list(tmp_path, databases):
    data = tmp_path / "var"
    url = databases.url(data, migrate=False)
    done = _vigie(data, "register", "import", "kbo", str(KBO), url=url)
    assert done.returncode == 0, done.stderr
    assert "new" in done.stdout
    source = tmp_path / "list.csv"
    source.write_text("firm;nr\nVeneco;200065765.0\n=cmd|' /C calc'!A0;\nNobody Known BV;\n",
                      encoding="cp1252")
    out = tmp_path / "out.csv"
    done = _vigie(data, "match", str(source), "--out", str(out), "--name", "firm",
                  "--number", "nr", url=url)
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert [r["outcome"] for r in rows] == ["match", "none", "none"]
    assert rows[0]["match_id"] == "0200.065.765"
    assert "Enterprise number" in rows[0]["explanation"]
    assert rows[1]["firm"].startswith("'=")  # formula neutralised


def test_register_import_csv_requires_a_name_column(tmp_path):
    listing = tmp_path / "l.csv"
    listing.write_text("a,b\n1,2\n", encoding="utf-8")
    done = _vigie(tmp_path / "var", "register", "import", "csv", str(listing))
    assert done.returncode == 1
    assert "--name" in done.stderr


def test_evaluate_prints_vigie_and_baseline(tmp_path):
    done = _vigie(tmp_path / "var", "evaluate", "--set", "dnb")
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("│ dnb"))
    assert "500" in row
    assert "WRatio ≥" in row  # the baseline's tuned threshold is reported


def test_email_and_website_columns_through_the_cli(tmp_path):
    data = tmp_path / "var"
    employers = tmp_path / "employers.csv"
    employers.write_text("name,mail,site\nPoetsdienst Anna,info@poets-anna.be,"
                         "https://www.facebook.com/PoetsAnna\nKlusjes Ben,,www.klusjesben.be\n",
                         encoding="utf-8")
    done = _vigie(data, "register", "import", "csv", str(employers), "--name", "name",
                  "--email", "mail", "--website", "site")
    assert done.returncode == 0, done.stderr
    assert "2 new" in done.stdout
    wanted = tmp_path / "wanted.csv"
    wanted.write_text("who,mail,web\nA. Poets,INFO@poets-anna.be,\nBen,,klusjesben.be/offerte\n",
                      encoding="utf-8")
    out = tmp_path / "out.csv"
    done = _vigie(data, "match", str(wanted), "--out", str(out), "--name", "who",
                  "--email", "mail", "--website", "web")
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["match_name"] for r in rows] == ["Poetsdienst Anna", "Klusjes Ben"]
    assert "info@poets-anna.be" in rows[0]["explanation"]
    assert "klusjesben.be" in rows[1]["explanation"]
