"""The network view: enterprises, persons, seats, phones, e-mails, websites and ads around one
enterprise or one person (:func:`storage.graph.build_graph`), as a page drawn in the browser by
``/static/network.js`` and as JSON (``GET /api/network``), its twin.

The page carries no data in scripts (the CSP forbids inline scripts): the script reads the
JSON URL from the ``data-graph-url`` attribute and fetches it. Bankrupt / struck-off flags come
from the carousel rule's reading of the register (:func:`signals.rules.carousel.employer_flags`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from review import ReviewError
from review.deps import get_db
from review.permissions import require
from signals.rules.carousel import employer_flags
from storage.graph import DEFAULT_MAX_NODES, MAX_DEPTH, Graph, build_graph
from storage.models import User

pages = APIRouter(dependencies=[Depends(require("view"))], include_in_schema=False)
api = APIRouter(prefix="/api", dependencies=[Depends(require("view"))], tags=["network"])


def _graph(db: Session, employer: int | None, person: int | None, depth: int,
           max_nodes: int) -> Graph:
    if (employer is None) == (person is None):
        raise ReviewError("give exactly one of ?employer=<id> or ?person=<id>")
    return build_graph(db, employer_id=employer, person_id=person, depth=depth,
                       max_nodes=max_nodes, describe=employer_flags)


def _query(employer: int | None, person: int | None, depth: int, max_nodes: int) -> str:
    centre = {"employer": employer} if employer is not None else {"person": person}
    return urlencode({**centre, "depth": depth, "max_nodes": max_nodes})


@pages.get("/network")
def network_page(
    request: Request,
    employer: int | None = Query(None, ge=1),
    person: int | None = Query(None, ge=1),
    depth: int = Query(2, ge=1, le=MAX_DEPTH),
    max_nodes: int = Query(DEFAULT_MAX_NODES, ge=2, le=1000),
    user: User = Depends(require("view")),
    db: Session = Depends(get_db),
) -> Response:
    """The interactive view (pan, zoom, drag, click to open) with a plain table beside it."""
    graph = _graph(db, employer, person, depth, max_nodes)
    centre = graph.nodes[graph.center]
    enterprises = sorted((n for n in graph.nodes.values() if n.kind == "employer"),
                         key=lambda n: (n.level, n.label))
    persons = sorted((n for n in graph.nodes.values() if n.kind == "person"),
                     key=lambda n: n.label)
    context: dict[str, Any] = {
        "user": user, "graph": graph, "centre": centre, "enterprises": enterprises,
        "persons": persons, "depth": depth, "max_nodes": max_nodes,
        "employer_id": employer, "person_id": person, "depths": range(1, MAX_DEPTH + 1),
        "graph_url": "/api/network?" + _query(employer, person, depth, max_nodes),
    }
    return request.app.state.render(request, "network.html", context)


@api.get("/network")
def network_json(
    employer: int | None = Query(None, ge=1, description="centre on this employer id"),
    person: int | None = Query(None, ge=1, description="centre on this person id"),
    depth: int = Query(2, ge=1, le=MAX_DEPTH, description="enterprise steps from the centre"),
    max_nodes: int = Query(DEFAULT_MAX_NODES, ge=2, le=1000),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """Nodes (id, kind, label, level, attrs: bankrupt, struck_off, signal_count…) and edges
    (kind, start, end, origin: register page / Gazette record / ad record) of the neighbourhood;
    ``truncated`` and ``notes`` say when the node cap cut it."""
    return _graph(db, employer, person, depth, max_nodes).to_dict()
