"""Which employer each stored record belongs to, for the network rules, judgements applied.

The batch twin of :func:`signals.context.best_match`: the same decision per record — a
human's negative verdict removes an employer, a positive one makes it a firm match, otherwise
only machine ``match`` outcomes count (a ``possible`` match is not enough to pin an ad on an
employer).

:func:`firm_match_rows` streams the answer as small plain rows, a chunk of records at a time,
so that a close-time pass over a crawl of 100,000 pages holds neither every record nor every
employer in memory; :func:`firm_matches` materialises the records and employers (for a
caller that needs only a few, pass ``record_ids``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.models import Employer, Judgement, Match, Record

CHUNK = 1000  # records per query


@dataclass(frozen=True)
class FirmMatch:
    """A record firmly tied to an employer, and how (``method``, with ``+judgement`` when a
    human confirmed it)."""

    record: Record
    employer: Employer
    method: str
    score: float


@dataclass(frozen=True, slots=True)
class FirmRow:
    """:class:`FirmMatch` as plain values: the record (its id, kind and the capture it was
    last seen in), the employer's id and how the match was made."""

    record_id: int
    kind: str
    capture_id: int | None
    employer_id: int
    method: str
    score: float


Verdicts = dict[str, dict[tuple[str, object], str]]


def _verdicts(session: Session) -> Verdicts:
    """Latest verdict per (record fingerprint, employer id / number): human judgements are
    few, they are read at once."""
    verdicts: Verdicts = defaultdict(dict)
    rows = session.exec(
        select(Judgement.record_fingerprint, Judgement.employer_id, Judgement.employer_number,
               Judgement.verdict).order_by(col(Judgement.at), col(Judgement.id))
    )
    for fingerprint, employer_id, employer_number, verdict in rows:
        if employer_id is not None:
            verdicts[fingerprint][("id", employer_id)] = verdict
        if employer_number:
            verdicts[fingerprint][("number", employer_number)] = verdict
    return verdicts


def _record_chunks(
    session: Session, kinds: Sequence[str], record_ids: Iterable[int] | None
) -> Iterator[list[int]]:
    """The ids of the records of ``kinds`` (or of ``record_ids``), ascending, by chunks."""
    if record_ids is not None:
        ids = sorted(set(record_ids))
        for start in range(0, len(ids), CHUNK):
            yield ids[start:start + CHUNK]
        return
    last = 0
    while True:
        ids = list(session.exec(
            select(Match.record_id).distinct()
            .join(Record, col(Record.id) == Match.record_id)
            .where(col(Record.kind).in_(list(kinds)), col(Match.record_id) > last)
            .order_by(col(Match.record_id)).limit(CHUNK)
        ).all())
        if not ids:
            return
        yield ids
        last = ids[-1]


def firm_match_rows(
    session: Session, kinds: Sequence[str] = ("job_ad", "listing"),
    record_ids: Iterable[int] | None = None,
) -> Iterator[FirmRow]:
    """The firm match of every record of ``kinds`` that has one (only of ``record_ids`` when
    given), in record-id order; a chunk of records in memory at a time."""
    verdicts = _verdicts(session)
    for ids in _record_chunks(session, kinds, record_ids):
        rows = session.exec(
            select(Match.record_id, Match.employer_id, Match.score, Match.method, Match.outcome,
                   Record.kind, Record.fingerprint, Record.last_capture_id, Record.capture_id,
                   Employer.enterprise_number)
            .join(Employer, col(Employer.id) == Match.employer_id)
            .join(Record, col(Record.id) == Match.record_id)
            .where(col(Match.record_id).in_(ids), col(Record.kind).in_(list(kinds)))
            .order_by(col(Match.record_id), col(Match.score).desc(), col(Match.id))
        ).all()
        best: tuple[int, float, FirmRow] | None = None
        for (record_id, employer_id, score, method, outcome, kind, fingerprint, last_capture,
             capture, number) in rows:
            if best is not None and best[2].record_id != record_id:
                yield best[2]
                best = None
            mine = verdicts.get(fingerprint, {})
            verdict = mine.get(("id", employer_id)) or mine.get(("number", number))
            if verdict == "negative" or (verdict != "positive" and outcome != "match"):
                continue
            rank = 0 if verdict == "positive" else 1
            if best is not None and (rank, -score) >= best[:2]:
                continue
            shown = f"{method}+judgement" if verdict == "positive" else method
            best = (rank, -score, FirmRow(record_id, kind, last_capture or capture, employer_id,
                                          shown, score))
        if best is not None:
            yield best[2]


def load_by_id(session: Session, model: type, ids: Iterable[int]) -> dict[int, object]:
    """``id → row`` of ``model`` for ``ids``, a chunk per query."""
    wanted = sorted(set(ids))
    out: dict[int, object] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        for row in session.exec(select(model).where(col(model.id).in_(chunk))):  # type: ignore[attr-defined]
            out[row.id] = row
    return out


def firm_matches(
    session: Session, kinds: Sequence[str] = ("job_ad", "listing"),
    record_ids: Iterable[int] | None = None,
) -> dict[int, FirmMatch]:
    """``record id → FirmMatch`` for every record of ``kinds`` with a firm match (only of
    ``record_ids`` when given), records and employers loaded."""
    rows = list(firm_match_rows(session, kinds, record_ids))
    records = load_by_id(session, Record, (r.record_id for r in rows))
    employers = load_by_id(session, Employer, (r.employer_id for r in rows))
    return {
        r.record_id: FirmMatch(records[r.record_id], employers[r.employer_id],  # type: ignore[arg-type]
                               r.method, r.score)
        for r in rows
    }
