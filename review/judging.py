"""A reviewer's verdict on a machine match, shared by the page form and the JSON API.

Storing the verdict (and its audit event) is :func:`storage.queries.record_judgement`; this adds
the re-run of the record's rules so signals obey the human decision at once: a rejected match
stops feeding new sightings to its employer's signals, a confirmed one becomes a firm match.
Existing signals keep their evidence and status — changing those is a reviewer's own act.
"""

from __future__ import annotations

from sqlmodel import Session

from signals.engine import detect_record_id
from storage import queries
from storage.models import Judgement, Match


def judge_match(session: Session, match_id: int, verdict: str, user: str,
                note: str = "") -> Judgement:
    """Store and audit the verdict, then re-detect the match's record. The caller commits."""
    judgement = queries.record_judgement(session, match_id, verdict, user, note)
    match = session.get(Match, match_id)
    assert match is not None  # record_judgement has just read it
    detect_record_id(session, match.record_id)
    return judgement
