"""The role × route matrix, shared by every part of the review app: each ``matrix_*.py``
module beside this one lists its routes as ``CASES``; ``test_permissions.py`` collects them all
and fails on any route of the app that no module lists. Add your routes in your own module."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Ids:
    world: Any  # tests/review/conftest.py World
    match_id: int
    dossier_id: int
    item_id: int
    engine: Any  # to create rows a case needs (called once per role)


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # the route's template
    permission: str | None  # None: public (no session needed)
    url: Callable[[Ids], str]  # concrete URL
    body: Callable[[Ids], dict[str, Any]] | None = None  # JSON (api) or form data


def status_body(status: str, reason: str = "") -> Callable[[Ids], dict[str, Any]]:
    return lambda i: {"status": status, "reason": reason}


def collect() -> list[Case]:
    """Every ``CASES`` of the ``matrix_*.py`` modules of this folder."""
    cases: list[Case] = []
    for path in sorted(Path(__file__).parent.glob("matrix_*.py")):
        module = importlib.import_module(f"tests.review.{path.stem}")
        cases.extend(module.CASES)
    return cases
