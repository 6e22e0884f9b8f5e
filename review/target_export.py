"""Target lists as files: CSV, XLSX (one sheet per judicial district plus a summary), and a
printable report (HTML, PDF printed by Chromium). Scraped text (enterprise names, streets) is
untrusted: cells a spreadsheet would run as a formula are neutralised in CSV and XLSX, and the
HTML is autoescaped."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from entity_resolution.geo import DISTRICTS
from review import ReviewError
from review.formatting import make_environment
from signals.targets import UNKNOWN_DISTRICT, TargetList
from vigie.exports import neutralise

HERE = Path(__file__).parent
FORMATS = ("csv", "xlsx", "html", "pdf", "json")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json",
}
COLUMNS = ("district", "rank", "kind", "street", "postcode", "municipality", "enterprises",
           "signals", "top_severity", "rules", "score", "signal_ids", "last_seen")


def district_name(district: str) -> str:
    d = DISTRICTS.get(district)
    if d is None:
        return "Unknown / abroad" if district == UNKNOWN_DISTRICT else district
    return d.name_fr if d.name_fr == d.name_nl else f"{d.name_fr} / {d.name_nl}"


def to_csv(targets: TargetList) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    for row in targets.rows:
        writer.writerow({k: neutralise(v) for k, v in row.as_dict().items()})
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def to_xlsx(targets: TargetList) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append(["Vigie target list", targets.month])
    summary.append(["Generated (UTC)", targets.generated_at.strftime("%Y-%m-%d %H:%M")])
    summary.append([])
    summary.append(["District", "Addresses", "Signals"])
    summary["A4"].font = summary["B4"].font = summary["C4"].font = Font(bold=True)
    for district, rows in targets.by_district():
        summary.append([district_name(district), len(rows),
                        sum(len(r.signal_ids) for r in rows)])
        sheet = book.create_sheet(title=district.replace("?", "unknown")[:31])
        sheet.append(list(COLUMNS))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            values = [neutralise(v) for v in row.as_dict().values()]
            sheet.append(values)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        for column, width in zip("ABCDEFGHIJKLM", (9, 5, 9, 30, 8, 18, 40, 7, 8, 30, 6, 14, 11),
                                 strict=True):
            sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_html(targets: TargetList) -> str:
    env = make_environment(str(HERE / "templates"))
    return env.get_template("targets_report.html").render(
        t=targets, groups=[(d, district_name(d), rows) for d, rows in targets.by_district()],
        css=(HERE / "static" / "report.css").read_text(encoding="utf-8"))


def render(targets: TargetList, fmt: str, chromium: str | None = None,
           workdir: Path | None = None) -> bytes:
    """The list in ``fmt`` (see :data:`FORMATS`)."""
    import tempfile

    from review.dossier_export import write_pdf

    if fmt == "csv":
        return to_csv(targets)
    if fmt == "xlsx":
        return to_xlsx(targets)
    if fmt == "html":
        return to_html(targets).encode()
    if fmt == "json":
        data: dict[str, Any] = {"month": targets.month,
                                "generated_at": targets.generated_at.isoformat(),
                                "rows": [r.as_dict() for r in targets.rows]}
        return json.dumps(data, ensure_ascii=False, indent=1).encode()
    if fmt == "pdf":
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            out = Path(tmp) / "targets.pdf"
            write_pdf(to_html(targets), out, chromium)
            return out.read_bytes()
    raise ReviewError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
