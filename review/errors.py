"""The one place where the web app turns errors into HTTP answers.

API paths (``/api/...`` and ``/openapi.json``) get ``{"error": {"type", "message"}}``; pages get
the error page, except :class:`~review.LoginRequired`, which sends a browser to the login form.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from review import LoginRequired, ReviewError
from storage import EvidenceError
from storage.dossiers import DossierError
from storage.queries import InvalidJudgement, InvalidStatusChange, NotFoundError
from vigie.errors import VigieError

log = logging.getLogger(__name__)

_STATUS_BY_TYPE: list[tuple[type[VigieError], int]] = [
    (NotFoundError, 404),
    (InvalidStatusChange, 409),
    (InvalidJudgement, 400),
    (DossierError, 400),
    (EvidenceError, 500),
]


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


def status_for(exc: VigieError) -> int:
    if isinstance(exc, ReviewError):
        return exc.status_code
    for kind, status in _STATUS_BY_TYPE:
        if isinstance(exc, kind):
            return status
    return 500


def error_response(request: Request, status: int, kind: str, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status)
    render = request.app.state.render
    return render(request, "error.html", {"status": status, "kind": kind, "message": message},
                  status_code=status)


async def vigie_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VigieError)
    if isinstance(exc, LoginRequired) and not wants_json(request):
        if request.method != "GET":  # a form posted after the session ended: no way back
            return RedirectResponse("/login", status_code=303)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    status = status_for(exc)
    if status >= 500:
        log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
    return error_response(request, status, type(exc).__name__, str(exc))


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    response = error_response(request, exc.status_code, "HTTPError", str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return error_response(request, 422, "ValidationError", "; ".join(parts) or "invalid request")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VigieError, vigie_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
