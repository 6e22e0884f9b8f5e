"""Read the JSON state object some sites embed in a ``<script>`` (``window._initialData = {...}``).

Pages such as Indeed's carry no schema.org data and almost no markup: everything is in one
JavaScript assignment. A fallback selector of the form ``js:<variable>:<path>`` reads a value
from it, e.g. ``js:window._initialData:jobInfoWrapperModel.jobInfoModel.jobTitle`` (path parts
are keys, or ``[n]`` list indexes).
"""

from __future__ import annotations

import json
import re
from typing import Any

_INDEX = re.compile(r"^(?P<key>[^\[\]]*)((\[\d+\])*)$")


def embedded_json(html: str, variable: str) -> Any:
    """Decode the JSON value assigned to ``variable`` in a script; ``None`` if absent."""
    pattern = re.compile(re.escape(variable) + r"\s*=\s*")
    decoder = json.JSONDecoder()
    for match in pattern.finditer(html):
        start = match.end()
        try:
            value, _ = decoder.raw_decode(html, start)
        except json.JSONDecodeError:
            continue
        return value
    return None


def dig(value: Any, path: str) -> Any:
    """Follow a dotted path with optional ``[n]`` indexes; ``None`` when any step is missing."""
    for part in path.split("."):
        match = _INDEX.match(part)
        if not match:
            return None
        key = match.group("key")
        if key:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        for index in re.findall(r"\[(\d+)\]", part):
            if not isinstance(value, list) or int(index) >= len(value):
                return None
            value = value[int(index)]
    return value


def parse_js_selector(spec: str) -> tuple[str, str] | None:
    """``"js:window._initialData:a.b"`` → ``("window._initialData", "a.b")``; else ``None``."""
    if not spec.startswith("js:"):
        return None
    variable, _, path = spec[3:].partition(":")
    if not variable or not path:
        return None
    return variable, path
