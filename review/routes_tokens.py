"""Personal API tokens: the page ``/tokens`` lists the user's own tokens, creates one (its
secret is shown once, on the answer to the POST, and never stored) and revokes one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from review.auth import create_api_token, revoke_api_token, user_tokens
from review.deps import get_db, require_csrf
from review.permissions import require
from storage.models import User

router = APIRouter(dependencies=[Depends(require("view"))], include_in_schema=False)


def _page(request: Request, user: User, db: Session, secret: str | None = None,
          name: str | None = None) -> Response:
    response = request.app.state.render(request, "tokens.html", {
        "user": user, "tokens": user_tokens(db, user), "secret": secret, "new_name": name})
    response.headers["Cache-Control"] = "no-store"  # the secret must not linger in a cache
    return response


@router.get("/tokens")
def tokens_page(request: Request, user: User = Depends(require("view")),
                db: Session = Depends(get_db)) -> Response:
    return _page(request, user, db)


@router.post("/tokens", dependencies=[Depends(require_csrf)])
def token_create(request: Request, name: str = Form(""), user: User = Depends(require("view")),
                 db: Session = Depends(get_db)) -> Response:
    token, secret = create_api_token(db, user, name)
    db.commit()
    return _page(request, user, db, secret, token.name)


@router.post("/tokens/{token_id}/revoke", dependencies=[Depends(require_csrf)])
def token_revoke(token_id: int, user: User = Depends(require("view")),
                 db: Session = Depends(get_db)) -> Response:
    revoke_api_token(db, user, token_id)
    db.commit()
    return RedirectResponse("/tokens", status_code=303)
