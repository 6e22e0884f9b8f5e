"""Routes of the triage workbench (bulk, assignment, comments, change feed) and API tokens."""

from __future__ import annotations

from tests.review.matrix import Case

CASES: list[Case] = [
    Case("POST", "/signals/bulk", "triage", lambda i: "/signals/bulk",
         lambda i: {"signal_id": [i.world.signal_ids["foreign_vat"]], "action": "assign",
                    "assignee": "@me"}),
    Case("POST", "/signals/bulk", "decide", lambda i: "/signals/bulk",
         lambda i: {"signal_id": [i.world.signal_ids["foreign_vat"]], "action": "dismiss",
                    "reason": "duplicate"}),
    Case("POST", "/signals/{signal_id}/assign", "triage",
         lambda i: f"/signals/{i.world.signal_id}/assign", lambda i: {"assignee": "@me"}),
    Case("POST", "/signals/{signal_id}/comments", "triage",
         lambda i: f"/signals/{i.world.signal_id}/comments", lambda i: {"text": "checked"}),
    Case("POST", "/api/signals/bulk", "triage", lambda i: "/api/signals/bulk",
         lambda i: {"signal_ids": [i.world.signal_ids["low_wage"]], "action": "in_review"}),
    Case("POST", "/api/signals/bulk", "decide", lambda i: "/api/signals/bulk",
         lambda i: {"signal_ids": [i.world.signal_ids["low_wage"]], "action": "dismiss",
                    "reason": "duplicate"}),
    Case("POST", "/api/signals/{signal_id}/assign", "triage",
         lambda i: f"/api/signals/{i.world.signal_id}/assign", lambda i: {"assignee": None}),
    Case("GET", "/api/signals/{signal_id}/comments", "view",
         lambda i: f"/api/signals/{i.world.signal_id}/comments"),
    Case("POST", "/api/signals/{signal_id}/comments", "triage",
         lambda i: f"/api/signals/{i.world.signal_id}/comments", lambda i: {"text": "api"}),
    Case("GET", "/api/signals/changes", "view", lambda i: "/api/signals/changes?since=0"),
    Case("GET", "/tokens", "view", lambda i: "/tokens"),
    Case("POST", "/tokens", "view", lambda i: "/tokens", lambda i: {"name": "matrix"}),
    Case("POST", "/tokens/{token_id}/revoke", "view", lambda i: "/tokens/1/revoke",
         lambda i: {}),
]
