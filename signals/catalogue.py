"""The list of rules, for the documentation and the review UI."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from signals.engine import NETWORK_RULES, RECORD_RULES


def _entry(module: ModuleType, kind: str) -> dict[str, Any]:
    doc = (module.__doc__ or "").strip()
    return {
        "rule": module.RULE,
        "severity": module.SEVERITY,
        "version": module.VERSION,
        "kind": kind,
        "description": module.DESCRIPTION,
        "risk": module.RISK,
        "documentation": doc,
    }


def catalogue() -> list[dict[str, Any]]:
    """One entry per rule: id, headline severity, version, record/network, description, the
    MISSION.md risk it serves, and the module's full documentation (data, why, false positives).
    """
    return [_entry(m, "record") for m in RECORD_RULES] + [
        _entry(m, "network") for m in NETWORK_RULES
    ]


def _section(module: ModuleType, kind: str) -> str:
    doc = (module.__doc__ or "").strip()
    return "\n".join([
        f"## `{module.RULE}` ({kind} rule, headline severity **{module.SEVERITY}**, "
        f"version {module.VERSION})",
        "",
        f"{module.DESCRIPTION}",
        "",
        f"- Risk served: {module.RISK}",
        f"- Module: `{module.__name__}`",
        "",
        doc,
        "",
    ])


def catalogue_markdown() -> str:
    """The text of ``signals/CATALOGUE.md``: every registered rule with the risk it serves, the
    data it needs, why it fires, its known false positives and its severity (from the module's
    own documentation, so the catalogue cannot drift from the code)."""
    parts = [
        "# Catalogue of risk indicators",
        "",
        "Generated from the rule modules by `python -m signals.catalogue > signals/CATALOGUE.md`"
        " (a test fails when it is out of date). Severities: **low** (context), **medium** "
        "(worth a look), **high** (worth an inspector's time). Every signal names its facts "
        "and their sources (URL, capture, register page) and links its evidence.",
        "",
        "| rule | kind | severity | risk (MISSION.md) |",
        "|---|---|---|---|",
    ]
    entries = [(m, "record") for m in RECORD_RULES] + [(m, "network") for m in NETWORK_RULES]
    parts += [f"| `{m.RULE}` | {k} | {m.SEVERITY} | {m.RISK} |" for m, k in entries]
    parts.append("")
    parts += [_section(m, k) for m, k in entries]
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover - regeneration helper
    import sys

    sys.stdout.write(catalogue_markdown())
