"""Rule ``foreign_firm`` — a firm with a foreign VAT number (or a foreign seat) recruiting for,
or offering services at, a work place in Belgium.

Risk served (MISSION.md, risk 3 "Cross-border abuse / social dumping"): foreign firms offering
workers or services in Belgium outside the posting rules. Workers posted to Belgium must be
declared beforehand in Limosa and stay affiliated to their home social security only with an A1
certificate; recruiting locally for Belgian work through a foreign shell avoids Belgian
contributions.

Data needed: ``Record.normalized["vat"]`` / ``["vat_country"]`` (compact VAT and its country,
filled by the pipeline from the number written in the ad; ``Record.vat_number`` validated with
``entity_resolution.identifiers.normalize_vat`` as a fallback),
or the country of the matched :class:`~storage.models.Employer`; the work place:
``Record.normalized["country"]`` / ``Record.country``, else a Belgian postcode that the pipeline
resolved to a municipality/judicial district.

Why it fires: the firm's VAT country (or its register country) is not ``BE`` while the work
place is in Belgium → **medium** ("check posting declarations (Limosa) and social-security
affiliation").

Known false positives: foreign firms that do file Limosa declarations (the rule cannot see them);
a Belgian branch of a foreign company that also has a Belgian enterprise number (the ad shows
only the parent's VAT); a foreign VAT number quoted in the ad for another reason (a client, a
supplier); remote jobs whose "work place" is the recruiter's Belgian office.
"""

from __future__ import annotations

from entity_resolution.identifiers import normalize_vat
from signals.base import (
    Finding,
    RecordContext,
    describe_capture,
    describe_employer,
    fmt_when,
    record_district,
    record_seen_at,
    record_title,
)
from signals.register_status import fold

RULE = "foreign_firm"
SEVERITY = "medium"
VERSION = "1"
DESCRIPTION = (
    "Foreign firm recruiting for work in Belgium: check posting declarations (Limosa) and "
    "social-security affiliation."
)
RISK = "3. Cross-border abuse / social dumping"

KINDS = ("job_ad", "listing")
_BELGIUM = {"be", "bel", "belgium", "belgique", "belgie", "belgien", "belgica"}


def is_belgium(country: str | None) -> bool:
    """``BE`` / "Belgique" / "België" / "Belgium" (any case, accents)."""
    return bool(country) and fold(str(country)).strip() in _BELGIUM


def vat_country(record_vat: str | None) -> str | None:
    """The country of a VAT number written in the record (``PL5261040828`` → ``PL``), if valid.

    The pipeline normally fills ``normalized["vat_country"]``; this is the fallback for records
    that only carry ``Record.vat_number``.
    """
    found = normalize_vat(record_vat) if record_vat else None
    return found.country if found is not None else None


def _work_place(ctx: RecordContext) -> tuple[bool, str]:
    record = ctx.record
    normalized = record.normalized or {}
    country = normalized.get("country") or record.country
    postcode = normalized.get("postcode") or record.postcode
    municipality = normalized.get("municipality")
    district = normalized.get("district") or record.district
    where = ", ".join(str(p) for p in (postcode, municipality) if p)
    if country:
        return is_belgium(country), f"{where} ({country})" if where else str(country)
    if district:
        return True, f"{where}, judicial district {district} (Belgian postcode)"
    return False, where


def evaluate(ctx: RecordContext) -> list[Finding]:
    record = ctx.record
    if record.kind not in KINDS:
        return []
    normalized = record.normalized or {}
    vat = normalized.get("vat") or record.vat_number
    country = normalized.get("vat_country") or vat_country(vat)
    employer = ctx.matched_employer
    foreign_vat = bool(country) and country != "BE"
    foreign_seat = employer is not None and bool(employer.country) and not is_belgium(
        employer.country
    )
    if not foreign_vat and not foreign_seat:
        return []
    in_belgium, place = _work_place(ctx)
    if not in_belgium:
        return []

    firm = record.employer_name or (employer.name if employer is not None else "the firm")
    what = "job ad" if record.kind == "job_ad" else "service listing"
    doing = "recruiting for work in Belgium" if record.kind == "job_ad" else (
        "offering services in Belgium"
    )
    why = []
    if foreign_vat:
        why.append(f"a {country} VAT number ({vat})")
    if foreign_seat and employer is not None:
        why.append(f"a seat in {employer.country} according to the register "
                   f"({describe_employer(employer)})")
    seen_at = record_seen_at(ctx)
    rationale = (
        f'The {what} "{record_title(record)}" seen at {describe_capture(ctx.capture, record.url)} '
        f'is published by "{firm}", which carries {" and ".join(why)}; the work place is in '
        f"Belgium: {place}. Foreign firm {doing}: check posting declarations (Limosa) and "
        f"social-security affiliation (A1 certificates)."
    )
    facts = {
        "firm": firm,
        "vat": vat,
        "vat_country": country,
        "employer_country": employer.country if employer is not None else None,
        "enterprise_number": employer.enterprise_number if employer is not None else None,
        "work_place": place,
        "record_kind": record.kind,
        "title": record_title(record),
        "url": record.url,
        "seen_at": fmt_when(seen_at),
    }
    if foreign_vat and vat:
        subject, flag = str(vat), str(country)
    elif employer is not None:
        subject = employer.enterprise_number or f"employer-id:{employer.id}"
        flag = str(employer.country)
    else:  # pragma: no cover - foreign_seat implies an employer
        subject, flag = record.fingerprint, "?"
    return [
        Finding(
            rule=RULE,
            severity=SEVERITY,
            title=f"Foreign firm {firm} ({flag}) {doing}",
            rationale=rationale,
            subject_type="employer",
            subject_key=subject,
            employer_id=employer.id if employer is not None else None,
            district=record_district(ctx),
            facts=facts,
            evidence=ctx.sighting(),
            support=ctx.register_support() if employer is not None else [],
            version=VERSION,
            seen_at=seen_at,
        )
    ]
