"""Dossiers in the web UI and the API: list, create, view (audited), add/remove items, export.

Building a dossier is triage work (analysts and reviewers); exporting one — the moment
evidence leaves the tool — needs the ``export`` permission (reviewers). Exports are POSTs (with
the CSRF token) because each one is written to the audit log with the SHA-256 of what left.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from review.deps import get_db, get_store, require_csrf
from review.dossier_export import FORMATS, dossier_json, export_dossier
from review.permissions import require
from review.schemas import ErrorPublic
from storage import dossiers as store_dossiers
from storage.audit import append_event
from storage.evidence import EvidenceStore
from storage.models import User

pages = APIRouter(dependencies=[Depends(require("view"))], include_in_schema=False)
api = APIRouter(prefix="/api", dependencies=[Depends(require("view"))], tags=["dossiers"],
                responses={401: {"model": ErrorPublic, "description": "Not logged in."},
                           403: {"model": ErrorPublic,
                                 "description": "Role not allowed, or missing CSRF token."},
                           404: {"model": ErrorPublic, "description": "No such row."}})


def _optional_int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


# -- pages ------------------------------------------------------------------------------------
@pages.get("/dossiers")
def dossiers_page(request: Request, user: User = Depends(require("view")),
                  db: Session = Depends(get_db)) -> Response:
    return request.app.state.render(request, "dossiers.html", {
        "user": user, "rows": store_dossiers.list_dossiers(db)})


@pages.post("/dossiers", dependencies=[Depends(require_csrf)])
def dossier_create(title: str = Form(...), case_ref: str = Form(""),
                   signal_id: str = Form(""), user: User = Depends(require("triage")),
                   db: Session = Depends(get_db)) -> Response:
    """Open a dossier (optionally with the signal the form was on)."""
    dossier = store_dossiers.create_dossier(db, title, user.username, case_ref or None)
    first = _optional_int(signal_id)
    if first is not None:
        store_dossiers.add_item(db, dossier.id, user.username, signal_id=first)
    db.commit()
    return RedirectResponse(f"/dossiers/{dossier.id}", status_code=303)


@pages.get("/dossiers/{dossier_id}")
def dossier_page(request: Request, dossier_id: int, user: User = Depends(require("view")),
                 db: Session = Depends(get_db)) -> Response:
    contents = store_dossiers.dossier_contents(db, dossier_id)
    append_event(db, user.username, "dossier.view", f"dossier:{dossier_id}", {"via": "page"})
    db.commit()
    return request.app.state.render(request, "dossier.html", {
        "user": user, "c": contents, "formats": FORMATS})


@pages.post("/dossiers/{dossier_id}/items", dependencies=[Depends(require_csrf)])
def dossier_add(dossier_id: int, signal_id: str = Form(""), employer_id: str = Form(""),
                person_id: str = Form(""), note: str = Form(""),
                user: User = Depends(require("triage")),
                db: Session = Depends(get_db)) -> Response:
    store_dossiers.add_item(db, dossier_id, user.username, signal_id=_optional_int(signal_id),
                            employer_id=_optional_int(employer_id),
                            person_id=_optional_int(person_id), note=note)
    db.commit()
    return RedirectResponse(f"/dossiers/{dossier_id}", status_code=303)


@pages.post("/dossiers/add", dependencies=[Depends(require_csrf)])
def dossier_add_signal(dossier_id: int = Form(...), signal_id: int = Form(...),
                       note: str = Form(""), user: User = Depends(require("triage")),
                       db: Session = Depends(get_db)) -> Response:
    """The signal page's "add to dossier" form (the dossier is chosen in the form)."""
    store_dossiers.add_item(db, dossier_id, user.username, signal_id=signal_id, note=note)
    db.commit()
    return RedirectResponse(f"/dossiers/{dossier_id}", status_code=303)


@pages.post("/dossiers/{dossier_id}/items/{item_id}/remove",
            dependencies=[Depends(require_csrf)])
def dossier_remove(dossier_id: int, item_id: int, user: User = Depends(require("triage")),
                   db: Session = Depends(get_db)) -> Response:
    store_dossiers.remove_item(db, dossier_id, item_id, user.username)
    db.commit()
    return RedirectResponse(f"/dossiers/{dossier_id}", status_code=303)


@pages.post("/dossiers/{dossier_id}/export", dependencies=[Depends(require_csrf)])
def dossier_export(request: Request, dossier_id: int, format: str = Form(...),
                   user: User = Depends(require("export")), db: Session = Depends(get_db),
                   store: EvidenceStore = Depends(get_store)) -> Response:
    settings = request.app.state.settings
    exported = export_dossier(db, dossier_id, format, store, user.username,
                              settings.chromium_executable, settings.data_dir)
    db.commit()
    return Response(exported.data, media_type=exported.media_type, headers={
        "Content-Disposition": f'attachment; filename="{exported.filename}"',
        "X-Content-SHA256": exported.sha256})


# -- API --------------------------------------------------------------------------------------
class DossierIn(BaseModel):
    title: str = Field(min_length=1, max_length=store_dossiers.TITLE_MAX)
    case_ref: str | None = Field(default=None, max_length=100)


class DossierPublic(BaseModel):
    id: int
    title: str
    case_ref: str | None
    created_by: str
    items: int


class PushSignalsIn(BaseModel):
    signal_ids: list[int] = Field(min_length=1, max_length=500)
    note: str = Field(default="", max_length=store_dossiers.NOTE_MAX)


class PushSignalsOut(BaseModel):
    dossier_id: int
    added: list[int]
    already_there: list[int]


@api.get("/dossiers", response_model=list[DossierPublic])
def api_dossiers(db: Session = Depends(get_db)) -> list[DossierPublic]:
    """Dossiers, newest first, with their item counts."""
    return [DossierPublic(id=d.id, title=d.title, case_ref=d.case_ref, created_by=d.created_by,
                          items=n) for d, n in store_dossiers.list_dossiers(db)]


@api.post("/dossiers", response_model=DossierPublic, dependencies=[Depends(require_csrf)])
def api_dossier_create(given: DossierIn, user: User = Depends(require("triage")),
                       db: Session = Depends(get_db)) -> DossierPublic:
    """Open a dossier."""
    d = store_dossiers.create_dossier(db, given.title, user.username, given.case_ref)
    db.commit()
    return DossierPublic(id=d.id, title=d.title, case_ref=d.case_ref, created_by=d.created_by,
                         items=0)


@api.get("/dossiers/{dossier_id}")
def api_dossier(dossier_id: int, user: User = Depends(require("view")),
                db: Session = Depends(get_db)) -> dict:
    """The dossier with every fact, record and capture it cites (the JSON export's shape;
    reading it is audited as a view, not as an export)."""
    data = dossier_json(store_dossiers.dossier_contents(db, dossier_id), user.username)
    append_event(db, user.username, "dossier.view", f"dossier:{dossier_id}", {"via": "api"})
    db.commit()
    return data


@api.post("/dossiers/{dossier_id}/signals", response_model=PushSignalsOut,
          dependencies=[Depends(require_csrf)])
def api_push_signals(dossier_id: int, given: PushSignalsIn,
                     user: User = Depends(require("triage")),
                     db: Session = Depends(get_db)) -> PushSignalsOut:
    """Push signals into a dossier (for the detection team's own tools). Signals already in
    it are reported, not duplicated; an unknown signal id fails the whole request (404)."""
    added: list[int] = []
    already: list[int] = []
    for signal_id in dict.fromkeys(given.signal_ids):
        try:
            store_dossiers.add_item(db, dossier_id, user.username, signal_id=signal_id,
                                    note=given.note)
            added.append(signal_id)
        except store_dossiers.DossierError:
            already.append(signal_id)
    db.commit()
    return PushSignalsOut(dossier_id=dossier_id, added=added, already_there=already)
