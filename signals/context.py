"""Build the :class:`~signals.base.RecordContext` of a stored record.

The employer a record rule looks at is the record's best match — unless a human said otherwise:
a :class:`~storage.models.Judgement` always wins over the machine. A negative judgement removes
that employer from consideration; a positive one makes it the firm match (outcome ``match``)
whatever the machine's score. Among machine matches, ``match`` outcomes come before
``possible`` ones, then the highest score.
"""

from __future__ import annotations

from collections.abc import Container

from sqlmodel import Session, col, select

from signals.base import RecordContext
from storage.models import Capture, Employer, Judgement, Match, Record


def _verdicts(session: Session, record: Record) -> dict[tuple[str, object], str]:
    """Latest verdict per employer (keyed by id and by enterprise number) for this record."""
    judgements = session.exec(
        select(Judgement)
        .where(Judgement.record_fingerprint == record.fingerprint)
        .order_by(col(Judgement.at), col(Judgement.id))
    ).all()
    verdicts: dict[tuple[str, object], str] = {}
    for j in judgements:  # later ones overwrite earlier ones
        if j.employer_id is not None:
            verdicts[("id", j.employer_id)] = j.verdict
        if j.employer_number:
            verdicts[("number", j.employer_number)] = j.verdict
    return verdicts


def _verdict_for(verdicts: dict[tuple[str, object], str], employer: Employer) -> str | None:
    return verdicts.get(("id", employer.id)) or verdicts.get(("number", employer.enterprise_number))


def best_match(session: Session, record: Record) -> tuple[Match | None, Employer | None]:
    """The match (and its employer) a rule should trust for ``record``, judgements applied."""
    if record.id is None:
        return None, None
    verdicts = _verdicts(session, record)
    rows = session.exec(
        select(Match, Employer)
        .join(Employer, col(Employer.id) == Match.employer_id)
        .where(Match.record_id == record.id)
        .order_by(col(Match.score).desc(), col(Match.id))
    ).all()
    ranked: list[tuple[int, float, Match, Employer]] = []
    for match, employer in rows:
        verdict = _verdict_for(verdicts, employer)
        if verdict == "negative":
            continue
        if verdict == "positive" and match.outcome != "match":
            # Present the human decision as a firm match without touching the stored row.
            match = Match(
                id=match.id, record_id=match.record_id, employer_id=match.employer_id,
                score=match.score, method=f"{match.method}+judgement", outcome="match",
                explanation=match.explanation, matcher_version=match.matcher_version,
                created_at=match.created_at,
            )
        rank = 0 if verdict == "positive" else 1 if match.outcome == "match" else 2
        ranked.append((rank, -match.score, match, employer))
    if not ranked:
        return None, None
    ranked.sort(key=lambda item: (item[0], item[1]))
    return ranked[0][2], ranked[0][3]


def register_record_for(session: Session, employer: Employer) -> int | None:
    """The register-page record whose capture the employer's data came from, if stored."""
    if employer.capture_id is None:
        return None
    query = select(Record.id).where(
        Record.kind == "register_entry",
        (Record.capture_id == employer.capture_id)
        | (Record.last_capture_id == employer.capture_id),
    )
    return session.exec(query.order_by(col(Record.id))).first()


def build_context(
    session: Session, record: Record, capture: Capture | None = None
) -> RecordContext:
    """Everything a record rule needs, read from the database.

    ``capture`` defaults to the capture the record was last seen in.
    """
    if capture is None:
        capture_id = record.last_capture_id or record.capture_id
        capture = session.get(Capture, capture_id) if capture_id is not None else None
    match, employer = best_match(session, record)
    ctx = RecordContext(record=record, employer=employer, match=match, capture=capture)
    return complete_context(session, ctx)


def _has_judgement(session: Session, record: Record) -> bool:
    query = select(Judgement.id).where(Judgement.record_fingerprint == record.fingerprint)
    return session.exec(query.limit(1)).first() is not None


def complete_context(
    session: Session, ctx: RecordContext, judged: Container[str] | None = None
) -> RecordContext:
    """Fill the parts of a caller-built context that were left empty (capture, register page),
    and apply human judgements: if any exists for the record, the employer and match are
    re-chosen by :func:`best_match`, whatever the caller passed. The session is handed to the
    rules that need to look further in the register (``ctx.session``). ``judged``: the
    fingerprints of the records that have a judgement, if the caller read them already (a
    write batch does, once); a record not in it is not looked up."""
    ctx.session = session
    if ctx.capture is None:
        capture_id = ctx.record.last_capture_id or ctx.record.capture_id
        if capture_id is not None:
            ctx.capture = session.get(Capture, capture_id)
    maybe_judged = judged is None or ctx.record.fingerprint in judged
    if ctx.record.id is not None and maybe_judged and _has_judgement(session, ctx.record):
        ctx.match, ctx.employer = best_match(session, ctx.record)  # humans win
        ctx.employer_capture, ctx.employer_record_id = None, None
    if ctx.employer is not None:
        if ctx.employer_capture is None and ctx.employer.capture_id is not None:
            ctx.employer_capture = session.get(Capture, ctx.employer.capture_id)
        if ctx.employer_record_id is None:
            ctx.employer_record_id = register_record_for(session, ctx.employer)
    return ctx
