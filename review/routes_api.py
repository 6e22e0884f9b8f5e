"""The JSON twin of every page, under ``/api``.

Authentication is the same signed session cookie as the pages (log in through ``/login``);
POSTs also need the session's CSRF token in the ``X-CSRF-Token`` header (``GET /api/session``
returns it). Scripts use a personal token instead (``Authorization: Bearer …``, page
``/tokens``): it carries its owner's role and needs no CSRF token. Errors always have the
shape ``{"error": {"type": ..., "message": ...}}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from review import ReviewError
from review.captures import body_matches
from review.deps import get_db, get_store, require_csrf
from review.judging import judge_match
from review.permissions import authorize, permission_for_status, require
from review.routes_pages import queue_filters, queue_page
from review.schemas import (
    CaptureDetailPublic,
    EmployerDetailPublic,
    ErrorPublic,
    FilterOptionsPublic,
    JudgementIn,
    JudgementPublic,
    SameEntityGroupPublic,
    SignalDetailPublic,
    SignalListItem,
    SignalPublic,
    StatusChangeIn,
    capture_detail_public,
    employer_detail_public,
    same_entity_public,
    signal_detail_public,
)
from storage import EvidenceError, queries
from storage.audit import append_event
from storage.clusters import same_entity
from storage.evidence import EvidenceStore
from storage.models import Employer, User
from storage.triage import signal_changes

_FORBIDDEN = {"model": ErrorPublic, "description": "Role not allowed, or missing CSRF token."}
_ERRORS = {401: {"model": ErrorPublic, "description": "Not logged in."},
           403: _FORBIDDEN,
           404: {"model": ErrorPublic, "description": "No such row."}}

router = APIRouter(prefix="/api", dependencies=[Depends(require("view"))], responses=_ERRORS)


class TriagedSignalItem(SignalListItem):
    assignee: str | None = Field(None, description="Who works on it (a username).")
    changed_seq: int = Field(0, description="Change sequence of the signal's last write.")


class TriagedSignalList(BaseModel):
    items: list[TriagedSignalItem]
    total: int = Field(description="Signals matching the filters, all pages together.")
    limit: int
    offset: int
    next_cursor: str | None = Field(None, description="Pass as ``cursor`` for the next page "
                                                      "(null on the last page).")


class SignalChangesPublic(BaseModel):
    items: list[TriagedSignalItem] = Field(description="Oldest change first.")
    next_cursor: int = Field(description="Pass back as ``since`` to get what changed next.")
    more: bool = Field(description="True when more changes wait beyond this page.")


def _item(signal: Any, employer: Any) -> TriagedSignalItem:
    item = TriagedSignalItem.model_validate(signal)
    if employer is not None:
        item.employer_name = employer.name
        item.employer_number = employer.enterprise_number
    return item


@router.get("/signals", response_model=TriagedSignalList, tags=["signals"])
def api_signals(
    user: User = Depends(require("view")),
    rule: str | None = None,
    severity: str | None = Query(None, description="low | medium | high"),
    status: str | None = Query(None, description="new | in_review | confirmed | dismissed"),
    district: str | None = Query(None, description="Judicial district id."),
    sector: str | None = Query(None, description="NACE section letter (A–U) of the employer."),
    assignee: str | None = Query(None, description="A username, `-` for unassigned, "
                                                   "`@me` for the caller."),
    first_from: str | None = Query(None, description="First seen on/after (YYYY-MM-DD)."),
    first_to: str | None = Query(None, description="First seen on/before (YYYY-MM-DD)."),
    last_from: str | None = Query(None, description="Last seen on/after (YYYY-MM-DD)."),
    last_to: str | None = Query(None, description="Last seen on/before (YYYY-MM-DD)."),
    sort: str = Query("last_seen", description=" | ".join(queries.SIGNAL_SORTS)),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, description="``next_cursor`` of the previous page: "
                                                 "the page after it (keyset, any depth)."),
    offset: int = Query(0, ge=0, description="Rows to skip (without ``cursor``); deep "
                                             "offsets are slower than cursors."),
    db: Session = Depends(get_db),
) -> TriagedSignalList:
    """The signal queue: same filters and sorts as the page, paginated by ``cursor``
    (follow ``next_cursor``) or by ``limit``/``offset``."""
    if cursor and offset:
        raise ReviewError("give either a cursor or an offset")
    filters = queue_filters(rule, severity, status, district, sort, sector=sector,
                            assignee=user.username if assignee == "@me" else assignee,
                            first_from=first_from, first_to=first_to, last_from=last_from,
                            last_to=last_to)
    result = queue_page(db, filters, sort, limit, after=cursor, offset=offset)
    return TriagedSignalList(items=[_item(r.signal, r.employer) for r in result.rows],
                             total=result.total, limit=limit, offset=offset,
                             next_cursor=result.next_cursor)


@router.get("/signals/changes", response_model=SignalChangesPublic, tags=["signals"])
def api_signal_changes(
    since: int = Query(0, ge=0, description="The cursor of the previous call (0: from the "
                                            "start)."),
    limit: int = Query(500, ge=1, le=1000),
    db: Session = Depends(get_db),
) -> SignalChangesPublic:
    """Signals created or changed after a cursor (status, assignment, a new sighting...), for
    the detection team's own tools to stay in sync: call again with ``next_cursor``."""
    changes = signal_changes(db, since, limit)
    # Only the two columns an item shows (whole rows would decode their JSON columns too).
    employers = {e.id: e for e in db.exec(
        select(Employer.id, Employer.name, Employer.enterprise_number).where(Employer.id.in_(
            {s.employer_id for s in changes.signals if s.employer_id is not None}))).all()}
    return SignalChangesPublic(
        items=[_item(s, employers.get(s.employer_id)) for s in changes.signals],
        next_cursor=changes.next_cursor, more=changes.more)


@router.get("/signal-filters", response_model=FilterOptionsPublic, tags=["signals"])
def api_signal_filters(db: Session = Depends(get_db)) -> FilterOptionsPublic:
    """The values present in the data for each queue filter."""
    options = queries.signal_filter_options(db)
    return FilterOptionsPublic(rules=options.rules, severities=options.severities,
                               statuses=options.statuses, districts=options.districts)


@router.get("/signals/{signal_id}", response_model=SignalDetailPublic, tags=["signals"])
def api_signal(signal_id: int, user: User = Depends(require("view")),
               db: Session = Depends(get_db)) -> SignalDetailPublic:
    """A signal with its employer, matches (with explanations), evidence chain and history."""
    detail = queries.signal_detail(db, signal_id)
    out = signal_detail_public(detail)
    append_event(db, user.username, "signal.view", f"signal:{signal_id}", {"via": "api"})
    db.commit()
    return out


@router.get("/signals/{signal_id}/same-entity", response_model=list[SameEntityGroupPublic],
            tags=["signals"])
def api_signal_same_entity(signal_id: int,
                           db: Session = Depends(get_db)) -> list[SameEntityGroupPublic]:
    """The other records clustered with the records behind a signal (the JSON twin of the
    page's "Same entity elsewhere"): same ad on other boards, same provider under other names,
    each with the reason of its link."""
    queries.get_signal(db, signal_id)
    evidence = queries.signal_evidence(db, signal_id)
    return same_entity_public(
        same_entity(db, [i.record.id for i in evidence if i.record is not None]))


@router.post("/signals/{signal_id}/status", response_model=SignalPublic, tags=["signals"],
             dependencies=[Depends(require_csrf)],
             responses={403: _FORBIDDEN,
                        409: {"model": ErrorPublic, "description": "Transition not allowed."}})
def api_signal_status(signal_id: int, change: StatusChangeIn,
                      user: User = Depends(require("triage")),
                      db: Session = Depends(get_db)) -> SignalPublic:
    """Move a signal along new → in_review → confirmed/dismissed (dismissing needs a reason).
    Triage (to new / in review) needs the analyst or reviewer role; deciding (confirmed /
    dismissed) the reviewer role."""
    authorize(user, permission_for_status(change.status))
    signal = queries.set_signal_status(db, signal_id, change.status, user.username, change.reason)
    db.commit()
    return SignalPublic.model_validate(signal)


@router.post("/matches/{match_id}/judgement", response_model=JudgementPublic,
             tags=["matches"], dependencies=[Depends(require_csrf)],
             responses={400: {"model": ErrorPublic, "description": "Unknown verdict."},
                        403: _FORBIDDEN})
def api_match_judgement(match_id: int, given: JudgementIn,
                        user: User = Depends(require("decide")),
                        db: Session = Depends(get_db)) -> JudgementPublic:
    """Confirm (positive), reject (negative) or mark unsure a machine match. The verdict is
    stored against the record's fingerprint and the employer's enterprise number, audited as
    ``match.judgement``, and the record's rules are re-run so signals obey it (existing signals
    keep their status and evidence)."""
    judgement = judge_match(db, match_id, given.verdict, user.username, given.note)
    db.commit()
    return JudgementPublic.model_validate(judgement)


@router.get("/captures/{capture_id}", response_model=CaptureDetailPublic, tags=["evidence"])
def api_capture(capture_id: int, db: Session = Depends(get_db),
                store: EvidenceStore = Depends(get_store)) -> CaptureDetailPublic:
    """A capture's metadata, whether its archived body still matches its SHA-256, and what
    cites it."""
    detail = queries.capture(db, capture_id)
    try:
        verified, problem = body_matches(store, detail.capture), None
    except EvidenceError as exc:
        verified, problem = False, str(exc)
    if not verified and problem is None:
        problem = "the archived body no longer matches its SHA-256"
    return capture_detail_public(detail, verified, problem)


@router.get("/employers/{employer_id}", response_model=EmployerDetailPublic, tags=["employers"])
def api_employer(employer_id: int, db: Session = Depends(get_db)) -> EmployerDetailPublic:
    """An employer with its addresses, directors, signals and matched records."""
    return employer_detail_public(queries.employer_detail(db, employer_id))
