"""The shapes every rule shares: a :class:`Finding`, the :class:`RecordContext` a record rule
reads, the rule protocols, and small helpers that phrase facts for a legal reader.

A finding is what a rule concluded, in words (``rationale``) and as data (``facts``), together
with the evidence it rests on: ``(record_id, capture_id)`` pairs that lead back to the immutable
captures. The engine turns findings into :class:`storage.models.Signal` rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

from sqlmodel import Session

from signals import SignalsError
from storage.models import Capture, Employer, Match, Record

Severity = Literal["low", "medium", "high"]
SubjectType = Literal["employer", "record", "person"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high")
SUBJECT_TYPES: tuple[str, ...] = ("employer", "record", "person")

EvidenceRef = tuple[int | None, int | None]  # (record_id, capture_id)


@dataclass
class Finding:
    """One conclusion of one rule about one subject.

    ``evidence`` are the sightings the finding rests on; a sighting never linked before counts
    as a new occurrence of the signal. ``support`` are links that explain the finding (e.g. the
    register page showing the employer's status) but are not sightings of it: they are linked
    without counting an occurrence. ``discriminator`` separates findings of one rule about one
    subject that must stay distinct signals (e.g. the active enterprise of a carousel).
    """

    rule: str
    severity: str
    title: str
    rationale: str
    subject_type: str
    subject_key: str
    employer_id: int | None = None
    district: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    evidence: list[EvidenceRef] = field(default_factory=list)
    support: list[EvidenceRef] = field(default_factory=list)
    discriminator: str = ""
    version: str = "1"
    seen_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise SignalsError(f"{self.rule}: severity {self.severity!r} not in {SEVERITIES}")
        if self.subject_type not in SUBJECT_TYPES:
            raise SignalsError(
                f"{self.rule}: subject_type {self.subject_type!r} not in {SUBJECT_TYPES}"
            )
        if not self.subject_key:
            raise SignalsError(f"{self.rule}: a finding needs a non-empty subject_key")
        self.facts = jsonable(self.facts)
        try:
            json.dumps(self.facts)
        except (TypeError, ValueError) as exc:
            raise SignalsError(f"{self.rule}: facts are not JSON-serialisable: {exc}") from exc


@dataclass
class RecordContext:
    """What a record rule may look at: the record, its capture, and the employer it matched.

    ``match`` is the machine's (or a human's, see :func:`signals.context.build_context`) link to
    ``employer``; ``employer_capture`` / ``employer_record_id`` point at the register page the
    employer's status was read from, when it came from one.
    """

    record: Record
    employer: Employer | None = None
    match: Match | None = None
    capture: Capture | None = None
    employer_capture: Capture | None = None
    employer_record_id: int | None = None
    # The open session, for rules that must look further in the register (set by
    # :func:`signals.context.complete_context`); ``None`` when a caller runs a rule by hand.
    session: Session | None = field(default=None, repr=False, compare=False)
    # Answers of register look-ups that rules may reuse across records (plain values, never
    # ORM rows): a crawl passes one dict for as long as it has not changed the register
    # itself; ``None``: nothing is remembered.
    memo: dict[Any, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def matched_employer(self) -> Employer | None:
        """The employer if the link is a firm match (outcome ``match``), else ``None``."""
        if self.employer is None or self.match is None or self.match.outcome != "match":
            return None
        return self.employer

    def sighting(self) -> list[EvidenceRef]:
        """The record and the capture it was (last) seen in, as evidence."""
        capture_id = self.capture.id if self.capture is not None else (
            self.record.last_capture_id or self.record.capture_id
        )
        return [(self.record.id, capture_id)]

    def register_support(self) -> list[EvidenceRef]:
        """The register page the employer's data came from, if any, as supporting evidence."""
        if self.employer_capture is None and self.employer_record_id is None:
            return []
        capture_id = self.employer_capture.id if self.employer_capture is not None else None
        return [(self.employer_record_id, capture_id)]


class RecordRule(Protocol):
    """A module that judges one record: ``RULE``, ``SEVERITY``, ``VERSION``, ``DESCRIPTION``,
    ``RISK`` and ``evaluate(ctx)``."""

    RULE: str
    SEVERITY: str
    VERSION: str
    DESCRIPTION: str
    RISK: str

    def evaluate(self, ctx: RecordContext) -> list[Finding]: ...


class NetworkRule(Protocol):
    """A module that judges the whole register network in one batch."""

    RULE: str
    SEVERITY: str
    VERSION: str
    DESCRIPTION: str
    RISK: str

    def evaluate_network(self, session: Session) -> list[Finding]: ...


# --------------------------------------------------------------------------- severity helpers


def raise_severity(severity: str, steps: int = 1) -> str:
    """One (or ``steps``) level(s) up, capped at ``high``."""
    index = min(SEVERITIES.index(severity) + steps, len(SEVERITIES) - 1)
    return SEVERITIES[index]


def lower_severity(severity: str, steps: int = 1) -> str:
    """One (or ``steps``) level(s) down, floored at ``low``."""
    return SEVERITIES[max(SEVERITIES.index(severity) - steps, 0)]


# --------------------------------------------------------------------------- phrasing helpers


def jsonable(value: Any) -> Any:
    """Dates become ISO strings, tuples/sets lists; everything else is left for json to judge."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def fmt_number(enterprise_number: str | None) -> str:
    """``0123456789`` → ``0123.456.789`` (the way the register prints it)."""
    if enterprise_number and len(enterprise_number) == 10 and enterprise_number.isdigit():
        n = enterprise_number
        return f"{n[:4]}.{n[4:7]}.{n[7:]}"
    return enterprise_number or "no enterprise number"


def fmt_when(moment: datetime | date | None) -> str:
    """A capture time or a date, as a legal reader wants it (UTC for times)."""
    if moment is None:
        return "unknown date"
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.isoformat()


def describe_capture(capture: Capture | None, url: str | None = None) -> str:
    """``<url> (capture #12, fetched 2025-03-01 10:22 UTC, sha256 1a2b3c4d…)``."""
    if capture is None:
        return f"{url} (no capture on file)" if url else "(no capture on file)"
    where = capture.final_url or capture.url or url or "?"
    return (
        f"{where} (capture #{capture.id}, fetched {fmt_when(capture.fetched_at)}, "
        f"sha256 {capture.sha256[:12]}…)"
    )


def describe_employer(employer: Employer) -> str:
    """``ACME SRL (enterprise 0123.456.789)``."""
    return f"{employer.name} (enterprise {fmt_number(employer.enterprise_number)})"


def describe_match(match: Match | None) -> str:
    """How the record was tied to the employer, e.g. ``by enterprise_number, score 1.00``."""
    if match is None:
        return "without a stored match"
    return f"by {match.method}, score {match.score:.2f}"


def employer_subject_key(employer: Employer) -> str:
    """Stable subject key of an employer: its enterprise number, else its row id."""
    return employer.enterprise_number or f"employer-id:{employer.id}"


def record_district(ctx: RecordContext) -> str | None:
    """The judicial district of the work place, else of the employer's seat."""
    record = ctx.record
    district = record.district or (record.normalized or {}).get("district")
    if not district and ctx.employer is not None:
        district = ctx.employer.district
    return district


def record_title(record: Record) -> str:
    """The ad's title as seen, or a placeholder naming the record."""
    title = record.title or (record.raw or {}).get("title")
    return str(title).strip() if title else f"(untitled {record.kind} #{record.id})"


def record_seen_at(ctx: RecordContext) -> datetime | None:
    """When the record was (last) seen: its capture time, else the record's own timestamp."""
    if ctx.capture is not None:
        return ctx.capture.fetched_at
    return ctx.record.last_seen
