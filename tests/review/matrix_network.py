"""Routes of the network view (review/routes_network.py)."""

from __future__ import annotations

from tests.review.matrix import Case

CASES: list[Case] = [
    Case("GET", "/network", "view", lambda i: f"/network?employer={i.world.employer_id}"),
    Case("GET", "/api/network", "view", lambda i: f"/api/network?employer={i.world.employer_id}"),
]
