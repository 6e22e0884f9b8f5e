"""signals/CATALOGUE.md documents every registered rule and is up to date with the modules."""

from __future__ import annotations

from pathlib import Path

from signals.catalogue import catalogue, catalogue_markdown
from signals.engine import NETWORK_RULES, RECORD_RULES

CATALOGUE = Path(__file__).resolve().parents[2] / "signals" / "CATALOGUE.md"


def test_catalogue_file_is_the_generated_one():
    assert CATALOGUE.read_text(encoding="utf-8") == catalogue_markdown(), (
        "signals/CATALOGUE.md is stale: run "
        "`PYTHONPATH=$PWD python -m signals.catalogue > signals/CATALOGUE.md`"
    )


def test_every_registered_rule_is_documented_with_the_four_parts():
    text = CATALOGUE.read_text(encoding="utf-8")
    for module in (*RECORD_RULES, *NETWORK_RULES):
        heading = f"## `{module.RULE}` "
        assert heading in text, f"{module.RULE} missing from CATALOGUE.md"
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        for part in ("Risk served", "Data needed", "Why it fires", "Known false positives"):
            assert part in section, f"{module.RULE}: no '{part}' in its documentation"
        assert f"**{module.SEVERITY}**" in section
        assert module.SEVERITY in ("low", "medium", "high") and module.VERSION


def test_catalogue_entries_match_the_registries():
    assert [e["rule"] for e in catalogue()] == [m.RULE for m in (*RECORD_RULES, *NETWORK_RULES)]
