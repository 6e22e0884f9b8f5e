"""Rule ``foreign_no_establishment`` — a foreign firm works at a Belgian site and has no
establishment in the Belgian register.

Risk served (MISSION.md, risk 3 "Cross-border abuse / social dumping" and risk 5 construction
works): a firm that recruits or sells services for a Belgian work place under a foreign VAT
number, without any registered Belgian seat or establishment unit, is either posting workers
(Limosa declaration and A1 certificates required) or employing in Belgium through a foreign
shell with no Belgian employer number. ``foreign_firm`` flags every foreign firm; this rule
keeps those the register does not know at all in Belgium.

Data needed: the record's foreign VAT number (``normalized["vat"]``/``["vat_country"]`` of an
ad or listing; ``normalized["foreign_vats"]`` of a company website), its Belgian work place
(``normalized["country"] == "BE"`` or a Belgian postcode resolved to a judicial district), and
the register: the record's firm match (judgements applied) and :class:`~storage.models.Employer`
rows whose name resembles the firm's (``Employer.country``, ``Employer.postcode`` and the
:class:`~storage.models.Address` rows of kind ``seat``/``establishment``).

Why it fires: a foreign VAT number and a Belgian work place, and no Belgian establishment —
neither the matched employer nor an enterprise of (almost) the same name (token-set similarity
≥ :data:`NAME_SIMILARITY`) has a Belgian seat or establishment address. Severity: **high** for
a job ad (recruiting for Belgium), **medium** for a listing or website; one step higher in a
high-risk sector (construction…). One signal per foreign VAT number.

Known false positives: a firm that registered a Belgian branch under a different name; a
register copy that lacks establishment units (KBO Open Data ``establishment.csv`` not imported:
then only seats are seen); genuine posting with Limosa declarations (allowed without a Belgian
establishment; the rule cannot see Limosa); a foreign VAT quoted for another firm (a client).
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz
from sqlmodel import Session, col, select

from entity_resolution.names import normalize_name
from signals.base import (
    Finding,
    RecordContext,
    describe_capture,
    fmt_when,
    raise_severity,
    record_district,
    record_seen_at,
    record_title,
)
from signals.rules.foreign_firm import is_belgium, vat_country
from signals.sectors import describe_hits, sector_hits
from storage.models import Address, Employer

RULE = "foreign_no_establishment"
SEVERITY = "high"
VERSION = "1"
DESCRIPTION = (
    "Foreign firm (foreign VAT) with a Belgian work place and no Belgian seat or establishment "
    "in the register: check Limosa declarations and who employs the workers."
)
RISK = "3. Cross-border abuse / social dumping; 5. Construction works (art. 30bis)"

KINDS = ("job_ad", "listing", "website")
NAME_SIMILARITY = 90
WHAT = {"job_ad": "job ad", "listing": "service listing", "website": "company website"}


def _foreign_vat(ctx: RecordContext) -> tuple[str | None, str | None]:
    record, norm = ctx.record, ctx.record.normalized or {}
    if record.kind == "website":
        if norm.get("has_enterprise_number"):
            return None, None
        foreign = list(norm.get("foreign_vats") or [])
        return (foreign[0], foreign[0][:2]) if foreign else (None, None)
    vat = norm.get("vat") or record.vat_number
    country = norm.get("vat_country") or vat_country(vat)
    if vat and country and country != "BE":
        return str(vat), str(country)
    return None, None


def _in_belgium(ctx: RecordContext) -> str | None:
    record, norm = ctx.record, ctx.record.normalized or {}
    country = norm.get("country") or record.country
    district = norm.get("district") or record.district
    postcode = norm.get("postcode") or record.postcode
    if (country and is_belgium(country)) or (not country and district):
        where = ", ".join(str(p) for p in (postcode, norm.get("municipality")) if p)
        return where or "Belgium"
    return None


def belgian_addresses(session: Session | None, employer: Employer) -> list[str]:
    """The employer's Belgian seat/establishment addresses, as text."""
    found = []
    if (employer.country or "BE") == "BE" and employer.postcode:
        found.append(f"seat {employer.street or ''} {employer.postcode} "
                     f"{employer.municipality or ''}".replace("  ", " ").strip())
    if session is not None and employer.id is not None:
        for address in session.exec(select(Address).where(Address.employer_id == employer.id)):
            if (address.country or "BE") == "BE" and address.postcode:
                found.append(f"{address.kind} {address.street or ''} {address.postcode} "
                             f"{address.municipality or ''}".replace("  ", " ").strip())
    return list(dict.fromkeys(found))


def _like_rows(session: Session, token: str) -> list[tuple[int, str]]:
    """``(id, name)`` of the first 50 employers whose name contains ``token``, ignoring case.
    On SQLite ``LIKE`` already ignores ASCII case and ``lower()`` folds only ASCII, so the
    plain ``LIKE`` is the same test without a ``lower()`` of every name."""
    name = col(Employer.name)
    bind = session.get_bind()
    test = name.like(f"%{token}%") if bind.dialect.name == "sqlite" else name.ilike(
        f"%{token}%")
    return [(eid, ename) for eid, ename in session.exec(
        select(Employer.id, Employer.name).where(test).limit(50)).all()]


def _namesakes(session: Session | None, name: str | None,
               memo: dict[Any, Any] | None = None) -> list[Employer]:
    if session is None or not name:
        return []
    core = normalize_name(name).core
    tokens = [t for t in core.split() if len(t) >= 3]
    if not tokens:
        return []
    longest = max(tokens, key=len)
    key = (RULE, "like", longest)
    rows = memo.get(key) if memo is not None else None
    if rows is None:
        rows = _like_rows(session, longest)
        if memo is not None:
            memo[key] = rows
    found = [session.get(Employer, eid) for eid, ename in rows
             if fuzz.token_set_ratio(core, normalize_name(ename).core) >= NAME_SIMILARITY]
    return [e for e in found if e is not None]


def evaluate(ctx: RecordContext) -> list[Finding]:
    record = ctx.record
    if record.kind not in KINDS:
        return []
    vat, country = _foreign_vat(ctx)
    if not vat:
        return []
    place = _in_belgium(ctx)
    if place is None:
        return []
    candidates = [ctx.matched_employer] if ctx.matched_employer is not None else []
    candidates += [e for e in _namesakes(ctx.session, record.employer_name, ctx.memo)
                   if e not in candidates]
    for employer in candidates:
        if employer is not None and belgian_addresses(ctx.session, employer):
            return []
    sectors = sector_hits(record, ctx.matched_employer)
    severity = "high" if record.kind == "job_ad" else "medium"
    if sectors:
        severity = raise_severity(severity)
    firm = record.employer_name or "the firm"
    seen_at = record_seen_at(ctx)
    rationale = (
        f'The {WHAT[record.kind]} "{record_title(record)}" seen at '
        f'{describe_capture(ctx.capture, record.url)} names "{firm}" with the {country} VAT '
        f"number {vat}; the work place is in Belgium ({place}). The register holds no Belgian "
        f"seat or establishment for this firm"
        + (f" (checked: {', '.join(e.name for e in candidates if e is not None)})"
           if candidates else " (no enterprise of that name or number)")
        + ". A foreign firm working in Belgium without a Belgian establishment must declare "
        "posted workers in Limosa; otherwise the workers may be employed here undeclared."
        + (f" High-risk sector: {describe_hits(sectors)}." if sectors else "")
    )
    facts = {
        "firm": firm,
        "vat": vat,
        "vat_country": country,
        "work_place": place,
        "record_kind": record.kind,
        "title": record_title(record),
        "url": record.url,
        "seen_at": fmt_when(seen_at),
        "register_checked": [e.enterprise_number for e in candidates if e is not None],
        "sectors": [h.as_fact() for h in sectors],
    }
    return [
        Finding(
            rule=RULE,
            severity=severity,
            title=f"Foreign firm {firm} ({country}) at a Belgian work place, no Belgian "
            f"establishment",
            rationale=rationale,
            subject_type="employer",
            subject_key=vat,
            employer_id=None,
            district=record_district(ctx),
            facts=facts,
            evidence=ctx.sighting(),
            version=VERSION,
            seen_at=seen_at,
        )
    ]
