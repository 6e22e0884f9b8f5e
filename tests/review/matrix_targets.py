"""Routes of the monthly target lists."""

from __future__ import annotations

from tests.review.matrix import Case

CASES: list[Case] = [
    Case("GET", "/targets", "view", lambda i: "/targets?month=2024-05"),
    Case("POST", "/targets/export", "export", lambda i: "/targets/export",
         lambda i: {"month": "2024-05", "format": "csv"}),
]
