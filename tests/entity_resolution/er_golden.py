"""Golden pairs: one query against a one-entry register, with the pinned outcome, score
(2 decimals), method and every reason, plus the human ``expect`` when the input has one.
``test_golden.py`` checks them; the inputs are built by ``build_golden_inputs.py``. To
regenerate after a deliberate change (then review the diff line by line):

    .venv/bin/python tests/entity_resolution/build_golden_inputs.py
    .venv/bin/python tests/entity_resolution/er_golden.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from entity_resolution.matcher import Matcher, MatchQuery
from entity_resolution.register import RegisterEntry

GOLDEN = Path(__file__).parent / "golden"


def run_pair(pair: dict[str, Any]) -> dict[str, Any]:
    entry_fields = dict(pair["entry"])
    entry_fields["other_names"] = tuple(entry_fields.get("other_names", ()))
    entry = RegisterEntry(**entry_fields)
    matcher = Matcher([(entry.enterprise_number, entry)])
    found = matcher.match(MatchQuery(**pair["query"]))
    result: dict[str, Any] = {"id": pair["id"], "query": pair["query"], "entry": pair["entry"]}
    if "expect" in pair:  # what a careful human would say; kept to document known misses
        result["expect"] = pair["expect"]
    if not found:
        result.update(outcome="none", score=None, method=None, reasons=[])
        return result
    best = found[0]
    result.update(
        outcome=best.outcome,
        score=round(best.score, 2),
        method=best.method,
        reasons=[[f.name, f.reason] for f in best.explanation],
    )
    return result


def main() -> None:
    pairs = json.loads((GOLDEN / "pairs_input.json").read_text("utf-8"))
    out = [run_pair(p) for p in pairs]
    (GOLDEN / "pairs.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    for r in out:
        print(f"{r['id']:24} {r['outcome']:9} {r['score']}  {r['method']}")


if __name__ == "__main__":
    main()
