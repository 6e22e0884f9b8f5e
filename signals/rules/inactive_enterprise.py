"""Rule ``inactive_enterprise`` — a job ad or service listing tied to an enterprise that is
struck off, bankrupt, in liquidation or dissolved.

Risk served (MISSION.md, risks 1 "Unpaid contributions / bankruptcy carousels" and 2 "fictitious
employers"): an enterprise that has stopped, or is in a bankruptcy/liquidation procedure, should
not be hiring or selling services; activity under its name suggests the business goes on
through it (or through its name) without paying contributions, or that its identity is being
used by someone else.

Data needed: a job ad or listing firmly matched (``Match.outcome == "match"`` or a positive
judgement) to an :class:`~storage.models.Employer` with ``status`` and/or
``juridical_situation`` (code) / ``juridical_situation_label`` and its date; see
:mod:`signals.register_status` for the KBO codes and labels understood.

Why it fires: status ``ST`` (stopped / struck off), or a juridical situation classified as
bankruptcy, liquidation or dissolution → **high**; any other non-normal situation (judicial
reorganisation, merger, unknown code) → **medium**.

Known false positives: the record may be old (an ad re-published by an aggregator after the
bankruptcy; check the date posted); the curator of a bankrupt enterprise may legitimately keep
the business running for a while (continuation by the curator) and sell its stock; a merger
("fusion par absorption") moves the business to the absorbing enterprise, which may keep the old
name; a wrong match on a name alone (the rationale says how the record was matched).
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
from signals.register_status import (
    LABELS_EN,
    SERIOUS_CLASSES,
    classify_situation,
    situation_text,
    status_class,
)

RULE = "inactive_enterprise"
SEVERITY = "high"
VERSION = "1"
DESCRIPTION = (
    "Job ad or service listing tied to an enterprise that is struck off, bankrupt, in "
    "liquidation or dissolved (or in another non-normal juridical situation)."
)
RISK = "1. Unpaid contributions / bankruptcy carousels; 2. fictitious employers"

KINDS = ("job_ad", "listing")


def evaluate(ctx: RecordContext) -> list[Finding]:
    record, employer = ctx.record, ctx.matched_employer
    if record.kind not in KINDS or employer is None:
        return []
    status = status_class(employer.status)
    situation = classify_situation(employer.juridical_situation, employer.juridical_situation_label)
    struck_off = status == "struck_off"
    abnormal = situation not in ("normal", "unknown")
    if not struck_off and not abnormal:
        return []
    severity = "high" if struck_off or situation in SERIOUS_CLASSES else "medium"

    problems = []
    if struck_off:
        problems.append(f"its status is stopped / struck off ({employer.status})")
    if abnormal:
        since = (
            f" since {fmt_when(employer.juridical_situation_date)}"
            if employer.juridical_situation_date
            else ""
        )
        problems.append(
            f"its juridical situation is "
            f"{situation_text(employer.juridical_situation, employer.juridical_situation_label)}"
            f" ({LABELS_EN[situation]}){since}"
        )
    what = "job ad" if record.kind == "job_ad" else "service listing"
    doing = "recruits" if record.kind == "job_ad" else "offers services"
    register_source = (
        f"the register page {describe_capture(ctx.employer_capture)}"
        if ctx.employer_capture is not None
        else f"the register data imported from {employer.origin}"
    )
    date_posted = (record.raw or {}).get("date_posted")
    seen_at = record_seen_at(ctx)
    rationale = (
        f'The {what} "{record_title(record)}" seen at {describe_capture(ctx.capture, record.url)}'
        + (f", posted {date_posted}" if date_posted else "")
        + f", was matched to {describe_employer(employer)} {describe_match(ctx.match)}. "
        f"According to {register_source}, {' and '.join(problems)}. "
        f"An enterprise in this situation {doing} under its name: check who actually runs the "
        f"activity and whether contributions are declared and paid."
    )
    facts = {
        "employer": employer.name,
        "enterprise_number": employer.enterprise_number,
        "status": employer.status,
        "status_class": status,
        "juridical_situation": employer.juridical_situation,
        "juridical_situation_label": employer.juridical_situation_label,
        "juridical_situation_date": employer.juridical_situation_date,
        "situation_class": situation,
        "record_kind": record.kind,
        "title": record_title(record),
        "url": record.url,
        "date_posted": date_posted,
        "seen_at": fmt_when(seen_at),
        "match_method": ctx.match.method if ctx.match is not None else None,
        "register_origin": employer.origin,
    }
    state = " and ".join(
        (["struck off"] if struck_off else []) + ([LABELS_EN[situation]] if abnormal else [])
    )
    return [
        Finding(
            rule=RULE,
            severity=severity,
            title=f"{employer.name} active online while {state}",
            rationale=rationale,
            subject_type="employer",
            subject_key=employer_subject_key(employer),
            employer_id=employer.id,
            district=record_district(ctx),
            facts=facts,
            evidence=ctx.sighting(),
            support=ctx.register_support(),
            discriminator=f"{status}/{situation}",
            version=VERSION,
            seen_at=seen_at,
        )
    ]
