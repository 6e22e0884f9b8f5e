"""Pydantic response and request models of the JSON API (they are what ``/openapi.json`` shows).

Built from the storage rows with ``from_attributes``; the ``*_from`` helpers assemble the
nested shapes from :mod:`storage.queries` results.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from review.formatting import format_enterprise_number
from storage import queries
from storage.models import Capture, Employer


class _FromRows(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(BaseModel):
    type: str = Field(description="Error class, e.g. NotFoundError, LoginRequired.")
    message: str


class ErrorPublic(BaseModel):
    """The one shape of every API error."""

    error: ErrorDetail


class SessionPublic(BaseModel):
    username: str
    role: str
    csrf_token: str = Field(description="Send back as the X-CSRF-Token header on every POST.")


class SignalPublic(_FromRows):
    id: int
    key: str
    rule: str
    severity: str
    title: str
    rationale: str
    subject_type: str
    subject_key: str
    employer_id: int | None
    district: str | None
    status: str
    facts: dict[str, Any]
    rule_version: str
    first_seen: datetime
    last_seen: datetime
    occurrences: int


class SignalListItem(SignalPublic):
    employer_name: str | None = None
    employer_number: str | None = None


class SignalListPublic(BaseModel):
    items: list[SignalListItem]
    total: int = Field(description="Signals matching the filters, all pages together.")
    limit: int
    offset: int


class FilterOptionsPublic(BaseModel):
    rules: list[str]
    severities: list[str]
    statuses: list[str]
    districts: list[str]


class EmployerPublic(_FromRows):
    id: int
    enterprise_number: str | None
    enterprise_number_formatted: str | None = None
    name: str
    other_names: list[str]
    legal_form: str | None
    status: str | None
    juridical_situation: str | None
    juridical_situation_label: str | None
    juridical_situation_date: date | None
    start_date: date | None
    onss_employer: bool
    onss_since: date | None
    street: str | None
    postcode: str | None
    municipality: str | None
    district: str | None
    country: str
    phone: str | None
    email: str | None
    website: str | None
    nace_codes: list[str]
    origin: str
    capture_id: int | None


class FeaturePublic(BaseModel):
    """One line of a match explanation."""

    model_config = ConfigDict(extra="ignore")
    name: str
    score: float | None = None
    weight: float | None = None
    reason: str = ""


class MatchPublic(_FromRows):
    id: int
    record_id: int
    employer_id: int
    score: float
    method: str
    outcome: str
    matcher_version: str
    created_at: datetime
    explanation: list[FeaturePublic]


class CapturePublic(_FromRows):
    id: int
    run_id: int | None
    url: str
    final_url: str
    method: str
    status: int
    headers: dict[str, Any]
    content_type: str | None
    fetched_at: datetime = Field(description="UTC.")
    sha256: str
    length: int
    warc_file: str
    warc_offset: int
    warc_length: int
    renderer: str
    screenshot_sha256: str | None
    screenshot_path: str | None
    content_url: str = Field(description="The archived body, served sandboxed.")
    screenshot_url: str | None


class RecordPublic(_FromRows):
    id: int
    kind: str
    source: str
    url: str
    capture_id: int
    last_capture_id: int | None
    title: str | None
    employer_name: str | None
    enterprise_number: str | None
    vat_number: str | None
    phone: str | None
    postcode: str | None
    district: str | None
    country: str | None
    language: str | None
    raw: dict[str, Any]
    provenance: dict[str, Any]
    normalized: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    seen_count: int


class JudgementPublic(_FromRows):
    """A reviewer's verdict on a record/employer pair; it always wins over the machine."""

    id: int
    record_fingerprint: str = Field(description="The record's stable fingerprint (survives "
                                                "re-crawls).")
    employer_id: int | None
    employer_number: str | None = Field(description="The employer's enterprise number (survives "
                                                    "register refreshes).")
    verdict: str = Field(description="positive (match confirmed) | negative (match rejected) | "
                                     "unsure")
    user: str
    at: datetime = Field(description="UTC.")
    matcher_version: str = Field(description="Version of the matcher that proposed the match.")
    note: str


class JudgementIn(BaseModel):
    verdict: str = Field(description="positive | negative | unsure")
    note: str = Field("", description="Optional free text (at most 2000 characters).")


class MatchWithRecordPublic(BaseModel):
    match: MatchPublic
    record: RecordPublic
    judgements: list[JudgementPublic] = Field(
        default_factory=list, description="Human verdicts on this pair, newest first.")
    latest_verdict: str | None = Field(None, description="The verdict that counts now.")


class EvidencePublic(BaseModel):
    """One link of the chain fact → record → capture(s)."""

    record: RecordPublic | None
    captures: list[CapturePublic]


class StatusChangePublic(BaseModel):
    at: datetime
    user: str | None
    old: str | None
    new: str | None
    reason: str


class SignalDetailPublic(BaseModel):
    signal: SignalPublic
    employer: EmployerPublic | None
    matches: list[MatchWithRecordPublic]
    evidence: list[EvidencePublic]
    history: list[StatusChangePublic]
    allowed_statuses: list[str]


class StatusChangeIn(BaseModel):
    status: str = Field(description="new | in_review | confirmed | dismissed")
    reason: str = Field("", description="Required when dismissing.")


class CaptureDetailPublic(BaseModel):
    capture: CapturePublic
    body_verified: bool = Field(description="The body read back from the WARC file now has "
                                            "the SHA-256 recorded at capture time.")
    problem: str | None = Field(None, description="Why the body could not be verified.")
    records: list[RecordPublic]
    signals: list[SignalPublic]


class RolePublic(BaseModel):
    person_id: int
    person_name: str
    function: str
    start_date: date | None
    end_date: date | None
    capture_id: int | None


class AddressPublic(_FromRows):
    kind: str
    street: str | None
    postcode: str | None
    municipality: str | None
    district: str | None
    country: str


class EmployerDetailPublic(BaseModel):
    employer: EmployerPublic
    addresses: list[AddressPublic]
    roles: list[RolePublic]
    signals: list[SignalPublic]
    matches: list[MatchWithRecordPublic]


# -- builders ------------------------------------------------------------------------------------
def employer_public(employer: Employer) -> EmployerPublic:
    out = EmployerPublic.model_validate(employer)
    if employer.enterprise_number:
        out.enterprise_number_formatted = format_enterprise_number(employer.enterprise_number)
    return out


def capture_public(capture: Capture) -> CapturePublic:
    data = capture.model_dump()
    data["headers"] = capture.headers or {}
    data["content_url"] = f"/captures/{capture.id}/content"
    data["screenshot_url"] = (f"/captures/{capture.id}/screenshot"
                              if capture.screenshot_path else None)
    return CapturePublic.model_validate(data)


def match_rows_public(rows: list[queries.MatchRow]) -> list[MatchWithRecordPublic]:
    return [
        MatchWithRecordPublic(
            match=MatchPublic.model_validate(r.match),
            record=RecordPublic.model_validate(r.record),
            judgements=[JudgementPublic.model_validate(j) for j in r.judgements],
            latest_verdict=r.latest_judgement.verdict if r.latest_judgement else None,
        )
        for r in rows
    ]


def signal_list_public(rows: list[queries.SignalRow], total: int, limit: int,
                       offset: int) -> SignalListPublic:
    items = []
    for row in rows:
        item = SignalListItem.model_validate(row.signal)
        if row.employer is not None:
            item.employer_name = row.employer.name
            item.employer_number = row.employer.enterprise_number
        items.append(item)
    return SignalListPublic(items=items, total=total, limit=limit, offset=offset)


def signal_detail_public(detail: queries.SignalDetail) -> SignalDetailPublic:
    return SignalDetailPublic(
        signal=SignalPublic.model_validate(detail.signal),
        employer=employer_public(detail.employer) if detail.employer else None,
        matches=match_rows_public(detail.matches),
        evidence=[
            EvidencePublic(
                record=RecordPublic.model_validate(item.record) if item.record else None,
                captures=[capture_public(c) for c in item.captures],
            )
            for item in detail.evidence
        ],
        history=[StatusChangePublic(at=h.at, user=h.user, old=h.old, new=h.new,
                                    reason=h.reason) for h in detail.history],
        allowed_statuses=list(detail.allowed_statuses),
    )


def capture_detail_public(detail: queries.CaptureDetail, verified: bool,
                          problem: str | None = None) -> CaptureDetailPublic:
    return CaptureDetailPublic(
        capture=capture_public(detail.capture),
        body_verified=verified,
        problem=problem,
        records=[RecordPublic.model_validate(r) for r in detail.records],
        signals=[SignalPublic.model_validate(s) for s in detail.signals],
    )


def employer_detail_public(detail: queries.EmployerDetail) -> EmployerDetailPublic:
    return EmployerDetailPublic(
        employer=employer_public(detail.employer),
        addresses=[AddressPublic.model_validate(a) for a in detail.addresses],
        roles=[
            RolePublic(person_id=r.person.id, person_name=r.person.name,
                       function=r.role.function, start_date=r.role.start_date,
                       end_date=r.role.end_date, capture_id=r.role.capture_id)
            for r in detail.roles
        ],
        signals=[SignalPublic.model_validate(s) for s in detail.signals],
        matches=match_rows_public(detail.matches),
    )


class SameEntityOtherPublic(BaseModel):
    """Another record of the cluster and the link that ties it in."""

    record: RecordPublic
    score: float
    reason: str = Field(description="The link's reason, e.g. 'same phone +32 470 12 34 56'.")
    direct: bool = Field(description="True when the link is with the signal's record itself, "
                                     "false when it goes through another member (linked_to).")
    linked_to: int | None


class SameEntityGroupPublic(BaseModel):
    """The cluster of one record behind a signal: the same ad elsewhere (kind job_ad) or the
    same provider under other names (kind listing)."""

    record_id: int
    cluster_id: int
    cluster_key: str
    kind: str
    label: str
    algorithm_version: str
    member_count: int
    others: list[SameEntityOtherPublic]


def same_entity_public(groups: list[Any]) -> list[SameEntityGroupPublic]:
    """From :func:`storage.clusters.same_entity` groups."""
    return [
        SameEntityGroupPublic(
            record_id=g.record_id, cluster_id=g.cluster.id, cluster_key=g.cluster.key,
            kind=g.cluster.kind, label=g.cluster.label,
            algorithm_version=g.cluster.algorithm_version, member_count=g.cluster.member_count,
            others=[SameEntityOtherPublic(record=RecordPublic.model_validate(o.record),
                                          score=o.score, reason=o.reason, direct=o.direct,
                                          linked_to=o.linked_to) for o in g.others],
        )
        for g in groups
    ]
