"""HTML renderers of the demo web. Every generated text goes through :func:`esc`."""

from __future__ import annotations

from datetime import date
from html import escape

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")


def esc(text: object) -> str:
    """HTML-escape any value (quotes included, so it is safe in attributes too)."""
    return escape(str(text), quote=True)


def french_date(day: date) -> str:
    """As kbopub writes dates: "9 août 1960", "1 janvier 2022"."""
    return f"{day.day} {MONTHS_FR[day.month - 1]} {day.year}"


def site_page(title: str, body: str, language: str = "fr", head_extra: str = "") -> str:
    """The common shell of the demo's own sites (job board, classifieds)."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n{head_extra}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
