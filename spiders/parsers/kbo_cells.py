"""Reading the cells of a KBO/BCE public-search page.

A value cell holds one or more entries, each a text followed by a grey ``<span class="upd">``
remark ("Depuis le 9 août 1960", "Dénomination en néerlandais, depuis le …"). Footnote markers
(``<sup>``) are dropped. Non-breaking spaces are kept in the raw text because the register uses
them to separate street from house number and postcode from municipality.
"""

from __future__ import annotations

import re
from typing import Any

from spiders.parsers.kbo_labels import NO_DATA, norm
from spiders.selectors import clean

_SKIP = {"sup", "script", "style"}
_BLOCK = {"td", "tr", "table", "div", "p", "li"}
_DOTTED_NUMBER = re.compile(r"\b([01]\d{3})[.\s]?(\d{3})[.\s]?(\d{3})\b")


def entries(cell: Any) -> list[tuple[str, str | None]]:
    """``[(raw_text, remark_or_None), …]`` in reading order; empty texts without remark dropped."""
    found: list[tuple[str, str | None]] = []
    buf: list[str] = []

    def flush(remark: str | None) -> None:
        raw = "".join(buf).strip("\n")
        buf.clear()
        if clean(raw) or remark:
            found.append((raw, remark))

    def walk(el: Any) -> None:
        if el.text:
            buf.append(el.text)
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in _SKIP:
                pass
            elif tag == "span" and "upd" in (child.get("class") or "").split():
                flush(clean(child.text_content()))
            elif tag == "br":
                buf.append("\n")
            elif tag in _BLOCK:
                buf.append("\n")
                walk(child)
                buf.append("\n")
            elif tag:
                walk(child)
            if child.tail:
                buf.append(child.tail)

    walk(cell)
    flush(None)
    return found


def lines(raw: str) -> list[str]:
    """Non-empty lines of a raw entry, each whitespace-collapsed except non-breaking spaces."""
    out = []
    for line in raw.split("\n"):
        line = re.sub(r"[ \t\r\f\v]+", " ", line).strip(" \xa0")
        if line.replace("\xa0", "").strip():
            out.append(line)
    return out


def flat(raw: str | None) -> str | None:
    """An entry as one clean line."""
    return clean(raw.replace("\n", " ")) if raw else None


def is_no_data(text: str | None) -> bool:
    return bool(text) and bool(NO_DATA.match(norm(text)))


def enterprise_number(text: str | None) -> str | None:
    """``"0200.065.765"``/``"200065765"`` → ``"0200065765"``; ``None`` if not 9–10 digits."""
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) == 9:
        digits = "0" + digits
    return digits if len(digits) == 10 else None


def numbers_in(text: str) -> list[str]:
    """Every dotted enterprise number (``0427.324.788``) in a text, as 10 digits."""
    return ["".join(m.groups()) for m in _DOTTED_NUMBER.finditer(text)]


def split_address(raw: str) -> dict[str, str | None]:
    """``"Panhuisstraat\\xa01\\n9070\\xa0Destelbergen"`` → street, number, postcode, place."""
    parts = lines(raw)
    out: dict[str, str | None] = {
        "street": None,
        "house_number": None,
        "postcode": None,
        "municipality": None,
        "country": None,
    }
    if not parts:
        return out
    first = parts[0]
    if "\xa0" in first:
        street, number = first.split("\xa0", 1)
    else:
        match = re.match(r"^(.*?\D)\s+(\d.*)$", first)
        street, number = (match.group(1), match.group(2)) if match else (first, "")
    out["street"], out["house_number"] = clean(street), clean(number)
    if len(parts) > 1:
        match = re.match(r"^([A-Z]{0,3}-?\d{4,6})[\xa0 ]+(.+)$", parts[1])
        if match:
            out["postcode"], out["municipality"] = match.group(1), clean(match.group(2))
        else:
            out["municipality"] = clean(parts[1])
    if len(parts) > 2:
        out["country"] = clean(" ".join(parts[2:]))
    return out
