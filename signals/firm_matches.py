"""Which employer each stored record belongs to, for the network rules, judgements applied.

The batch twin of :func:`signals.context.best_match`: one query for the matches, one for the
judgements, then the same decision per record — a human's negative verdict removes an
employer, a positive one makes it a firm match, otherwise only machine ``match`` outcomes
count (a ``possible`` match is not enough to pin an ad on an employer).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.models import Employer, Judgement, Match, Record


@dataclass(frozen=True)
class FirmMatch:
    """A record firmly tied to an employer, and how (``method``, with ``+judgement`` when a
    human confirmed it)."""

    record: Record
    employer: Employer
    method: str
    score: float


def firm_matches(
    session: Session, kinds: Sequence[str] = ("job_ad", "listing")
) -> dict[int, FirmMatch]:
    """``record id → FirmMatch`` for every record of ``kinds`` with a firm match."""
    rows = session.exec(
        select(Match, Employer, Record)
        .join(Employer, col(Employer.id) == Match.employer_id)
        .join(Record, col(Record.id) == Match.record_id)
        .where(col(Record.kind).in_(list(kinds)))
        .order_by(col(Match.record_id), col(Match.score).desc(), col(Match.id))
    ).all()
    if not rows:
        return {}
    fingerprints = sorted({record.fingerprint for _, _, record in rows})
    verdicts: dict[str, dict[tuple[str, object], str]] = defaultdict(dict)
    for start in range(0, len(fingerprints), 500):
        chunk = fingerprints[start:start + 500]
        for j in session.exec(
            select(Judgement)
            .where(col(Judgement.record_fingerprint).in_(chunk))
            .order_by(col(Judgement.at), col(Judgement.id))
        ):
            if j.employer_id is not None:
                verdicts[j.record_fingerprint][("id", j.employer_id)] = j.verdict
            if j.employer_number:
                verdicts[j.record_fingerprint][("number", j.employer_number)] = j.verdict
    best: dict[int, tuple[int, float, FirmMatch]] = {}
    for match, employer, record in rows:
        mine = verdicts.get(record.fingerprint, {})
        verdict = mine.get(("id", employer.id)) or mine.get(("number", employer.enterprise_number))
        if verdict == "negative" or (verdict != "positive" and match.outcome != "match"):
            continue
        rank = 0 if verdict == "positive" else 1
        method = f"{match.method}+judgement" if verdict == "positive" else match.method
        candidate = (rank, -match.score, FirmMatch(record, employer, method, match.score))
        assert record.id is not None
        if record.id not in best or candidate[:2] < best[record.id][:2]:
            best[record.id] = candidate
    return {record_id: item[2] for record_id, item in best.items()}
