"""FastAPI dependencies: settings, database session, evidence store, the logged-in user, CSRF.

Everything comes from ``request.app.state`` (filled by :func:`review.app.create_app`), so
several apps with different settings can live in one process (as the tests do).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from review import CsrfError, LoginRequired
from review.auth import LoginThrottle, csrf_matches, new_csrf_token, user_for_token
from storage.evidence import EvidenceStore
from storage.models import User, utcnow
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


_bearer = HTTPBearer(auto_error=False, description="A personal API token (page /tokens or "
                     "`vigie users token`): acts with its owner's role; no CSRF token needed.")
IDLE_REFRESH_S = 60  # last_used_at of a token is written at most once a minute


def _now(request: Request) -> float:
    """Seconds since the epoch (``app.state.clock`` lets tests move time forward)."""
    clock = getattr(request.app.state, "clock", None)
    return float(clock()) if clock is not None else time.time()


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


def token_user(request: Request, db: Session) -> User | None:
    """The user of a valid ``Authorization: Bearer`` token on an API path (cached on the
    request); None when the request carries no token. A bad token is :class:`LoginRequired`,
    never a fall-back to the cookie."""
    if hasattr(request.state, "token_user"):
        return request.state.token_user
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not _is_api(request):
        request.state.token_user = None
        return None
    found = user_for_token(db, secret.strip())
    if found is None:
        raise LoginRequired("invalid or revoked API token")
    user, token = found
    last = token.last_used_at
    if last is None or time.time() - last.replace(tzinfo=UTC).timestamp() > IDLE_REFRESH_S:
        token.last_used_at = utcnow()
        db.add(token)
        db.commit()
    request.state.token_user = user
    return user


def _check_session_age(request: Request, settings: Settings) -> None:
    """Sessions end after ``session_idle_minutes`` without a request, and in any case
    ``session_max_age`` seconds after the first request of the login."""
    now = _now(request)
    issued = request.session.get("issued")
    seen = request.session.get("seen")
    if isinstance(seen, int | float) and now - seen > settings.session_idle_minutes * 60:
        request.session.clear()
        raise LoginRequired(f"your session ended after {settings.session_idle_minutes} minutes "
                            "without activity; log in again")
    if isinstance(issued, int | float) and now - issued > settings.session_max_age:
        request.session.clear()
        raise LoginRequired("your session reached its maximum length; log in again")
    if not isinstance(issued, int | float):
        request.session["issued"] = now
    request.session["seen"] = now


def current_user(request: Request, db: Session = Depends(get_db),
                 _credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> User:
    """The user of a valid API token (API paths), else the logged-in, still active user of the
    session cookie (within its idle and absolute limits); otherwise :class:`LoginRequired`."""
    by_token = token_user(request, db)
    if by_token is not None:
        return by_token
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        raise LoginRequired("log in to use Vigie")
    _check_session_age(request, request.app.state.settings)
    user = db.get(User, user_id)
    if user is None or not user.active:
        request.session.clear()
        raise LoginRequired("your session is no longer valid; log in again")
    return user


async def require_csrf(request: Request, db: Session = Depends(get_db)) -> None:
    """Every POST echoes the session's token (header for the API, hidden field for forms) —
    except API requests authenticated by a bearer token, where no cookie is involved."""
    if token_user(request, db) is not None:
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not csrf_matches(request.session.get("csrf"), given):
        raise CsrfError("missing or invalid CSRF token; reload the page and try again")
