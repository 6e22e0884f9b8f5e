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
