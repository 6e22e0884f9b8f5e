"""Dossier exports: a report for lawyers (HTML, and PDF printed by Chromium), JSON, an evidence
bundle, and FollowTheMoney entities.

- **JSON** (:func:`dossier_json`) — every fact with its source: signals (rule, severity,
  rationale, facts, status), the records they rest on and the captures those were read from
  (URL, fetched-at UTC, SHA-256, WARC file/offset/length), employers, directors, notes.
- **Report** (:func:`render_report`) — the same, as one self-contained HTML page (inline CSS,
  no script, no outside request) that prints well; :func:`write_pdf` prints it with Chromium.
- **Evidence bundle** (:func:`write_bundle`) — a zip with the exact WARC record (the gzip member
  copied byte for byte from the evidence store, so it is the very record written at crawl
  time) and the screenshot of every cited capture, the report, the JSON, the entities, and
  ``manifest.json`` listing each file's SHA-256 and each capture's payload SHA-256.
  ``vigie evidence verify-bundle`` (:func:`vigie.verify.verify_bundle`) checks it.
- **FollowTheMoney** (:func:`ftm_entities`) — Company, Person, Directorship, Address, Document
  (one per capture, SHA-1 ``contentHash`` as Aleph expects, SHA-256 in ``notes``),
  Documentation (which capture documents which entity) and Event (one per signal), as the
  line-delimited JSON that ``ftm`` / Aleph / OpenAleph import.

Scraped text stays untrusted: the HTML report is rendered by Jinja2 with autoescaping; JSON
and FtM carry it as data.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import vigie
from review import ReviewError
from review.formatting import make_environment
from storage import EvidenceError
from storage.dossiers import DossierContents
from storage.evidence import EvidenceStore, sha256_hex
from storage.models import Capture, Employer, Record

HERE = Path(__file__).parent
FORMATS = ("html", "pdf", "json", "bundle", "ftm")
MANIFEST = "manifest.json"
FTM_DATASET = "vigie"


class ExportError(ReviewError):
    """A dossier export that cannot be produced (unknown format, evidence unreadable)."""

    status_code = 500


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return None if value is None else str(value)


def capture_json(c: Capture) -> dict[str, Any]:
    return {"id": c.id, "url": c.url, "final_url": c.final_url, "status": c.status,
            "fetched_at": _iso(c.fetched_at), "sha256": c.sha256, "length": c.length,
            "content_type": c.content_type, "renderer": c.renderer, "warc_file": c.warc_file,
            "warc_offset": c.warc_offset, "warc_length": c.warc_length,
            "screenshot_sha256": c.screenshot_sha256}


def record_json(r: Record) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "source": r.source, "url": r.url, "title": r.title,
            "employer_name": r.employer_name, "enterprise_number": r.enterprise_number,
            "vat_number": r.vat_number, "phone": r.phone, "postcode": r.postcode,
            "district": r.district, "first_seen": _iso(r.first_seen),
            "last_seen": _iso(r.last_seen), "capture_id": r.capture_id,
            "last_capture_id": r.last_capture_id, "provenance": r.provenance}


def employer_json(e: Employer) -> dict[str, Any]:
    return {"id": e.id, "enterprise_number": e.enterprise_number, "name": e.name,
            "legal_form": e.legal_form, "status": e.status,
            "juridical_situation": e.juridical_situation_label or e.juridical_situation,
            "juridical_situation_date": _iso(e.juridical_situation_date),
            "start_date": _iso(e.start_date), "onss_employer": e.onss_employer,
            "street": e.street, "postcode": e.postcode, "municipality": e.municipality,
            "district": e.district, "phone": e.phone, "email": e.email, "website": e.website}


def dossier_json(contents: DossierContents, exported_by: str) -> dict[str, Any]:
    """The whole dossier as plain data (see the module docstring)."""
    d = contents.dossier
    return {
        "format": "vigie-dossier/1",
        "generator": f"vigie {vigie.__version__}",
        "exported_at": _iso(datetime.now(UTC)),
        "exported_by": exported_by,
        "dossier": {"id": d.id, "title": d.title, "case_ref": d.case_ref,
                    "created_by": d.created_by, "created_at": _iso(d.created_at),
                    "notes": d.notes},
        "signals": [{
            "id": s.signal.id, "rule": s.signal.rule, "rule_version": s.signal.rule_version,
            "severity": s.signal.severity, "status": s.signal.status, "title": s.signal.title,
            "rationale": s.signal.rationale, "facts": s.signal.facts,
            "employer_id": s.signal.employer_id, "district": s.signal.district,
            "first_seen": _iso(s.signal.first_seen), "last_seen": _iso(s.signal.last_seen),
            "occurrences": s.signal.occurrences, "note": s.note, "added_by": s.added_by,
            "added_at": _iso(s.added_at),
            "evidence": [{"record": record_json(i.record) if i.record else None,
                          "capture_ids": [c.id for c in i.captures]} for i in s.evidence],
        } for s in contents.signals],
        "employers": [employer_json(e) for e in contents.employers],
        "persons": [{"id": p.id, "name": p.name} for p in contents.persons],
        "roles": [{"person_id": r.person.id, "employer_id": r.employer.id,
                   "function": r.role.function, "start_date": _iso(r.role.start_date),
                   "end_date": _iso(r.role.end_date), "capture_id": r.role.capture_id}
                  for r in contents.roles],
        "captures": [capture_json(c) for c in contents.captures],
        "notes": [{"id": n.id, "note": n.note, "added_by": n.added_by,
                   "added_at": _iso(n.added_at)} for n in contents.notes],
    }


def render_report(contents: DossierContents, exported_by: str) -> str:
    """The report for lawyers: one self-contained, printable HTML page."""
    env = make_environment(str(HERE / "templates"))
    data = dossier_json(contents, exported_by)
    captures = {c["id"]: c for c in data["captures"]}
    employers = {e["id"]: e for e in data["employers"]}
    return env.get_template("dossier_report.html").render(
        d=data, captures=captures, employers=employers, css=(HERE / "static" / "report.css")
        .read_text(encoding="utf-8"))


def write_pdf(html: str, out: Path, chromium: str | None) -> None:
    """Print the report to PDF with headless Chromium (Playwright). The page is loaded from a
    string and every request is blocked: the report is self-contained by construction."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from spiders.settings import CHROMIUM_ARGS

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(headless=True, args=list(CHROMIUM_ARGS),
                                        executable_path=chromium or None)
            try:
                page = browser.new_page(java_script_enabled=False)
                page.route("**/*", lambda route: route.abort())
                page.set_content(html, wait_until="load")
                page.pdf(path=str(out), format="A4", print_background=True,
                         margin={"top": "15mm", "bottom": "15mm", "left": "12mm",
                                 "right": "12mm"})
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise ExportError(f"Chromium could not print the report: {exc}") from exc


def _ftm_id(*parts: Any) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _entity(schema: str, entity_id: str, **props: Any) -> dict[str, Any]:
    properties = {}
    for key, value in props.items():
        values = value if isinstance(value, list) else [value]
        values = [str(v) for v in values if v not in (None, "")]
        if values:
            properties[key] = values
    return {"id": entity_id, "schema": schema, "properties": properties}


def ftm_entities(contents: DossierContents, store: EvidenceStore) -> list[dict[str, Any]]:
    """FollowTheMoney entities of the dossier (see the module docstring)."""
    out: list[dict[str, Any]] = []
    company_ids: dict[int, str] = {}
    for e in contents.employers:
        cid = _ftm_id("company", e.enterprise_number or f"employer-{e.id}")
        company_ids[e.id] = cid
        address = ", ".join(x for x in (e.street, " ".join(
            y for y in (e.postcode, e.municipality) if y)) if x)
        aid = None
        if address:
            aid = _ftm_id("address", address)
            out.append(_entity("Address", aid, full=address, street=e.street,
                               postalCode=e.postcode, city=e.municipality, country="be"))
        out.append(_entity(
            "Company", cid, name=e.name, alias=list(e.other_names or []),
            registrationNumber=e.enterprise_number,
            vatCode=f"BE{e.enterprise_number}" if e.enterprise_number else None,
            jurisdiction="be", country="be", legalForm=e.legal_form,
            status=e.juridical_situation_label or e.status,
            incorporationDate=_iso(e.start_date), phone=e.phone, email=e.email,
            website=e.website, address=address or None, addressEntity=aid,
            sourceUrl=(f"https://kbopub.economie.fgov.be/kbopub/toonondernemingps.html"
                       f"?ondernemingsnummer={e.enterprise_number}")
            if e.enterprise_number else None))
    person_ids: dict[int, str] = {}
    for p in contents.persons:
        person_ids[p.id] = _ftm_id("person", p.id, p.name)
        out.append(_entity("Person", person_ids[p.id], name=p.name))
    for r in contents.roles:
        if r.person.id in person_ids and r.employer.id in company_ids:
            out.append(_entity(
                "Directorship", _ftm_id("directorship", r.role.id),
                director=person_ids[r.person.id], organization=company_ids[r.employer.id],
                role=r.role.function, startDate=_iso(r.role.start_date),
                endDate=_iso(r.role.end_date)))
    document_ids: dict[int, str] = {}
    for c in contents.captures:
        document_ids[c.id] = _ftm_id("capture", c.sha256, c.id)
        try:
            body = store.read_body(c.warc_file, c.warc_offset)
        except EvidenceError as exc:  # unreadable evidence fails the export
            raise ExportError(f"capture {c.id} cannot be read from {c.warc_file}: {exc}") from exc
        out.append(_entity(
            "Document", document_ids[c.id], title=c.url, sourceUrl=c.final_url or c.url,
            retrievedAt=_iso(c.fetched_at), mimeType=(c.content_type or "").split(";")[0],
            contentHash=hashlib.sha1(body).hexdigest(), publisher="Vigie capture",
            notes=f"sha256:{c.sha256} warc:{c.warc_file}@{c.warc_offset}"))
    for s in contents.signals:
        sig = s.signal
        involved = company_ids.get(sig.employer_id) if sig.employer_id else None
        event_id = _ftm_id("signal", sig.key)
        out.append(_entity(
            "Event", event_id, name=sig.title, summary=sig.rationale,
            date=_iso(sig.first_seen), involved=involved, keywords=[sig.rule, sig.severity],
            notes=f"Vigie signal {sig.id} ({sig.rule} v{sig.rule_version}), status {sig.status}"))
        for item in s.evidence:
            for c in item.captures:
                for target in (event_id, involved):
                    if target:
                        out.append(_entity(
                            "Documentation", _ftm_id("doc", c.id, target),
                            document=document_ids[c.id], entity=target,
                            role="evidence"))
    unique: dict[str, dict[str, Any]] = {}
    for entity in out:
        unique.setdefault(entity["id"], entity)
    return list(unique.values())


@dataclass(frozen=True)
class BundleResult:
    path: Path
    manifest_sha256: str
    files: int
    captures: int


def _add(zf: zipfile.ZipFile, name: str, data: bytes, files: list[dict[str, Any]]) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)
    files.append({"path": name, "sha256": sha256_hex(data), "size": len(data)})


def write_bundle(contents: DossierContents, store: EvidenceStore, out: Path,
                 exported_by: str) -> BundleResult:
    """Write the evidence bundle zip (see the module docstring); return its manifest's hash."""
    files: list[dict[str, Any]] = []
    captures: list[dict[str, Any]] = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for c in contents.captures:
            try:
                record = store.read_record_bytes(c.warc_file, c.warc_offset, c.warc_length)
            except EvidenceError as exc:  # unreadable evidence fails the export
                raise ExportError(f"capture {c.id}: {exc}") from exc
            name = f"warc/capture-{c.id}.warc.gz"
            _add(zf, name, record, files)
            entry = {**capture_json(c), "warc_record": name}
            if c.screenshot_path:
                png = store.read_file(c.screenshot_path)
                shot = f"screenshots/{c.screenshot_sha256 or sha256_hex(png)}.png"
                if shot not in {f["path"] for f in files}:
                    _add(zf, shot, png, files)
                entry["screenshot"] = shot
            captures.append(entry)
        data = dossier_json(contents, exported_by)
        _add(zf, "dossier.json", json.dumps(data, ensure_ascii=False, indent=1).encode(), files)
        _add(zf, "report.html", render_report(contents, exported_by).encode(), files)
        ftm = "\n".join(json.dumps(e, ensure_ascii=False, sort_keys=True)
                        for e in ftm_entities(contents, store))
        _add(zf, "entities.ftm.json", (ftm + "\n").encode(), files)
        manifest = {"format": "vigie-evidence-bundle/1", "generator": data["generator"],
                    "exported_at": data["exported_at"], "exported_by": exported_by,
                    "dossier": data["dossier"], "files": files, "captures": captures}
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        info = zipfile.ZipInfo(MANIFEST, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, manifest_bytes)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(out)
    return BundleResult(out, sha256_hex(manifest_bytes), len(files), len(captures))


@dataclass(frozen=True)
class ExportedFile:
    data: bytes
    media_type: str
    filename: str
    sha256: str


MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
               "json": "application/json", "bundle": "application/zip",
               "ftm": "application/x-ndjson"}
SUFFIXES = {"html": "html", "pdf": "pdf", "json": "json", "bundle": "zip", "ftm": "ftm.json"}


def export_dossier(session: Any, dossier_id: int, fmt: str, store: EvidenceStore, user: str,
                   chromium: str | None = None, workdir: Path | None = None) -> ExportedFile:
    """Produce one export and audit it (``dossier.export`` with the format and the SHA-256 of
    what left, so a copy can later be proven identical). The caller commits."""
    import tempfile

    from storage.audit import append_event
    from storage.dossiers import dossier_contents

    if fmt not in FORMATS:
        raise ReviewError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    contents = dossier_contents(session, dossier_id)
    details: dict[str, Any] = {"format": fmt}
    if fmt == "json":
        data = json.dumps(dossier_json(contents, user), ensure_ascii=False, indent=1).encode()
    elif fmt == "html":
        data = render_report(contents, user).encode()
    elif fmt == "ftm":
        data = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n"
                       for e in ftm_entities(contents, store)).encode()
    else:
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            target = Path(tmp) / f"out.{SUFFIXES[fmt]}"
            if fmt == "pdf":
                write_pdf(render_report(contents, user), target, chromium)
            else:
                result = write_bundle(contents, store, target, user)
                details.update(manifest_sha256=result.manifest_sha256, files=result.files)
            data = target.read_bytes()
    digest = sha256_hex(data)
    details["sha256"] = digest
    append_event(session, user, "dossier.export", f"dossier:{dossier_id}", details)
    name = f"dossier-{dossier_id}.{SUFFIXES[fmt]}"
    return ExportedFile(data, MEDIA_TYPES[fmt], name, digest)
