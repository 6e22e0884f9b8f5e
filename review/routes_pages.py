"""The server-rendered pages: the signal queue, a signal with its evidence chain, captures,
employers, the status change form and the match judgement form. Every route needs a
logged-in user."""

from __future__ import annotations

from datetime import UTC, date, datetime
from datetime import time as dt_time
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from review import ReviewError
from review.captures import body_matches, content_response, screenshot_response
from review.deps import get_db, get_store, require_csrf
from review.judging import judge_match
from review.permissions import allowed, authorize, permission_for_status, require
from storage import EvidenceError, queries
from storage.audit import append_event
from storage.clusters import same_entity
from storage.dossiers import list_dossiers
from storage.evidence import EvidenceStore
from storage.models import User
from storage.triage import assignable_users, signal_comments

PAGE_SIZE = 50

router = APIRouter(dependencies=[Depends(require("view"))], include_in_schema=False)


def _when(value: str | None, end_of_day: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` (a date input; inclusive: the ``to`` bound is the end of that day) or an
    ISO 8601 date-time, read as UTC when it has no offset."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, dt_time.max if end_of_day else dt_time.min)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ReviewError(f"not a date: {value!r} (use YYYY-MM-DD)") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def queue_filters(rule: str | None, severity: str | None, status: str | None,
                  district: str | None, sort: str, *, sector: str | None = None,
                  assignee: str | None = None, first_from: str | None = None,
                  first_to: str | None = None, last_from: str | None = None,
                  last_to: str | None = None) -> queries.SignalFilters:
    """Empty strings (the '— any —' option of a select) mean no filter."""
    if sort not in queries.SIGNAL_SORTS:
        raise ReviewError(f"unknown sort {sort!r}; use one of {', '.join(queries.SIGNAL_SORTS)}")
    if sector and sector not in queries.NACE_SECTIONS:
        raise ReviewError(f"unknown NACE section {sector!r}")
    return queries.SignalFilters(
        rule=rule or None, severity=severity or None, status=status or None,
        district=district or None, sector=sector or None, assignee=assignee or None,
        first_seen_from=_when(first_from), first_seen_to=_when(first_to, True),
        last_seen_from=_when(last_from), last_seen_to=_when(last_to, True))


@router.get("/")
def home() -> Response:
    return RedirectResponse("/signals", status_code=303)


@router.get("/signals")
def signals_page(
    request: Request,
    rule: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    district: str | None = None,
    sector: str | None = None,
    assignee: str | None = None,
    mine: bool = False,
    first_from: str | None = None,
    first_to: str | None = None,
    last_from: str | None = None,
    last_to: str | None = None,
    sort: str = "last_seen",
    page: int = Query(1, ge=1, le=100_000),
    after: str | None = None,
    before: str | None = None,
    user: User = Depends(require("view")),
    db: Session = Depends(get_db),
) -> Response:
    """The queue, 50 rows a page. Next/previous links carry keyset cursors (``after`` /
    ``before``) and the page number for display; a bare ``page`` (an old link) is read by
    position."""
    if mine:
        assignee = user.username
    given = {"rule": rule, "severity": severity, "status": status, "district": district,
             "sector": sector, "assignee": assignee, "first_from": first_from,
             "first_to": first_to, "last_from": last_from, "last_to": last_to}
    filters = queue_filters(rule, severity, status, district, sort, sector=sector,
                            assignee=assignee, first_from=first_from, first_to=first_to,
                            last_from=last_from, last_to=last_to)
    result = queue_page(db, filters, sort, PAGE_SIZE, after=after, before=before,
                        offset=0 if (after or before) else (page - 1) * PAGE_SIZE)
    total = result.total
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    kept = {k: v for k, v in {**given, "sort": sort}.items() if v}

    def page_url(number: int, **cursor: str) -> str:
        return "/signals?" + urlencode({**kept, **cursor, "page": number})

    return request.app.state.render(request, "signals.html", {
        "user": user, "rows": result.rows, "total": total, "page": page, "pages": pages,
        "filters": filters, "given": given, "sort": sort,
        "options": queries.signal_filter_options(db),
        "sorts": queries.SIGNAL_SORTS, "unassigned": queries.UNASSIGNED,
        "dossiers": list_dossiers(db, limit=50) if allowed(user.role, "triage") else [],
        "assignable": assignable_users(db),
        "back": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        "first_url": page_url(1) if result.prev_cursor else None,
        "prev_url": (page_url(max(1, page - 1), before=result.prev_cursor)
                     if result.prev_cursor else None),
        "next_url": (page_url(page + 1, after=result.next_cursor)
                     if result.next_cursor else None),
    })


def queue_page(db: Session, filters: queries.SignalFilters, sort: str, limit: int, *,
               after: str | None = None, before: str | None = None,
               offset: int = 0) -> queries.SignalPage:
    """:func:`storage.queries.signal_page`, a cursor that is not one of ours being the
    client's error (400)."""
    try:
        return queries.signal_page(db, filters, sort, limit, after=after, before=before,
                                   offset=offset)
    except queries.InvalidCursor as exc:
        raise ReviewError(str(exc)) from exc


@router.get("/signals/{signal_id}")
def signal_page(
    request: Request,
    signal_id: int,
    user: User = Depends(require("view")),
    db: Session = Depends(get_db),
) -> Response:
    detail = queries.signal_detail(db, signal_id)
    # Other records clustered with the ones behind the signal (same ad, same provider).
    elsewhere = same_entity(db, [i.record.id for i in detail.evidence if i.record is not None])
    append_event(db, user.username, "signal.view", f"signal:{signal_id}", {"via": "page"})
    db.commit()
    return request.app.state.render(request, "signal.html", {
        "user": user, "d": detail, "same_entity": elsewhere,
        "dossiers": list_dossiers(db, limit=50),
        "comments": signal_comments(db, signal_id), "assignable": assignable_users(db)})


@router.post("/signals/{signal_id}/status", dependencies=[Depends(require_csrf)])
def signal_status(
    signal_id: int,
    status: str = Form(...),
    reason: str = Form(""),
    user: User = Depends(require("triage")),
    db: Session = Depends(get_db),
) -> Response:
    authorize(user, permission_for_status(status))
    queries.set_signal_status(db, signal_id, status, user.username, reason)
    db.commit()
    return RedirectResponse(f"/signals/{signal_id}", status_code=303)


@router.post("/signals/{signal_id}/matches/{match_id}/judgement",
             dependencies=[Depends(require_csrf)])
def match_judgement(
    signal_id: int,
    match_id: int,
    verdict: str = Form(...),
    note: str = Form(""),
    user: User = Depends(require("decide")),
    db: Session = Depends(get_db),
) -> Response:
    """Confirm / reject / mark unsure the match shown on a signal page, then go back to it."""
    queries.get_signal(db, signal_id)  # a stale or forged signal id is a 404, not a redirect
    queries.match_of_signal(db, signal_id, match_id)  # only a match shown on that page
    judge_match(db, match_id, verdict, user.username, note)
    db.commit()
    return RedirectResponse(f"/signals/{signal_id}#match-{match_id}", status_code=303)


@router.get("/captures/{capture_id}")
def capture_page(
    request: Request,
    capture_id: int,
    user: User = Depends(require("view")),
    db: Session = Depends(get_db),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    detail = queries.capture(db, capture_id)
    try:
        verified: bool | None = body_matches(store, detail.capture)
        problem = None
    except EvidenceError as exc:
        verified, problem = None, str(exc)
    return request.app.state.render(request, "capture.html", {
        "user": user, "c": detail.capture, "records": detail.records,
        "signals": detail.signals, "verified": verified, "problem": problem,
    })


@router.get("/captures/{capture_id}/content")
def capture_content(
    capture_id: int,
    db: Session = Depends(get_db),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    return content_response(store, queries.get_capture(db, capture_id))


@router.get("/captures/{capture_id}/screenshot")
def capture_screenshot(
    capture_id: int,
    db: Session = Depends(get_db),
    store: EvidenceStore = Depends(get_store),
) -> Response:
    return screenshot_response(store, queries.get_capture(db, capture_id))


@router.get("/employers/{employer_id}")
def employer_page(
    request: Request,
    employer_id: int,
    user: User = Depends(require("view")),
    db: Session = Depends(get_db),
) -> Response:
    detail = queries.employer_detail(db, employer_id)
    return request.app.state.render(request, "employer.html", {"user": user, "e": detail})
