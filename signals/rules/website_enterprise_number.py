"""Rule ``website_enterprise_number`` — a company website without its enterprise number, or
showing the number of another enterprise, or of a struck-off / bankrupt one.

Risk served (MISSION.md, risk 2 "fictitious employers / undeclared work" and risk 1
"bankruptcy carousels"): Belgian law obliges every enterprise to show its enterprise number on
its website (Code of Economic Law, art. III.15). A site that hides it makes the business
untraceable; a site that shows someone else's number, or the number of an enterprise that was
struck off or went bankrupt, borrows an identity or keeps a dead company's business going.

Data needed: the website Record (kind ``website``): ``normalized["has_enterprise_number"]``,
``normalized["enterprise_numbers"]`` (every checksum-valid number the site shows, home page
first), ``normalized["foreign_vats"]``, ``employer_name``, the domain
(``normalized["website"]``); the register :class:`~storage.models.Employer` of each number shown
(status, juridical situation, name); the site's firm match (judgements applied).

Why it fires, one finding per site listing every problem:

- no enterprise number anywhere on the pages read → **low** (a legal duty not met; many small
  sites simply forget), **medium** when the site shows a foreign VAT number instead;
- a number shown belongs to an enterprise that is struck off, bankrupt, in liquidation or
  dissolved (:mod:`signals.register_status`) → **high**;
- a number shown belongs to another enterprise: the site is firmly matched (by phone, domain,
  name or a human) to a different employer, or — unmatched, or matched only through that very
  number — the site's name (else its domain name) does not resemble the register name of that
  number (token-set similarity under :data:`NAME_SIMILARITY`; domain: partial similarity under
  :data:`DOMAIN_SIMILARITY`) → **high**.

Known false positives: group sites showing the parent company's number; a second number on
the pages that belongs to someone else on purpose (the web agency, the accountant, a partner or
client named in a reference list) is read as "another enterprise's number"; sites whose number is
only in a PDF or image (the spider reads HTML text); a site's trade name that differs from its
legal name (name test only when the site is not matched); pages not crawled (the spider reads
at most a few pages per domain: the legal notice may be deeper); the register copy may be
older than the site (a revived enterprise).
"""

from __future__ import annotations

from rapidfuzz import fuzz
from sqlmodel import col, select

from entity_resolution.names import normalize_name
from signals.base import (
    Finding,
    RecordContext,
    describe_capture,
    describe_employer,
    fmt_number,
    record_district,
    record_seen_at,
)
from signals.register_status import (
    SERIOUS_CLASSES,
    classify_situation,
    situation_text,
    status_class,
)
from storage.models import Employer, Judgement

RULE = "website_enterprise_number"
SEVERITY = "high"
VERSION = "1"
DESCRIPTION = (
    "Company website without an enterprise number (CDE art. III.15), or showing another "
    "enterprise's number, or the number of a struck-off / bankrupt enterprise."
)
RISK = "2. Fictitious employers / undeclared work; 1. Bankruptcy carousels (dead firm's number)"

NAME_SIMILARITY = 60
DOMAIN_SIMILARITY = 80
_ORDER = {"low": 0, "medium": 1, "high": 2}


def _inactive(employer: Employer) -> str | None:
    """Why the enterprise should not trade, or ``None``."""
    situation = classify_situation(employer.juridical_situation, employer.juridical_situation_label)
    if situation in SERIOUS_CLASSES:
        when = employer.juridical_situation_date
        since = f" since {when}" if when else ""
        label = situation_text(employer.juridical_situation, employer.juridical_situation_label)
        return f"{label}{since}"
    if status_class(employer.status) == "struck_off":
        return f'status "{employer.status}" (stopped / struck off)'
    return None


def domain_label(site: str | None) -> str | None:
    """The name part of a site: ``boulangerie-dupont.be`` → ``boulangeriedupont``; for a host
    without a domain name (``127.0.0.1:8000/sites/dupont/``) the last path segment."""
    if not site:
        return None
    text = str(site).lower().split("://")[-1].strip("/")
    host, _, path = text.partition("/")
    host = host.split(":")[0].removeprefix("www.")
    if host.replace(".", "").isdigit() or host == "localhost":
        label = path.strip("/").split("/")[-1] if path else ""
    else:
        label = host.split(".")[0]
    label = "".join(c for c in label if c.isalnum())
    return label or None


def _similar(site_name: str | None, site: str | None, employer: Employer) -> bool:
    """Does the site's name — else its domain name — resemble the enterprise's names?"""
    names = [employer.name, *(employer.other_names or [])]
    if site_name:
        core = normalize_name(site_name).core
        return any(fuzz.token_set_ratio(core, normalize_name(n).core) >= NAME_SIMILARITY
                   for n in names)
    label = domain_label(site)
    if not label:
        return True  # nothing to compare: do not accuse
    return any(fuzz.partial_ratio(label, normalize_name(n).compact) >= DOMAIN_SIMILARITY
               for n in names)


def _confirmed(ctx: RecordContext, employer: Employer | None) -> bool:
    """Did a human confirm (latest verdict positive) that the site belongs to ``employer``?"""
    if employer is None:
        return False
    if ctx.match is not None and "judgement" in (ctx.match.method or ""):
        return True
    if ctx.session is None:
        return False
    verdicts = ctx.session.exec(
        select(Judgement.verdict)
        .where(Judgement.record_fingerprint == ctx.record.fingerprint,
               (Judgement.employer_id == employer.id)
               | (Judgement.employer_number == employer.enterprise_number))
        .order_by(col(Judgement.at), col(Judgement.id))
    ).all()
    return bool(verdicts) and verdicts[-1] == "positive"


def evaluate(ctx: RecordContext) -> list[Finding]:
    record = ctx.record
    if record.kind != "website":
        return []
    norm = record.normalized or {}
    numbers = [n for n in norm.get("enterprise_numbers") or
               ([norm["enterprise_number"]] if norm.get("enterprise_number") else [])]
    site = norm.get("website") or record.url
    name = record.employer_name
    matched = ctx.matched_employer
    by_human = _confirmed(ctx, matched)
    # A match made only through the number shown proves nothing about whose number it is.
    by_number = ctx.match is not None and any(
        m in (ctx.match.method or "") for m in ("enterprise_number", "vat"))
    problems: list[tuple[str, str, str]] = []  # (severity, code, sentence)
    shown: list[dict[str, object]] = []
    if not norm.get("has_enterprise_number", bool(numbers)):
        foreign = list(norm.get("foreign_vats") or [])
        sentence = "It shows no enterprise number on any page read (CDE art. III.15 requires it)"
        if foreign:
            sentence += f", only the foreign VAT number(s) {', '.join(foreign)}"
        problems.append(("medium" if foreign else "low", "no_number", sentence + "."))
    registered: dict[str, Employer] = {}
    if numbers and ctx.session is not None:
        rows = ctx.session.exec(
            select(Employer).where(col(Employer.enterprise_number).in_(numbers))
        ).all()
        registered = {e.enterprise_number or "": e for e in rows}
    for number in numbers:
        employer = registered.get(number)
        if employer is None:
            shown.append({"enterprise_number": number, "in_register": False})
            continue
        dead = _inactive(employer)
        other = False
        if matched is not None and matched.id != employer.id:
            other = True
            how = "a human judgement" if by_human else (ctx.match.method if ctx.match else "?")
            reason = f"the site is tied to {describe_employer(matched)} (by {how})"
        elif (matched is None or (by_number and not by_human)) and not _similar(
                name, site, employer):
            other = True
            reason = (f'the site\'s name "{name}" does not resemble the register name' if name
                      else f'the site\'s domain "{site}" does not resemble the register name')
        shown.append({"enterprise_number": number, "in_register": True, "name": employer.name,
                      "status": employer.status,
                      "juridical_situation": employer.juridical_situation,
                      "juridical_situation_label": employer.juridical_situation_label,
                      "inactive": dead, "other_enterprise": other})
        if other:
            problems.append(("high", "other_enterprise",
                             f"It shows the number {fmt_number(number)}, which the register gives "
                             f"to {describe_employer(employer)}; {reason}."))
        if dead:
            problems.append(("high", "inactive_number",
                             f"It shows the number {fmt_number(number)} of {employer.name}, "
                             f"whose register entry says {dead}."))
    if not problems:
        return []
    severity = max((p[0] for p in problems), key=_ORDER.__getitem__)
    codes = sorted({p[1] for p in problems})
    rationale = (
        f'The company website {site}' + (f' ("{name}")' if name else "")
        + f" read at {describe_capture(ctx.capture, record.url)}"
        + (f", matched to {describe_employer(matched)}" if matched is not None else "")
        + ". " + " ".join(p[2] for p in problems)
        + " Sources: the site's pages (see the capture) and the enterprises' register entries."
    )
    facts = {
        "website": site,
        "site_name": name,
        "problems": codes,
        "has_enterprise_number": bool(norm.get("has_enterprise_number", bool(numbers))),
        "numbers_shown": shown,
        "foreign_vats": list(norm.get("foreign_vats") or []),
        "matched_enterprise": matched.enterprise_number if matched is not None else None,
    }
    support = []
    for entry in shown:
        employer = registered.get(str(entry["enterprise_number"]))
        if employer is not None and employer.capture_id is not None:
            support.append((None, employer.capture_id))
    titles = {"no_number": "no enterprise number",
              "other_enterprise": "another enterprise's number",
              "inactive_number": "number of a struck-off/bankrupt enterprise"}
    return [
        Finding(
            rule=RULE,
            severity=severity,
            title=f"Website {site}: " + ", ".join(titles[c] for c in codes),
            rationale=rationale,
            subject_type="record",
            subject_key=record.fingerprint,
            employer_id=matched.id if matched is not None else None,
            district=record_district(ctx),
            facts=facts,
            evidence=ctx.sighting(),
            support=[*support, *(ctx.register_support() if matched is not None else [])],
            version=VERSION,
            seen_at=record_seen_at(ctx),
        )
    ]
