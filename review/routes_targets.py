"""Monthly target lists in the web UI: view by district (any role), export as CSV / XLSX / PDF /
HTML / JSON (the ``export`` permission; audited as ``targets.export`` with the file's SHA-256)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from entity_resolution.geo import DISTRICTS
from review.deps import get_db, require_csrf
from review.permissions import require
from review.target_export import FORMATS, MEDIA_TYPES, district_name, render
from signals.targets import build_target_list
from storage.audit import append_event
from storage.evidence import sha256_hex
from storage.models import User

router = APIRouter(dependencies=[Depends(require("view"))], include_in_schema=False)
SUFFIX = {"csv": "csv", "xlsx": "xlsx", "html": "html", "pdf": "pdf", "json": "json"}


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


@router.get("/targets")
def targets_page(request: Request, month: str | None = Query(None),
                 district: str | None = Query(None), user: User = Depends(require("view")),
                 db: Session = Depends(get_db)) -> Response:
    chosen = month or this_month()
    targets = build_target_list(db, chosen, district or None)
    return request.app.state.render(request, "targets.html", {
        "user": user, "t": targets, "month": chosen, "district": district or "",
        "districts": [(d, district_name(d)) for d in DISTRICTS], "formats": FORMATS,
        "groups": [(d, district_name(d), rows) for d, rows in targets.by_district()]})


@router.post("/targets/export", dependencies=[Depends(require_csrf)])
def targets_export(request: Request, month: str = Form(...), district: str = Form(""),
                   format: str = Form("csv"), user: User = Depends(require("export")),
                   db: Session = Depends(get_db)) -> Response:
    settings = request.app.state.settings
    targets = build_target_list(db, month, district or None)
    data = render(targets, format, settings.chromium_executable, settings.data_dir)
    digest = sha256_hex(data)
    append_event(db, user.username, "targets.export", f"targets:{month}",
                 {"format": format, "district": district or None, "rows": len(targets.rows),
                  "sha256": digest})
    db.commit()
    name = f"targets-{month}{'-' + district if district else ''}.{SUFFIX[format]}"
    return Response(data, media_type=MEDIA_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-SHA256": digest})
