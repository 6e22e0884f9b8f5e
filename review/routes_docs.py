"""The API's OpenAPI document and a readable, server-rendered view of it — both behind login.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, which the strict CSP (and the offline
deployment) forbids; this page renders the same OpenAPI document with our own templates.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from review.permissions import require
from storage.models import User

router = APIRouter(include_in_schema=False)

_METHODS = ("get", "post", "put", "patch", "delete")


def _type_of(schema: dict[str, Any]) -> str:
    """A short human name for a JSON schema (``list[SignalPublic]``, ``string | null``...)."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type_of(s) for s in schema["anyOf"])
    kind = schema.get("type", "object")
    if kind == "array":
        return f"list[{_type_of(schema.get('items', {}))}]"
    if kind == "null":
        return "null"
    return str(kind) + (f" ({schema['format']})" if "format" in schema else "")


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    ops = []
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = (op.get("requestBody", {}).get("content", {})
                    .get("application/json", {}).get("schema"))
            responses = []
            for code, resp in op.get("responses", {}).items():
                schema = resp.get("content", {}).get("application/json", {}).get("schema")
                responses.append({"code": code, "description": resp.get("description", ""),
                                  "type": _type_of(schema) if schema else "—"})
            ops.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "params": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                            "type": _type_of(p.get("schema", {})),
                            "description": p.get("description", "")}
                           for p in op.get("parameters", [])],
                "body": _type_of(body) if body else None,
                "responses": responses,
            })
    return ops


def _schemas(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        out.append({
            "name": name, "description": schema.get("description", ""),
            "fields": [{"name": f, "type": _type_of(s), "required": f in required,
                        "description": s.get("description", "")}
                       for f, s in schema.get("properties", {}).items()],
        })
    return out


@router.get("/openapi.json")
def openapi_json(request: Request, user: User = Depends(require("view"))) -> Response:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def docs_page(request: Request, user: User = Depends(require("view"))) -> Response:
    spec = request.app.openapi()
    return request.app.state.render(request, "docs.html", {
        "user": user, "info": spec.get("info", {}), "operations": _operations(spec),
        "schemas": _schemas(spec),
    })
