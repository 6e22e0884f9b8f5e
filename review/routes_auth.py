"""Login, logout, the session endpoint of the API, and the health check.

The API uses the same signed session cookie as the pages (no tokens): a script logs in by
GETting ``/login`` (the CSRF token is in the form and in the ``X-CSRF-Token`` response header),
POSTing the form, and then sends ``X-CSRF-Token`` (see ``GET /api/session``) with every POST.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import text
from sqlmodel import Session

from review import TooManyAttempts
from review.auth import LoginThrottle, authenticate, new_csrf_token, safe_next
from review.deps import CSRF_HEADER, csrf_token, get_db, get_throttle, require_csrf
from review.permissions import require
from review.schemas import ErrorPublic, SessionPublic
from storage.audit import append_event
from storage.models import User

router = APIRouter()


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/healthz", include_in_schema=False)
def healthz(db: Session = Depends(get_db)) -> dict[str, str]:
    db.connection().execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str | None = None) -> Response:
    token = csrf_token(request)
    response = request.app.state.render(
        request, "login.html", {"next": safe_next(next), "error": None, "username": ""}
    )
    response.headers[CSRF_HEADER] = token
    return response


@router.post("/login", include_in_schema=False, dependencies=[Depends(require_csrf)])
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/signals"),
    db: Session = Depends(get_db),
    throttle: LoginThrottle = Depends(get_throttle),
) -> Response:
    username = username.strip()
    try:
        throttle.check(username)
    except TooManyAttempts:
        append_event(db, username, "login.throttled", f"user:{username}",
                     {"client": _client(request)})
        db.commit()
        raise
    user = authenticate(db, username, password)
    if user is None:
        throttle.failed(username)
        append_event(db, username, "login.failure", f"user:{username}",
                     {"client": _client(request)})
        db.commit()
        return request.app.state.render(
            request, "login.html",
            {"next": safe_next(next), "error": "Wrong username or password.",
             "username": username},
            status_code=401,
        )
    throttle.succeeded(username)
    append_event(db, user.username, "login.success", f"user:{user.username}",
                 {"client": _client(request)})
    db.commit()
    # A fresh session (and CSRF token) at login: no fixation of a pre-login session.
    request.session.clear()
    request.session.update({"user_id": user.id, "username": user.username,
                            "csrf": new_csrf_token()})
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False, dependencies=[Depends(require_csrf)])
def logout(request: Request, user: User = Depends(require("view")),
           db: Session = Depends(get_db)) -> Response:
    append_event(db, user.username, "logout", f"user:{user.username}", {})
    db.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/api/session", response_model=SessionPublic, tags=["session"],
            responses={401: {"model": ErrorPublic}})
def api_session(request: Request, user: User = Depends(require("view"))) -> SessionPublic:
    """Who is logged in, and the CSRF token to send as ``X-CSRF-Token`` on POSTs."""
    return SessionPublic(username=user.username, role=user.role, csrf_token=csrf_token(request))
