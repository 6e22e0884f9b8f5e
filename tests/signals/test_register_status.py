"""Juridical situations and statuses, as the KBO publishes them (codes and FR/NL/DE labels)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from signals.register_status import classify_situation, status_class

REAL = Path(__file__).parents[1] / "fixtures" / "realworld"


def test_every_situation_in_the_real_code_table_is_read_as_normal_by_code_and_label():
    with open(REAL / "kbo_opendata_codes" / "code_excerpt.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["Category"] == "JuridicalSituation"]
    assert {r["Code"] for r in rows} == {"000", "001", "002"}
    for row in rows:  # codes 000/001/002: normal, creation, prorogation
        assert classify_situation(row["Code"], row["Description"]) == "normal"
        assert classify_situation(None, row["Description"]) == "normal", row["Description"]


def test_real_status_codes_and_labels():
    with open(REAL / "kbo_opendata_codes" / "code_excerpt.csv", encoding="utf-8") as fh:
        statuses = [r for r in csv.DictReader(fh) if r["Category"] == "Status"]
    assert statuses and all(r["Code"] == "AC" for r in statuses)
    for row in statuses:
        assert status_class(row["Code"]) == "active"
        assert status_class(row["Description"]) == "active"  # "Actif", "Actief"


def test_real_dutch_labels_from_scraped_register_pages():
    records = json.loads((REAL / "kbo_tp3" / "kbo_scraped_records_TP3.json").read_text("utf-8"))
    labels = {r["Généralités"].get("Rechtstoestand") for r in records} - {None}
    # The published labels: "Normale toestand" and "Vrijwillige ontbinding – vereffening".
    assert "Normale toestand" in labels
    dissolved = [label for label in labels if "vereffening" in label]
    assert dissolved, labels
    assert classify_situation(None, "Normale toestand") == "normal"
    for label in dissolved:
        assert classify_situation(None, label) == "liquidation"
    statuses = {r["Généralités"].get("Status") for r in records} - {None}
    assert statuses == {"Actief"} and status_class("Actief") == "active"


@pytest.mark.parametrize(
    "code,label,expected",
    [
        ("050", None, "bankruptcy"),
        (None, "Ouverture de faillite", "bankruptcy"),
        (None, "Opening faillissement", "bankruptcy"),
        (None, "Clôture de faillite", "bankruptcy"),
        ("012", None, "liquidation"),
        (None, "Dissolution anticipée - Liquidation (dissolution volontaire)", "liquidation"),
        ("010", None, "dissolution"),
        (None, "Dissolution de plein droit", "dissolution"),
        ("014", "Sluiting van vereffening", "liquidation"),
        (None, "Gerechtelijke reorganisatie", "reorganisation"),
        ("099", None, "other"),
        (None, "Fusion par absorption", "other"),
        (None, None, "unknown"),
        ("0", None, "normal"),  # spreadsheet-stripped "000"
    ],
)
def test_classify_situation(code, label, expected):
    assert classify_situation(code, label) == expected


@pytest.mark.parametrize(
    "status,expected",
    [("AC", "active"), ("ST", "struck_off"), ("Arrêté", "struck_off"),
     ("Stopgezet", "struck_off"), (None, "unknown"), ("??", "unknown")],
)
def test_status_class(status, expected):
    assert status_class(status) == expected
