"""Rule ``unregistered_employer`` — an enterprise advertises jobs but is not registered as an
employer with the ONSS/RSZ.

Risk served (MISSION.md, risk 2 "Undue benefits / fictitious employers", its mirror case):
employers advertising jobs while not registered as employers at all — possible undeclared work.

Data needed: a job ad (``Record.kind == "job_ad"``) firmly matched (``Match.outcome ==
"match"``, or a positive human judgement) to a register :class:`~storage.models.Employer` whose
``onss_employer`` is False; the register page the employer came from (``Employer.capture_id``),
for the rationale.

Why it fires: the register's "Qualités / Hoedanigheden" section lists "Employeur ONSS /
Werkgever RSZ" (with a start date) for every enterprise registered as an employer; an enterprise
without it has no ONSS employer number, so any staff it hires cannot be declared. Severity
**high** when the ad is tied to the enterprise by its enterprise or VAT number *and* the quality
list was read on the register page itself (``Employer.origin == "registry_page"``); **medium**
otherwise (a name-based match, or register data from an import that may not carry qualities).

Known false positives: KBO Open Data files carry no "Employeur ONSS" quality, so employers
imported only from them may look unregistered (hence medium); a brand-new enterprise whose ONSS
registration is pending (the quality appears with a delay); ads placed on behalf of a client by
an agency or payroll company matched to the client; a self-employed person advertising for a
partner or a freelancer (no employment); public bodies registered with the provincial and local
authorities' social-security office (ONSSAPL/RSZPPO, merged into the ONSS in 2015) may show a
different quality.
"""

from __future__ import annotations

from signals.base import (
    Finding,
    RecordContext,
    describe_capture,
    describe_employer,
    describe_match,
    employer_subject_key,
    fmt_when,
    record_district,
    record_seen_at,
    record_title,
)

RULE = "unregistered_employer"
SEVERITY = "high"
VERSION = "1"
DESCRIPTION = (
    "Advertises jobs while not registered as an employer with the ONSS: possible undeclared work."
)
RISK = "2. Undue benefits / fictitious employers (mirror case: undeclared employers)"

NUMBER_METHODS = ("enterprise_number", "vat")


def evaluate(ctx: RecordContext) -> list[Finding]:
    record, employer = ctx.record, ctx.matched_employer
    if record.kind != "job_ad" or employer is None or employer.onss_employer:
        return []
    match = ctx.match
    by_number = match is not None and any(m in (match.method or "") for m in NUMBER_METHODS)
    from_page = employer.origin == "registry_page"
    severity = "high" if by_number and from_page else "medium"
    raw = record.raw or {}
    date_posted = raw.get("date_posted")
    seen_at = record_seen_at(ctx)
    register_source = (
        f"the register page {describe_capture(ctx.employer_capture)}"
        if ctx.employer_capture is not None
        else f"the register data imported from {employer.origin}"
    )
    rationale = (
        f'The job ad "{record_title(record)}" seen at {describe_capture(ctx.capture, record.url)}'
        + (f", posted {date_posted}" if date_posted else "")
        + (f', naming the employer "{record.employer_name}"' if record.employer_name else "")
        + f", was matched to {describe_employer(employer)} {describe_match(match)}. "
        f'According to {register_source}, this enterprise does not have the quality "Employeur '
        f'ONSS / Werkgever RSZ". It advertises jobs while not registered as an employer with the '
        f"ONSS: possible undeclared work."
    )
    if not by_number:
        rationale += " The ad was tied to the enterprise without an enterprise or VAT number."
    if not from_page:
        rationale += (
            " The register data did not come from the enterprise's public register page, which "
            "is where the ONSS quality is shown: check it there first."
        )
    facts = {
        "employer": employer.name,
        "enterprise_number": employer.enterprise_number,
        "register_origin": employer.origin,
        "onss_employer": employer.onss_employer,
        "employer_status": employer.status,
        "ad_title": record_title(record),
        "ad_url": record.url,
        "date_posted": date_posted,
        "seen_at": fmt_when(seen_at),
        "match_method": match.method if match is not None else None,
        "match_score": match.score if match is not None else None,
        "register_capture_id": ctx.employer_capture.id if ctx.employer_capture else None,
    }
    return [
        Finding(
            rule=RULE,
            severity=severity,
            title=f"Job ads by {employer.name}, not an ONSS employer",
            rationale=rationale,
            subject_type="employer",
            subject_key=employer_subject_key(employer),
            employer_id=employer.id,
            district=record_district(ctx),
            facts=facts,
            evidence=ctx.sighting(),
            support=ctx.register_support(),
            version=VERSION,
            seen_at=seen_at,
        )
    ]
