"""The triage workbench: bulk actions on the queue, assignment, comments — pages and API.

Bulk triage (assign, move to in review, add to a dossier) needs ``triage``; bulk dismissal
is a decision and needs ``decide`` (checked inside, per action). Every change is audited in
the same transaction (see :mod:`storage.triage`).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from review import ReviewError
from review.auth import safe_next
from review.deps import get_db, require_csrf
from review.permissions import authorize, require
from review.schemas import ErrorPublic
from storage import triage
from storage.models import User

pages = APIRouter(dependencies=[Depends(require("view"))], include_in_schema=False)
api = APIRouter(prefix="/api", dependencies=[Depends(require("view"))], tags=["triage"],
                responses={401: {"model": ErrorPublic, "description": "Not logged in."},
                           403: {"model": ErrorPublic,
                                 "description": "Role not allowed, or missing CSRF token."},
                           404: {"model": ErrorPublic, "description": "No such row."}})


def _run(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Storage refusals of a triage request are the client's error (400)."""
    try:
        return fn(*args, **kwargs)
    except triage.TriageError as exc:
        raise ReviewError(str(exc)) from exc


def _optional_int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


# -- pages ------------------------------------------------------------------------------------
@pages.post("/signals/bulk", dependencies=[Depends(require_csrf)])
def bulk_page(signal_id: list[int] = Form(default_factory=list), action: str = Form(...),
              assignee: str = Form(""), dossier_id: str = Form(""), reason: str = Form(""),
              note: str = Form(""), back: str = Form("/signals"),
              user: User = Depends(require("triage")),
              db: Session = Depends(get_db)) -> Response:
    """The queue's "with the selected signals" form."""
    authorize(user, triage.bulk_permission(action))
    _run(triage.bulk_action, db, signal_id, action, user.username,
         assignee=(user.username if assignee == "@me" else assignee) or None,
         dossier_id=_optional_int(dossier_id), reason=reason, note=note)
    db.commit()
    return RedirectResponse(safe_next(back), status_code=303)


@pages.post("/signals/{signal_id}/assign", dependencies=[Depends(require_csrf)])
def assign_page(signal_id: int, assignee: str = Form(""),
                user: User = Depends(require("triage")),
                db: Session = Depends(get_db)) -> Response:
    """Assign (``@me`` for oneself, empty for nobody)."""
    who = user.username if assignee == "@me" else (assignee or None)
    _run(triage.assign_signal, db, signal_id, who, user.username)
    db.commit()
    return RedirectResponse(f"/signals/{signal_id}#assignment", status_code=303)


@pages.post("/signals/{signal_id}/comments", dependencies=[Depends(require_csrf)])
def comment_page(signal_id: int, text: str = Form(""), user: User = Depends(require("triage")),
                 db: Session = Depends(get_db)) -> Response:
    _run(triage.add_comment, db, signal_id, user.username, text)
    db.commit()
    return RedirectResponse(f"/signals/{signal_id}#comments", status_code=303)


# -- API --------------------------------------------------------------------------------------
class BulkIn(BaseModel):
    signal_ids: list[int] = Field(min_length=1, max_length=triage.BULK_MAX)
    action: str = Field(description="assign | in_review | dossier | dismiss (dismiss: reviewers)")
    assignee: str | None = Field(None, description="assign: a username; null unassigns.")
    dossier_id: int | None = Field(None, description="dossier: where to add the signals.")
    reason: str = Field("", description="dismiss: required.")
    note: str = Field("", description="dossier: a note on each added item.")


class BulkOut(BaseModel):
    action: str
    changed: list[int] = Field(description="Signals this request changed.")
    unchanged: list[int] = Field(description="Already in that state (or in that dossier).")


class AssignIn(BaseModel):
    assignee: str | None = Field(description="A username (analyst or reviewer); null unassigns.")


class AssignOut(BaseModel):
    signal_id: int
    assignee: str | None


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=triage.COMMENT_MAX)


class CommentPublic(BaseModel):
    id: int
    signal_id: int
    user: str
    at: datetime = Field(description="UTC.")
    text: str


def _comment_public(c) -> CommentPublic:  # type: ignore[no-untyped-def]
    return CommentPublic(id=c.id, signal_id=c.signal_id, user=c.user, at=c.at, text=c.text)


@api.post("/signals/bulk", response_model=BulkOut, dependencies=[Depends(require_csrf)],
          responses={409: {"model": ErrorPublic, "description": "A transition not allowed."}})
def api_bulk(given: BulkIn, user: User = Depends(require("triage")),
             db: Session = Depends(get_db)) -> BulkOut:
    """One action on several signals, all or nothing: assign, move to in review, add to a
    dossier (triage), or dismiss with a reason (a decision: reviewers only)."""
    authorize(user, triage.bulk_permission(given.action))
    result = _run(triage.bulk_action, db, given.signal_ids, given.action, user.username,
                  assignee=given.assignee, dossier_id=given.dossier_id, reason=given.reason,
                  note=given.note)
    db.commit()
    return BulkOut(action=result.action, changed=result.changed, unchanged=result.unchanged)


@api.post("/signals/{signal_id}/assign", response_model=AssignOut,
          dependencies=[Depends(require_csrf)])
def api_assign(signal_id: int, given: AssignIn, user: User = Depends(require("triage")),
               db: Session = Depends(get_db)) -> AssignOut:
    """Assign a signal to an analyst or reviewer (audited as ``signal.assign``)."""
    signal = _run(triage.assign_signal, db, signal_id, given.assignee, user.username)
    db.commit()
    return AssignOut(signal_id=signal_id, assignee=signal.assignee)


@api.get("/signals/{signal_id}/comments", response_model=list[CommentPublic])
def api_comments(signal_id: int, db: Session = Depends(get_db)) -> list[CommentPublic]:
    """The comments on a signal, oldest first."""
    triage.get_signal(db, signal_id)
    return [_comment_public(c) for c in triage.signal_comments(db, signal_id)]


@api.post("/signals/{signal_id}/comments", response_model=CommentPublic,
          dependencies=[Depends(require_csrf)])
def api_comment(signal_id: int, given: CommentIn, user: User = Depends(require("triage")),
                db: Session = Depends(get_db)) -> CommentPublic:
    """Comment on a signal (audited as ``signal.comment`` with its text)."""
    comment = _run(triage.add_comment, db, signal_id, user.username, given.text)
    db.commit()
    return _comment_public(comment)
