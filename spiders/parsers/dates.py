"""Dates as the Belgian register writes them, in its four languages → ISO ``YYYY-MM-DD``.

"9 août 1960", "Depuis le 1er janvier 2022", "Sinds 1 januari 2024", "Seit dem 1. Januar 2024",
"Since May 1, 2000", "1 January 2024", and numeric "24/11/2010".
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

MONTHS: dict[str, int] = {}
for _names in (
    # French
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    # Dutch
    "januari februari maart april mei juni juli augustus september oktober november december",
    # German
    "januar februar märz april mai juni juli august september oktober november dezember",
    # English
    "january february march april may june july august september october november december",
):
    for _number, _name in enumerate(_names.split(), start=1):
        MONTHS[_name] = _number
        MONTHS[unicodedata.normalize("NFKD", _name).encode("ascii", "ignore").decode()] = _number
MONTHS.update({"jänner": 1, "maerz": 3, "sept": 9})

_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:er|e|st|nd|rd|th)?\.?\s+([^\W\d_]+)\.?\s+(\d{4})\b")
_MONTH_DAY_YEAR = re.compile(r"\b([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _make(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str | None) -> str | None:
    """The first date found in ``text`` as ISO, or ``None``."""
    if not text:
        return None
    text = text.replace("\xa0", " ")
    for match in _DAY_MONTH_YEAR.finditer(text):
        month = MONTHS.get(match.group(2).lower())
        if month:
            return _make(int(match.group(3)), month, int(match.group(1)))
    for match in _MONTH_DAY_YEAR.finditer(text):
        month = MONTHS.get(match.group(1).lower())
        if month:
            return _make(int(match.group(3)), month, int(match.group(2)))
    match = _ISO.search(text)
    if match:
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _NUMERIC.search(text)
    if match:
        return _make(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    return None
