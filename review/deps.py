"""FastAPI dependencies: settings, database session, evidence store, the logged-in user, CSRF.

Everything comes from ``request.app.state`` (filled by :func:`review.app.create_app`), so
several apps with different settings can live in one process (as the tests do).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from sqlmodel import Session

from review import CsrfError, LoginRequired
from review.auth import LoginThrottle, csrf_matches, new_csrf_token
from storage.evidence import EvidenceStore
from storage.models import User
from vigie.settings import Settings

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; views that write commit explicitly."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_store(settings: Settings = Depends(get_settings)) -> EvidenceStore:
    return EvidenceStore(settings.evidence_dir)


def get_throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = new_csrf_token()
        request.session["csrf"] = token
    return token


def current_user(request: Request, db: Session = Depends(get_db)) -> User:
    """The logged-in, still active user; otherwise :class:`LoginRequired`."""
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        raise LoginRequired("log in to use Vigie")
    user = db.get(User, user_id)
    if user is None or not user.active:
        request.session.clear()
        raise LoginRequired("your session is no longer valid; log in again")
    return user


async def require_csrf(request: Request) -> None:
    """Every POST echoes the session's token (header for the API, hidden field for forms)."""
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not csrf_matches(request.session.get("csrf"), given):
        raise CsrfError("missing or invalid CSRF token; reload the page and try again")
