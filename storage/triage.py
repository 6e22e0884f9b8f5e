"""Triage writes on signals: assignment, comments, bulk actions, and the change feed.

Every change is audited in the caller's transaction (``signal.assign``, ``signal.comment``,
``signal.status`` through :func:`storage.queries.set_signal_status`, ``dossier.add`` through
:func:`storage.dossiers.add_item`); the caller commits. A bulk action checks every signal
first and changes none if one of them cannot take the action (all or nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from storage import StorageError
from storage.audit import append_event
from storage.dossiers import DossierError, add_item, get_dossier
from storage.models import Signal, SignalComment, User, utcnow
from storage.queries import (
    STATUS_TRANSITIONS,
    InvalidStatusChange,
    NotFoundError,
    get_signal,
    set_signal_status,
)

COMMENT_MAX = 5000
BULK_MAX = 500
BULK_ACTIONS = ("assign", "in_review", "dossier", "dismiss")
ASSIGN_ACTION = "signal.assign"
COMMENT_ACTION = "signal.comment"
TRIAGE_ROLES = ("analyst", "reviewer")  # who can be assigned a signal


class TriageError(StorageError):
    """A triage request that cannot be honoured (empty comment, unknown user or action)."""


@dataclass
class BulkResult:
    action: str
    signal_ids: list[int]
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # already in that state / dossier


def assign_signal(session: Session, signal_id: int, assignee: str | None, user: str) -> Signal:
    """Give a signal to an active user (or to nobody with ``None``); audited."""
    signal = get_signal(session, signal_id)
    if assignee is not None:
        found = session.exec(select(User).where(User.username == assignee)).first()
        if found is None or not found.active or found.role not in TRIAGE_ROLES:
            raise TriageError(f"no active analyst or reviewer named {assignee!r}")
    old = signal.assignee
    if old == assignee:
        return signal
    signal.assignee = assignee
    session.add(signal)
    append_event(session, user, ASSIGN_ACTION, f"signal:{signal_id}",
                 {"from": old, "to": assignee})
    return signal


def add_comment(session: Session, signal_id: int, user: str, text: str) -> SignalComment:
    """A comment on a signal (stored as typed; pages escape it); audited with its text."""
    get_signal(session, signal_id)
    clean = (text or "").strip()
    if not clean:
        raise TriageError("a comment cannot be empty")
    if len(clean) > COMMENT_MAX:
        raise TriageError(f"a comment is at most {COMMENT_MAX} characters")
    comment = SignalComment(signal_id=signal_id, user=user, at=utcnow(), text=clean)
    session.add(comment)
    session.flush()
    append_event(session, user, COMMENT_ACTION, f"signal:{signal_id}",
                 {"comment": comment.id, "text": clean})
    return comment


def signal_comments(session: Session, signal_id: int) -> list[SignalComment]:
    """Comments of a signal, oldest first."""
    return list(session.exec(select(SignalComment).where(SignalComment.signal_id == signal_id)
                             .order_by(SignalComment.id)).all())


def bulk_permission(action: str) -> str:
    """Dismissing is a decision (reviewers); everything else is triage."""
    return "decide" if action == "dismiss" else "triage"


def bulk_action(session: Session, signal_ids: list[int], action: str, user: str, *,
                assignee: str | None = None, dossier_id: int | None = None,
                reason: str = "", note: str = "") -> BulkResult:
    """Apply one action to several signals, all or nothing (see the module docstring)."""
    if action not in BULK_ACTIONS:
        raise TriageError(f"unknown bulk action {action!r}; use one of {', '.join(BULK_ACTIONS)}")
    ids = list(dict.fromkeys(signal_ids))
    if not ids:
        raise TriageError("select at least one signal")
    if len(ids) > BULK_MAX:
        raise TriageError(f"at most {BULK_MAX} signals at a time")
    signals = {s.id: s for s in session.exec(select(Signal).where(Signal.id.in_(ids))).all()}
    missing = [i for i in ids if i not in signals]
    if missing:
        raise NotFoundError(f"signal(s) {', '.join(map(str, missing))} do not exist")
    result = BulkResult(action, ids)
    if action == "assign":
        for i in ids:
            before = signals[i].assignee
            assign_signal(session, i, assignee or None, user)
            (result.changed if before != (assignee or None) else result.unchanged).append(i)
    elif action in ("in_review", "dismiss"):
        target = "in_review" if action == "in_review" else "dismissed"
        if target == "dismissed" and not (reason or "").strip():
            raise InvalidStatusChange("dismissing signals requires a reason")
        blocked = [i for i in ids if signals[i].status != target
                   and target not in STATUS_TRANSITIONS.get(signals[i].status, ())]
        if blocked:
            raise InvalidStatusChange(
                f"signal(s) {', '.join(map(str, blocked))} cannot move to {target!r} "
                "from their current status; nothing was changed")
        for i in ids:
            if signals[i].status == target:
                result.unchanged.append(i)
            else:
                set_signal_status(session, i, target, user, reason)
                result.changed.append(i)
    else:  # dossier
        if dossier_id is None:
            raise TriageError("choose a dossier")
        get_dossier(session, dossier_id)
        for i in ids:
            try:  # add_item refuses a duplicate before writing anything
                add_item(session, dossier_id, user, signal_id=i, note=note)
                result.changed.append(i)
            except DossierError:
                result.unchanged.append(i)
    return result


@dataclass
class Changes:
    signals: list[Signal]
    next_cursor: int
    more: bool


def signal_changes(session: Session, since: int, limit: int = 500) -> Changes:
    """Signals created or changed after cursor ``since`` (their ``changed_seq``), oldest
    change first; ``next_cursor`` is the last one's sequence (``since`` when none)."""
    if since < 0:
        raise TriageError("the cursor is a non-negative integer")
    rows = list(session.exec(select(Signal).where(Signal.changed_seq > since)
                             .order_by(Signal.changed_seq).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Changes(rows, rows[-1].changed_seq if rows else since, more)



def assignable_users(session: Session) -> list[str]:
    """Usernames a signal can be assigned to: active users whose role triages."""
    return list(session.exec(select(User.username).where(User.active.is_(True),
                                                         User.role.in_(TRIAGE_ROLES))
                             .order_by(User.username)).all())
