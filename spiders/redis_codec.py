"""How requests travel through Redis: tagged JSON, never pickle.

scrapy-redis pickles requests by default, so anyone able to write to the Redis server could
run code in every worker that pops a request. Vigie's frontier uses this codec instead: a
request's dictionary (``Request.to_dict``: URL, method, headers, body, meta, callback *names*…)
is written as JSON, with the few non-JSON values a Vigie request carries tagged:

- ``{"$b": "<base64>"}`` bytes (body, header names and values);
- ``{"$d": [[key, value], …]}`` a dictionary whose keys are not all text (headers);
- ``{"$t": […]}`` a tuple;
- ``{"$pm": [method, args, kwargs]}`` a scrapy-playwright ``PageMethod``; a method that is the
  spider's own (``PageMethod(self.dismiss_cookie_wall)``) travels as its name,
  ``{"$spider": name}``, and is bound again to the worker's spider by :func:`bind_spider_methods`.

Anything else (an object in ``meta``) is refused with a clear error when the request is
queued, not silently dropped. On the way back, a request class named in the data must be a
Scrapy ``Request`` class: a forged entry cannot make a worker build arbitrary objects.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from scrapy import Request
from scrapy.utils.misc import load_object
from scrapy_playwright.page import PageMethod

from spiders import SpiderError

_REQUEST_MODULES = ("scrapy.", "scrapy_playwright.", "spiders.")
"""Where a queued request's class may come from (checked before anything is imported)."""


class CodecError(SpiderError):
    """A request that cannot travel through Redis, or data in Redis that is not a request."""


class SpiderMethod:
    """A spider method named in a queued request, until a worker binds it to its spider."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"SpiderMethod({self.name!r})"


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$t": [_encode(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, PageMethod):
        return {"$pm": [_method(value.method), _encode(list(value.args)),
                        _encode(dict(value.kwargs))]}
    raise CodecError(f"a {type(value).__name__} cannot be shared through Redis (only text, "
                     "numbers, bytes, lists, dictionaries and PageMethods can)")


def _method(method: Any) -> Any:
    if isinstance(method, str):
        return method
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if owner is not None and getattr(owner, "name", None) and name and not name.startswith("_"):
        return {"$spider": name}
    raise CodecError(f"PageMethod {method!r} is neither a page method's name nor a public "
                     "method of the spider: it cannot be shared through Redis")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (tag, inner), = value.items()
        if tag == "$b":
            return base64.b64decode(inner)
        if tag == "$t":
            return tuple(_decode(v) for v in inner)
        if tag == "$d":
            return {_decode(k): _decode(v) for k, v in inner}
        if tag == "$pm":
            method, args, kwargs = inner
            if isinstance(method, dict):
                method = SpiderMethod(str(method["$spider"]))
            return PageMethod(method, *_decode(args), **_decode(kwargs))
        if tag.startswith("$"):
            raise CodecError(f"unknown tag {tag!r} in a queued request")
    return {k: _decode(v) for k, v in value.items()}


def dumps(obj: dict[str, Any]) -> bytes:
    """A request dictionary as tagged JSON (scrapy-redis serializer interface)."""
    return json.dumps(_encode(obj), separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> dict[str, Any]:
    """The request dictionary from tagged JSON; refuses pickles and non-request classes."""
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CodecError(f"a queued entry is not a JSON request ({exc}); pickled requests "
                         "from older workers are not read") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("url"), str):
        raise CodecError("a queued entry is not a request dictionary")
    request = _decode(obj)
    cls_path = request.get("_class")
    if cls_path is not None:
        if not str(cls_path).startswith(_REQUEST_MODULES):
            raise CodecError(f"request class {cls_path!r} is outside Scrapy and Vigie")
        try:
            cls = load_object(cls_path)
        except (ImportError, NameError, ValueError) as exc:
            raise CodecError(f"unknown request class {cls_path!r}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Request)):
            raise CodecError(f"{cls_path!r} is not a Scrapy Request class")
    return request


def bind_spider_methods(request: Request, spider: Any) -> Request:
    """Give the PageMethods of a request popped from Redis the worker spider's own methods."""
    for pm in request.meta.get("playwright_page_methods") or ():
        if isinstance(pm, PageMethod) and isinstance(pm.method, SpiderMethod):
            bound = getattr(spider, pm.method.name, None)
            if not callable(bound):
                raise CodecError(f"spider {spider.name!r} has no method {pm.method.name!r}")
            pm.method = bound
    return request
