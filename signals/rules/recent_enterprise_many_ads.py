"""Rule ``recent_enterprise_many_ads`` (network) — an enterprise less than a year old that posts
many job ads or service listings.

Risk served (MISSION.md, risk 1 "bankruptcy carousels" and risk 2 "fictitious employers"): a
phoenix or shell company is typically brand new and immediately very active — it takes over
the staff and customers of a failed one, or hires on a scale its age cannot explain, until it
too fails with its contributions unpaid.

Data needed: firm matches of job ads and listings to register employers
(:mod:`signals.firm_matches`, judgements applied); ``Employer.start_date`` (register "Date de
début"); each record's posting date (``raw["date_posted"]``, else ``Record.first_seen``); the
entity clusters (:class:`~storage.models.ClusterMember`): the same ad on several boards counts
once; ``Employer.onss_employer`` and NACE codes for the severity.

Why it fires: at least :data:`MIN_ADS` distinct ads/listings (clusters count once) posted less
than :data:`WINDOW_DAYS` days after the enterprise's start date. Severity: **medium**; **high**
when the enterprise is not an ONSS employer, or it is in a high-risk sector by its NACE codes
(:mod:`signals.sectors`). One signal per enterprise.

Known false positives: genuine start-ups and new franchises that staff up; the new legal
vehicle of a long-established business after a lawful restructuring (merger, change of legal
form — these keep the enterprise number, so they rarely show); temp agencies and recruiters
matched as the employer of their clients' ads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from signals.base import EvidenceRef, Finding, describe_employer, fmt_when, raise_severity
from signals.firm_matches import CHUNK, FirmMatch, FirmRow, firm_match_rows, load_by_id
from signals.sectors import describe_hits, nace_hits
from storage.clusters import has_cluster_tables
from storage.models import ClusterMember, Employer, Record

RULE = "recent_enterprise_many_ads"
SEVERITY = "medium"
VERSION = "1"
DESCRIPTION = (
    "Enterprise less than a year old posting many job ads or listings (possible phoenix or "
    "shell company)."
)
RISK = "1. Bankruptcy carousels (phoenix companies); 2. Fictitious employers"

KINDS = ("job_ad", "listing")
MIN_ADS = 3
WINDOW_DAYS = 365


def posting_date(record: Record) -> date | None:
    """The ad's own date (``date_posted``), else the day it was first seen."""
    return posting_day((record.raw or {}).get("date_posted"), record.first_seen)


def posting_day(date_posted: object, first_seen: datetime | None) -> date | None:
    """:func:`posting_date` from the two values it reads."""
    text = str(date_posted or "")[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        return first_seen.date() if first_seen else None


def cluster_of(session: Session, record_ids: list[int]) -> dict[int, int]:
    """``record id → cluster id`` for the records that belong to a cluster."""
    if not record_ids or not has_cluster_tables(session):
        return {}
    out: dict[int, int] = {}
    for start in range(0, len(record_ids), 500):
        for record_id, cluster_id in session.exec(
                select(ClusterMember.record_id, ClusterMember.cluster_id).where(
                col(ClusterMember.record_id).in_(record_ids[start:start + 500]))):
            out[record_id] = cluster_id
    return out


def _start_dates(session: Session, employer_ids: set[int]) -> dict[int, date]:
    ids = sorted(employer_ids)
    out: dict[int, date] = {}
    for start in range(0, len(ids), CHUNK):
        out.update(session.exec(select(Employer.id, Employer.start_date).where(
            col(Employer.id).in_(ids[start:start + CHUNK]),
            col(Employer.start_date).is_not(None))).all())
    return out


def _dated(session: Session, rows: list[FirmRow]) -> Iterator[tuple[FirmRow, date | None]]:
    """Each row with its record's posting date (``raw["date_posted"]`` read in SQL)."""
    ids = [r.record_id for r in rows]
    days = {
        record_id: posting_day(posted, first_seen)
        for record_id, posted, first_seen in session.exec(
            select(Record.id, Record.raw["date_posted"], Record.first_seen)  # type: ignore[index]
            .where(col(Record.id).in_(ids)))
    }
    for row in rows:
        yield row, days.get(row.record_id)


def evaluate_network(session: Session) -> list[Finding]:
    """Stream the firm matches twice (the advertisers, then their records' dates); only the
    ads within a year of their enterprise's start are kept, and only the records and
    employers of the findings are loaded."""
    starts = _start_dates(session, {r.employer_id for r in firm_match_rows(session, KINDS)})
    if not starts:
        return []
    total: dict[int, int] = defaultdict(int)
    early_rows: dict[int, list[tuple[FirmRow, date]]] = defaultdict(list)
    pending: list[FirmRow] = []

    def flush() -> None:
        for row, day in _dated(session, pending):
            start = starts[row.employer_id]
            if day is not None and start <= day < start + timedelta(days=WINDOW_DAYS):
                early_rows[row.employer_id].append((row, day))
        pending.clear()

    for row in firm_match_rows(session, KINDS):
        if row.employer_id in starts:
            total[row.employer_id] += 1
            pending.append(row)
            if len(pending) >= CHUNK:
                flush()
    flush()
    findings: list[Finding] = []
    for employer_id in total:  # in the order of each employer's first record
        candidates = early_rows.get(employer_id, [])
        if len(candidates) < MIN_ADS:
            continue
        clusters = cluster_of(session, sorted(r.record_id for r, _ in candidates))
        early: dict[str, tuple[FirmRow, date]] = {}
        for row, day in candidates:  # record-id order
            rid = row.record_id
            early.setdefault(f"c{clusters[rid]}" if rid in clusters else f"r{rid}", (row, day))
        if len(early) < MIN_ADS:
            continue
        employer = session.get(Employer, employer_id)
        records = load_by_id(session, Record, (r.record_id for r, _ in early.values()))
        kept = [(FirmMatch(records[r.record_id], employer, r.method, r.score), day)  # type: ignore[arg-type]
                for r, day in early.values()]
        findings.append(_finding(employer, kept, total[employer_id]))
    return findings


def _finding(employer, early: list[tuple[FirmMatch, date]], total: int) -> Finding:  # type: ignore[no-untyped-def]
    start = employer.start_date
    sectors = nace_hits(employer)
    severity = SEVERITY
    if not employer.onss_employer or sectors:
        severity = raise_severity(severity)
    # By day, then URL: the same ads give the same wording whatever order a crawl stored them in.
    early.sort(key=lambda item: (item[1], item[0].record.url or ""))
    listing = "; ".join(
        f'"{fm.record.title or fm.record.url}" ({fm.record.kind}, {day.isoformat()}, '
        f"{fm.record.url}, matched by {fm.method})" for fm, day in early[:10])
    more = f" and {len(early) - 10} more" if len(early) > 10 else ""
    rationale = (
        f"{describe_employer(employer)} started on {fmt_when(start)} according to the register. "
        f"In its first {WINDOW_DAYS} days it published {len(early)} distinct ads or listings "
        f"(the same ad on several boards counted once): {listing}{more}."
        + ("" if employer.onss_employer else
           ' It does not have the quality "Employeur ONSS" in the register.')
        + (f" High-risk sector: {describe_hits(sectors)}." if sectors else "")
        + " A brand-new enterprise hiring on this scale may be the successor of a failed one: "
        "check its directors and their earlier enterprises."
    )
    evidence: list[EvidenceRef] = [
        (fm.record.id, fm.record.last_capture_id or fm.record.capture_id) for fm, _ in early]
    facts = {
        "enterprise_number": employer.enterprise_number,
        "name": employer.name,
        "start_date": start,
        "ads_in_first_year": len(early),
        "ads_matched_total": total,
        "onss_employer": employer.onss_employer,
        "first_ad": early[0][1],
        "last_ad": early[-1][1],
        "records": [{"record_id": fm.record.id, "kind": fm.record.kind, "url": fm.record.url,
                     "date": day, "match_method": fm.method} for fm, day in early],
        "sectors": [h.as_fact() for h in sectors],
    }
    return Finding(
        rule=RULE,
        severity=severity,
        title=f"{employer.name}: {len(early)} ads within a year of its start ({start})",
        rationale=rationale,
        subject_type="employer",
        subject_key=employer.enterprise_number or f"employer-id:{employer.id}",
        employer_id=employer.id,
        district=employer.district,
        facts=facts,
        evidence=evidence,
        support=[(None, employer.capture_id)] if employer.capture_id else [],
        version=VERSION,
    )
